"""The procurement service's HTTP app."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_kit.http import create_service_app
from tandem_procurement.api import contracts, demand, purchase_orders, requisitions
from tandem_procurement.application.unit_of_work import Clock, system_clock
from tandem_procurement.bootstrap import unit_of_work_factory
from tandem_procurement.db.tables import start_mappers
from tandem_procurement.settings import ProcurementSettings


def create_app(settings: ProcurementSettings, clock: Clock = system_clock) -> FastAPI:
    start_mappers()
    app = create_service_app(
        settings,
        title="Tandem procurement service",
        description=(
            "Demand, requisitions, approvals, purchase orders, goods receipts and contracts."
        ),
        routers=[
            demand.router,
            requisitions.router,
            requisitions.rules,
            purchase_orders.router,
            purchase_orders.receipts,
            contracts.router,
        ],
    )
    app.state.uow = unit_of_work_factory(app.state.sessions, clock)
    app.state.read_uow = unit_of_work_factory(app.state.read_sessions, clock)
    return app
