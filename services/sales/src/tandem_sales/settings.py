"""Sales service settings (env prefix ``SALES_``)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import ServiceSettings
from tandem_sales.domain.opportunities import DEFAULT_PROBABILITIES, check_probabilities


class SalesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SALES_", extra="ignore")

    service_name: str = "sales"
    port: int = 8002
    stage_probabilities: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_PROBABILITIES),
        description='win probability per stage, e.g. SALES_STAGE_PROBABILITIES=\'{"proposal": 35,'
        " ...}' (all five stages; won 100, lost 0)",
    )
    default_currency: str = Field(
        default="EUR",
        pattern=r"^[A-Z]{3}$",
        description="currency of opportunities opened from leads without an amount",
    )
    quote_expiry_interval_s: float = Field(
        default=60.0, gt=0, description="how often the worker expires quotes past validity"
    )

    @field_validator("stage_probabilities")
    @classmethod
    def _complete(cls, value: dict[str, int]) -> dict[str, int]:
        return check_probabilities(value)


def get_settings() -> SalesSettings:
    return SalesSettings()
