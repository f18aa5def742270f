"""`tandem-procurement api|worker|streams|migrate`."""

from __future__ import annotations

from tandem_kit.runtime import ServiceDefinition
from tandem_kit.runtime import main as run_main
from tandem_procurement.settings import ProcurementSettings

DEFINITION = ServiceDefinition(
    name="procurement",
    settings=ProcurementSettings,
    app="tandem_procurement.main:create_app",
    worker="tandem_procurement.worker:create_worker",
    migrations="tandem_procurement.db:migrations",
    roles={"streams": "tandem_procurement.worker:create_streams_worker"},
)


def main() -> None:
    run_main(DEFINITION)


if __name__ == "__main__":
    main()
