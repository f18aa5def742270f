"""Customer service settings (env prefix ``CUSTOMER_``; nested values as JSON)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from tandem_customer.application.config import Rules
from tandem_customer.domain.scoring import ScoringRules
from tandem_customer.domain.tickets import Priority, SlaPolicy
from tandem_customer.domain.value import TierRule, TierRules
from tandem_kit.settings import ServiceSettings


class SlaTargets(BaseModel):
    """Minutes to first response and to resolution, per priority."""

    first_response_minutes: dict[Priority, int] = Field(
        default_factory=lambda: {
            Priority.URGENT: 15,
            Priority.HIGH: 60,
            Priority.NORMAL: 240,
            Priority.LOW: 1440,
        }
    )
    resolution_minutes: dict[Priority, int] = Field(
        default_factory=lambda: {
            Priority.URGENT: 240,
            Priority.HIGH: 1440,
            Priority.NORMAL: 4320,
            Priority.LOW: 10080,
        }
    )

    def policy(self) -> SlaPolicy:
        base = SlaPolicy.default()
        first = {
            **base.first_response,
            **{p: timedelta(minutes=m) for p, m in self.first_response_minutes.items()},
        }
        resolution = {
            **base.resolution,
            **{p: timedelta(minutes=m) for p, m in self.resolution_minutes.items()},
        }
        return SlaPolicy(first_response=first, resolution=resolution)


class TierRuleSetting(BaseModel):
    tier: str
    min_revenue: Decimal = Field(ge=0)
    min_orders: int = Field(default=0, ge=0)


class ValueSettings(BaseModel):
    """How customer value is computed from sales orders."""

    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="reporting currency")
    exchange_rates: dict[str, Decimal] = Field(
        default_factory=dict, description="units of the reporting currency per unit of another"
    )
    tiers: list[TierRuleSetting] = Field(
        default_factory=lambda: [
            TierRuleSetting(tier=r.tier, min_revenue=r.min_revenue, min_orders=r.min_orders)
            for r in TierRules.default().rules
        ]
    )
    fallback_tier: str = "bronze"

    def tier_rules(self) -> TierRules:
        ordered = sorted(self.tiers, key=lambda r: (r.min_revenue, r.min_orders), reverse=True)
        return TierRules(
            rules=tuple(TierRule(r.tier, r.min_revenue, r.min_orders) for r in ordered),
            fallback=self.fallback_tier,
        )


class LeadScoringSettings(BaseModel):
    company_points: int = 10
    business_email_points: int = 15
    phone_points: int = 5
    source_points: dict[str, int] = Field(
        default_factory=lambda: dict(ScoringRules().source_points)
    )
    target_industries: list[str] = Field(
        default_factory=lambda: sorted(ScoringRules().target_industries)
    )
    target_industry_points: int = 10

    def rules(self) -> ScoringRules:
        return ScoringRules(
            company_points=self.company_points,
            business_email_points=self.business_email_points,
            phone_points=self.phone_points,
            source_points={k.lower(): v for k, v in self.source_points.items()},
            target_industries=frozenset(i.lower() for i in self.target_industries),
            target_industry_points=self.target_industry_points,
        )


class CustomerSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="CUSTOMER_", env_nested_delimiter="__", extra="ignore"
    )

    service_name: str = "customer"
    port: int = 8001
    sla: SlaTargets = Field(default_factory=SlaTargets)
    sla_check_interval_ms: int = Field(default=30_000, ge=10, description="worker SLA scan period")
    sla_batch_size: int = Field(default=200, ge=1, le=10_000)
    escalate_on_breach: bool = True
    value: ValueSettings = Field(default_factory=ValueSettings)
    lead_scoring: LeadScoringSettings = Field(default_factory=LeadScoringSettings)
    import_max_rows: int = Field(default=50_000, ge=1)
    import_batch_size: int = Field(default=500, ge=10, le=5_000)


def rules_of(settings: CustomerSettings) -> Rules:
    """The business rules a unit of work applies, from these settings."""
    return Rules(
        sla=settings.sla.policy(),
        tiers=settings.value.tier_rules(),
        currency=settings.value.currency,
        exchange_rates=dict(settings.value.exchange_rates),
        scoring=settings.lead_scoring.rules(),
        escalate_on_breach=settings.escalate_on_breach,
    )


def get_settings() -> CustomerSettings:
    return CustomerSettings()
