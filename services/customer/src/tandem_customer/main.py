"""The customer service's HTTP app."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_customer.api import (
    activities,
    bundle,
    campaigns,
    contacts,
    customer_extras,
    imports,
    leads,
    routes,
    segments,
    tickets,
)
from tandem_customer.bootstrap import unit_of_work_factory
from tandem_customer.db.tables import start_mappers
from tandem_customer.settings import CustomerSettings, rules_of
from tandem_kit.http import create_service_app


def create_app(settings: CustomerSettings) -> FastAPI:
    start_mappers()
    app = create_service_app(
        settings,
        title="Tandem customer service",
        description=(
            "Customers (accounts), contacts, activities, leads, service tickets, segments, "
            "campaigns and customer value."
        ),
        # Fixed paths (/duplicates, /imports, /summary) come before the /{id} ones.
        routers=[
            customer_extras.router,
            routes.router,
            bundle.router,
            contacts.router,
            activities.router,
            imports.router,
            leads.router,
            tickets.router,
            segments.router,
            campaigns.router,
        ],
    )
    app.state.uow = unit_of_work_factory(app.state.sessions, rules_of(settings))
    app.state.read_uow = unit_of_work_factory(app.state.read_sessions, rules_of(settings))
    app.state.import_tasks = set()
    return app
