"""The procurement service's HTTP app."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_kit.http import create_service_app
from tandem_procurement.settings import ProcurementSettings


def create_app(settings: ProcurementSettings) -> FastAPI:
    return create_service_app(
        settings,
        title="Tandem procurement service",
        description=__import__("tandem_procurement").__doc__ or "",
        routers=[],
    )
