"""Procurement service settings (env prefix ``PROCUREMENT_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import ServiceSettings


class ProcurementSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROCUREMENT_", extra="ignore")

    service_name: str = "procurement"
    port: int = 8004
    demand_join_enabled: bool = Field(default=True, description="run the Faust demand join")
    demand_join_app_id: str = Field(default="procurement-demand-join", pattern=r"^procurement-")
    contract_check_interval_s: float = Field(
        default=3600.0, gt=0, description="how often the worker looks for expiring contracts"
    )


def get_settings() -> ProcurementSettings:
    return ProcurementSettings()
