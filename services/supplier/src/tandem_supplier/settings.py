"""Supplier service settings (env prefix ``SUPPLIER_``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import ServiceSettings
from tandem_supplier.domain.errors import InvalidScoringPolicy
from tandem_supplier.domain.qualification import QualificationPolicy
from tandem_supplier.domain.scoring import ScoringPolicy

DEFAULT_REQUIRED = {
    "food": ["HACCP", "ISO22000"],
    "electronics": ["ISO9001"],
    "chemicals": ["ISO9001", "ISO14001"],
}


class SupplierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPPLIER_", extra="ignore")

    service_name: str = "supplier"
    port: int = 8003

    # Qualification: category -> certification kinds required before approval ("*": all).
    required_certifications: dict[str, list[str]] = Field(default_factory=lambda: DEFAULT_REQUIRED)
    certificate_expiry_horizon_days: int = Field(default=30, ge=0, le=3650)
    certificate_check_interval_seconds: float = Field(default=300.0, gt=0)
    certificate_check_batch_size: int = Field(default=200, ge=1, le=10_000)

    # Scorecard: weights per criterion (must sum to 100), rolling period, standing bands.
    scorecard_weights: dict[str, int] = Field(default_factory=lambda: dict(ScoringPolicy().weights))
    scorecard_period_days: int = Field(default=90, ge=1, le=3650)
    scorecard_acknowledgement_hours: int = Field(default=48, ge=1)
    scorecard_bands: dict[str, Decimal] = Field(
        default_factory=lambda: {"excellent": 90, "good": 75, "watch": 60, "probation": 0},
        description="standing -> minimum score",
    )

    # The performance stream (Faust) runs inside the worker process as one of its tasks.
    performance_stream_enabled: bool = True
    performance_app_id: str = Field(
        default="supplier-performance", pattern=r"^supplier-performance"
    )
    performance_partitions: int = Field(default=6, ge=1)
    performance_data_dir: Path | None = Field(
        default=None, description="Faust table data; default: <data_dir>/faust"
    )

    @model_validator(mode="after")
    def _policies_are_valid(self) -> SupplierSettings:
        try:
            self.scoring_policy()
        except InvalidScoringPolicy as exc:
            raise ValueError(f"scorecard settings: {exc}") from exc
        return self

    def scoring_policy(self) -> ScoringPolicy:
        bands = tuple(
            sorted(((Decimal(m), s) for s, m in self.scorecard_bands.items()), reverse=True)
        )
        return ScoringPolicy(
            weights=dict(self.scorecard_weights),
            period_days=self.scorecard_period_days,
            bands=bands,
            acknowledgement_hours=self.scorecard_acknowledgement_hours,
        )

    def qualification_policy(self) -> QualificationPolicy:
        return QualificationPolicy.of(self.required_certifications)


def get_settings() -> SupplierSettings:
    return SupplierSettings()
