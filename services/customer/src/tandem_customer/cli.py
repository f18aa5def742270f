"""`tandem-customer api|worker|migrate`."""

from __future__ import annotations

from tandem_customer.settings import CustomerSettings
from tandem_kit.runtime import ServiceDefinition
from tandem_kit.runtime import main as run_main

DEFINITION = ServiceDefinition(
    name="customer",
    settings=CustomerSettings,
    app="tandem_customer.main:create_app",
    worker="tandem_customer.worker:create_worker",
    migrations="tandem_customer.db:migrations",
)


def main() -> None:
    run_main(DEFINITION)


if __name__ == "__main__":
    main()
