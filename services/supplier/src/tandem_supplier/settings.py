"""Supplier service settings (env prefix ``SUPPLIER_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import ServiceSettings


class SupplierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPPLIER_", extra="ignore")

    service_name: str = "supplier"
    port: int = 8003


def get_settings() -> SupplierSettings:
    return SupplierSettings()
