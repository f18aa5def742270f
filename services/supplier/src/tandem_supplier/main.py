"""The supplier service's HTTP app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import FastAPI

from tandem_kit.http import create_service_app
from tandem_supplier.api import certifications, offers, scorecards, suppliers
from tandem_supplier.bootstrap import unit_of_work_factory, utc_today
from tandem_supplier.db.tables import start_mappers
from tandem_supplier.settings import SupplierSettings


def create_app(settings: SupplierSettings, *, clock: Callable[[], date] = utc_today) -> FastAPI:
    start_mappers()
    app = create_service_app(
        settings,
        title="Tandem supplier service",
        description="Suppliers, onboarding and qualification, certifications, offers, scorecards.",
        # scorecards first: /suppliers/{id}/scorecard must not be shadowed by supplier actions
        routers=[scorecards.router, suppliers.router, certifications.router, offers.router],
    )
    app.state.uow = unit_of_work_factory(app.state.sessions)
    app.state.read_uow = unit_of_work_factory(app.state.read_sessions)
    app.state.settings_supplier = settings
    app.state.qualification = settings.qualification_policy()
    app.state.clock = clock
    return app
