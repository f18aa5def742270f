"""The sales service's HTTP app."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_kit.http import create_service_app
from tandem_sales.api import (
    credit,
    customer_sales,
    forecast,
    opportunities,
    orders,
    products,
    quotes,
)
from tandem_sales.bootstrap import unit_of_work_factory
from tandem_sales.db.tables import start_mappers
from tandem_sales.settings import SalesSettings


def create_app(settings: SalesSettings) -> FastAPI:
    start_mappers()
    app = create_service_app(
        settings,
        title="Tandem sales service",
        description="Catalog, opportunities, forecast, quotes and sales orders.",
        routers=[
            products.router,
            opportunities.router,
            forecast.router,
            quotes.router,
            orders.router,
            credit.router,
            customer_sales.router,
        ],
    )
    app.state.uow = unit_of_work_factory(app.state.sessions)
    app.state.read_uow = unit_of_work_factory(app.state.read_sessions)
    return app
