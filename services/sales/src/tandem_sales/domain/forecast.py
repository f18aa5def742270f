"""The weighted pipeline forecast: amounts and probability-weighted amounts per currency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tandem_sales.domain.base import money
from tandem_sales.domain.opportunities import OPEN_STAGES, Stage


@dataclass(frozen=True)
class PipelineEntry:
    stage: str
    currency: str
    amount: Decimal
    probability: int
    expected_close: date | None
    owner: str | None


@dataclass
class Bucket:
    count: int = 0
    amount: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)

    def add(self, entry: PipelineEntry) -> None:
        self.count += 1
        self.amount += entry.amount
        self.weighted += money(entry.amount * entry.probability / Decimal(100))


Key = tuple[str | None, str]  # (group value, currency)


@dataclass(frozen=True)
class Forecast:
    by_stage: dict[Key, Bucket]
    by_month: dict[Key, Bucket]
    by_owner: dict[Key, Bucket]
    open_total: dict[Key, Bucket]


def forecast(entries: Iterable[PipelineEntry]) -> Forecast:
    """Every stage (won and lost included) by stage; the open pipeline by close month
    ("YYYY-MM", None when no date is set), by owner and in total. Currencies never mix."""
    by_stage: dict[Key, Bucket] = defaultdict(Bucket)
    by_month: dict[Key, Bucket] = defaultdict(Bucket)
    by_owner: dict[Key, Bucket] = defaultdict(Bucket)
    totals: dict[Key, Bucket] = defaultdict(Bucket)
    for entry in entries:
        by_stage[(entry.stage, entry.currency)].add(entry)
        if Stage(entry.stage) not in OPEN_STAGES:
            continue
        month = entry.expected_close.strftime("%Y-%m") if entry.expected_close else None
        by_month[(month, entry.currency)].add(entry)
        by_owner[(entry.owner, entry.currency)].add(entry)
        totals[(None, entry.currency)].add(entry)
    order = {s.value: i for i, s in enumerate(Stage)}
    return Forecast(
        by_stage=dict(sorted(by_stage.items(), key=lambda kv: (order[kv[0][0] or ""], kv[0][1]))),
        by_month=dict(sorted(by_month.items(), key=lambda kv: (kv[0][0] or "9999", kv[0][1]))),
        by_owner=dict(sorted(by_owner.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))),
        open_total=dict(sorted(totals.items(), key=lambda kv: kv[0][1])),
    )
