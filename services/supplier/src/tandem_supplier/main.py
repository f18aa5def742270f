"""The supplier service's HTTP app."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_kit.http import create_service_app
from tandem_supplier.settings import SupplierSettings


def create_app(settings: SupplierSettings) -> FastAPI:
    return create_service_app(
        settings,
        title="Tandem supplier service",
        description=__import__("tandem_supplier").__doc__ or "",
        routers=[],
    )
