"""Procurement service settings (env prefix ``PROCUREMENT_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import ServiceSettings


class ProcurementSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROCUREMENT_", extra="ignore")

    service_name: str = "procurement"
    port: int = 8004


def get_settings() -> ProcurementSettings:
    return ProcurementSettings()
