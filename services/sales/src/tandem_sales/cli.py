"""`tandem-sales api|worker|migrate`."""

from __future__ import annotations

from tandem_kit.runtime import ServiceDefinition
from tandem_kit.runtime import main as run_main
from tandem_sales.settings import SalesSettings

DEFINITION = ServiceDefinition(
    name="sales",
    settings=SalesSettings,
    app="tandem_sales.main:create_app",
    worker="tandem_sales.worker:create_worker",
    migrations="tandem_sales.db:migrations",
)


def main() -> None:
    run_main(DEFINITION)


if __name__ == "__main__":
    main()
