"""`tandem-supplier api|worker|migrate`."""

from __future__ import annotations

from tandem_kit.runtime import ServiceDefinition
from tandem_kit.runtime import main as run_main
from tandem_supplier.settings import SupplierSettings

DEFINITION = ServiceDefinition(
    name="supplier",
    settings=SupplierSettings,
    app="tandem_supplier.main:create_app",
    worker="tandem_supplier.worker:create_worker",
    migrations="tandem_supplier.db:migrations",
)


def main() -> None:
    run_main(DEFINITION)


if __name__ == "__main__":
    main()
