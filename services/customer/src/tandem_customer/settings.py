"""Customer service settings (env prefix ``CUSTOMER_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import ServiceSettings


class CustomerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTOMER_", extra="ignore")

    service_name: str = "customer"
    port: int = 8001


def get_settings() -> CustomerSettings:
    return CustomerSettings()
