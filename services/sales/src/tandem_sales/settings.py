"""Sales service settings (env prefix ``SALES_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import ServiceSettings


class SalesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SALES_", extra="ignore")

    service_name: str = "sales"
    port: int = 8002


def get_settings() -> SalesSettings:
    return SalesSettings()
