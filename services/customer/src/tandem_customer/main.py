"""The customer service's HTTP app."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_customer.api.routes import router as customers
from tandem_customer.bootstrap import unit_of_work_factory
from tandem_customer.db.tables import start_mappers
from tandem_customer.settings import CustomerSettings
from tandem_kit.http import create_service_app


def create_app(settings: CustomerSettings) -> FastAPI:
    start_mappers()
    app = create_service_app(
        settings,
        title="Tandem customer service",
        description="Customers (accounts), contacts, activities, leads, tickets, segments.",
        routers=[customers],
    )
    app.state.uow = unit_of_work_factory(app.state.sessions)
    return app
