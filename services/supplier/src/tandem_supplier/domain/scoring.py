"""The scorecard formula: weighted criteria over a rolling period, standings by score range."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tandem_supplier.domain.errors import InvalidScoringPolicy
from tandem_supplier.domain.performance import basis

ON_TIME = "on_time_delivery"
IN_FULL = "in_full_delivery"
QUALITY = "quality_acceptance"
PRICE = "price_vs_contract"
RESPONSIVENESS = "acknowledgement_responsiveness"
CRITERIA = (ON_TIME, IN_FULL, QUALITY, PRICE, RESPONSIVENESS)
STANDINGS = ("excellent", "good", "watch", "probation")
# What a standing means for the rest of the system (procurement acts on probation).
STANDING_EFFECTS: dict[str, str | None] = {
    "excellent": None,
    "good": None,
    "watch": "warn",
    "probation": "no_new_purchase_orders",
}
MAX_EVIDENCE = 50
CENT = Decimal("0.01")


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ScoringPolicy:
    """Weights (summing to 100), rolling period, standing bands and acknowledgement target."""

    weights: Mapping[str, int] = field(
        default_factory=lambda: {
            ON_TIME: 30,
            IN_FULL: 20,
            QUALITY: 25,
            PRICE: 15,
            RESPONSIVENESS: 10,
        }
    )
    period_days: int = 90
    # (minimum score, standing), best first; the last band must start at 0.
    bands: tuple[tuple[Decimal, str], ...] = (
        (Decimal(90), "excellent"),
        (Decimal(75), "good"),
        (Decimal(60), "watch"),
        (Decimal(0), "probation"),
    )
    acknowledgement_hours: int = 48

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(CRITERIA)
        missing = set(CRITERIA) - set(self.weights)
        if unknown or missing:
            raise InvalidScoringPolicy(
                f"weights must name exactly {', '.join(CRITERIA)} "
                f"(unknown: {sorted(unknown)}, missing: {sorted(missing)})"
            )
        if any(w < 0 for w in self.weights.values()):
            raise InvalidScoringPolicy("weights must not be negative")
        if sum(self.weights.values()) != 100:
            raise InvalidScoringPolicy(f"weights must sum to 100, not {sum(self.weights.values())}")
        if self.period_days < 1:
            raise InvalidScoringPolicy("the period must be at least one day")
        if self.acknowledgement_hours < 1:
            raise InvalidScoringPolicy("the acknowledgement target must be at least one hour")
        minimums = [m for m, _ in self.bands]
        if (
            not self.bands
            or minimums != sorted(minimums, reverse=True)
            or len(set(minimums)) != len(minimums)
        ):
            raise InvalidScoringPolicy("bands must be ordered by strictly decreasing minimum score")
        if minimums[-1] != 0 or minimums[0] > 100:
            raise InvalidScoringPolicy("bands must cover 0..100 (the last band starts at 0)")
        if any(s not in STANDINGS for _, s in self.bands):
            raise InvalidScoringPolicy(f"standings must be among {', '.join(STANDINGS)}")

    def standing(self, score: Decimal) -> str:
        for minimum, standing in self.bands:
            if score >= minimum:
                return standing
        raise AssertionError("bands cover 0..100")  # pragma: no cover


@dataclass(frozen=True)
class ScoreResult:
    """One computed scorecard with its explanation; ``score`` is None for an empty period."""

    score: Decimal | None
    standing: str | None
    period_start: date
    period_end: date
    evidence_as_of: datetime | None
    criteria: list[dict[str, Any]]
    basis: int = 0  # see performance.basis: orders results computed from the same facts


@dataclass
class _Tally:
    points: Decimal = Decimal(0)
    count: int = 0
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def add(self, points: Decimal, item: dict[str, Any]) -> None:
        self.points += points
        self.count += 1
        self.evidence.append(item)

    def rate(self) -> Decimal | None:
        return _q(self.points * 100 / self.count) if self.count else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _contract_price(
    state: dict[str, Any], sku: str, currency: str, day: date
) -> tuple[Decimal, str] | None:
    best: tuple[Decimal, str] | None = None
    for cid, c in sorted(state["contracts"].items()):
        if c["status"] in ("draft", "terminated"):
            continue
        if not (date.fromisoformat(c["valid_from"]) <= day <= date.fromisoformat(c["valid_until"])):
            continue
        price = c["prices"].get(sku)
        if price and price[1] == currency and (best is None or Decimal(price[0]) < best[0]):
            best = (Decimal(price[0]), cid)
    return best


def _score_order(
    po_id: str,
    po: dict[str, Any],
    receipts: list[tuple[str, dict[str, Any]]],
    state: dict[str, Any],
    policy: ScoringPolicy,
    as_of: datetime,
    tallies: dict[str, _Tally],
) -> None:
    issued = _dt(po["issued_at"])
    ordered: dict[str, Decimal] = {}
    promised: dict[str, date | None] = {}
    for line in po["lines"]:
        ordered[line["sku"]] = ordered.get(line["sku"], Decimal(0)) + Decimal(line["quantity"])
        p = date.fromisoformat(line["promised_date"]) if line["promised_date"] else None
        promised[line["sku"]] = max(filter(None, (promised.get(line["sku"]), p)), default=None)
        if issued is not None:
            found = _contract_price(state, line["sku"], line["currency"], issued.date())
            if found is not None:
                price, contract_id = found
                paid = Decimal(line["unit_price"])
                ratio = min(Decimal(1), price / paid) if paid > 0 else Decimal(1)
                tallies[PRICE].add(
                    ratio,
                    {
                        "purchase_order_id": po_id,
                        "sku": line["sku"],
                        "contract_id": contract_id,
                        "outcome": "at_or_below_contract" if ratio == 1 else "above_contract",
                        "detail": f"paid {paid} {line['currency']} against contract {price}",
                        "event_id": po["event_id"],
                    },
                )
    settled_order = po["status"] in ("received", "closed")
    for sku, quantity in sorted(ordered.items()):
        received, completed_at, receipt_ids, events = Decimal(0), None, [], []
        for rid, r in receipts:
            for rl in r["lines"]:
                if rl["sku"] != sku:
                    continue
                received += Decimal(rl["accepted"]) + Decimal(rl["rejected"])
                receipt_ids.append(rid)
                events.append(r["event_id"])
                if completed_at is None and received >= quantity:
                    completed_at = _dt(r["received_at"])
        due = promised[sku]
        past_due = due is not None and due < as_of.date()
        base = {
            "purchase_order_id": po_id,
            "sku": sku,
            "receipt_ids": receipt_ids,
            "event_ids": [po["event_id"], *events],
        }
        if due is not None and (completed_at is not None or past_due or settled_order):
            on_time = completed_at is not None and completed_at.date() <= due
            tallies[ON_TIME].add(
                Decimal(int(on_time)),
                {
                    **base,
                    "outcome": "on_time" if on_time else "late",
                    "detail": f"promised {due}, complete "
                    + (f"on {completed_at.date()}" if completed_at else "not yet"),
                },
            )
        if completed_at is not None or settled_order or past_due:
            in_full = received >= quantity
            tallies[IN_FULL].add(
                Decimal(int(in_full)),
                {
                    **base,
                    "outcome": "in_full" if in_full else "short",
                    "detail": f"ordered {quantity}, delivered {received}",
                },
            )
    if issued is not None:
        target = timedelta(hours=policy.acknowledgement_hours)
        acked = _dt(po["acknowledged_at"])
        if acked is not None or as_of - issued > target:
            ok = acked is not None and acked - issued <= target
            hours = ((acked - issued).total_seconds() / 3600) if acked else None
            tallies[RESPONSIVENESS].add(
                Decimal(int(ok)),
                {
                    "purchase_order_id": po_id,
                    "event_ids": [po["event_id"]],
                    "outcome": "acknowledged_in_time"
                    if ok
                    else ("acknowledged_late" if acked else "not_acknowledged"),
                    "detail": f"target {policy.acknowledgement_hours} h, "
                    + (
                        f"acknowledged after {hours:.1f} h"
                        if hours is not None
                        else "no acknowledgement"
                    ),
                },
            )


def score(state: dict[str, Any], policy: ScoringPolicy, as_of: datetime) -> ScoreResult:
    """Score the orders issued in the rolling period ending ``as_of``; explain every point."""
    period_end = as_of.date()
    period_start = period_end - timedelta(days=policy.period_days - 1)
    tallies = {c: _Tally() for c in CRITERIA}
    quality_accepted = quality_total = Decimal(0)
    by_order: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for rid, r in sorted(state["receipts"].items(), key=lambda kv: (kv[1]["received_at"], kv[0])):
        by_order.setdefault(r["purchase_order_id"], []).append((rid, r))
    for po_id, po in sorted(state["orders"].items()):
        issued = _dt(po["issued_at"])
        if po["status"] in ("draft", "cancelled") or issued is None:
            continue
        if not period_start <= issued.date() <= period_end:
            continue
        _score_order(po_id, po, by_order.get(po_id, []), state, policy, as_of, tallies)
        for rid, r in by_order.get(po_id, []):
            for rl in r["lines"]:
                accepted, rejected = Decimal(rl["accepted"]), Decimal(rl["rejected"])
                if accepted + rejected == 0:
                    continue
                # Quality weighs quantities, not receipts: accepted / (accepted + rejected).
                quality_accepted += accepted
                quality_total += accepted + rejected
                tallies[QUALITY].evidence.append(
                    {
                        "purchase_order_id": po_id,
                        "receipt_id": rid,
                        "sku": rl["sku"],
                        "event_ids": [r["event_id"]],
                        "outcome": "accepted" if rejected == 0 else "rejected_in_part",
                        "detail": f"accepted {accepted}, rejected {rejected}",
                    }
                )
    if quality_total > 0:
        tallies[QUALITY].points, tallies[QUALITY].count = quality_accepted / quality_total, 1
    rates = {c: t.rate() for c, t in tallies.items()}
    scored_weight = sum(policy.weights[c] for c in CRITERIA if rates[c] is not None)
    criteria: list[dict[str, Any]] = []
    value: Decimal | None = None
    if scored_weight > 0:
        value = _q(
            sum(Decimal(policy.weights[c]) * rates[c] for c in CRITERIA if rates[c] is not None)
            / scored_weight
        )
    for c in CRITERIA:
        t, rate = tallies[c], rates[c]
        effective = (
            Decimal(policy.weights[c]) * 100 / scored_weight
            if rate is not None and scored_weight
            else Decimal(0)
        )
        criteria.append(
            {
                "criterion": c,
                "weight": policy.weights[c],
                "effective_weight": str(_q(effective)),
                "score": str(rate) if rate is not None else None,
                "contribution": str(_q(effective * rate / 100)) if rate is not None else None,
                "observations": len(t.evidence),
                "evidence": t.evidence[:MAX_EVIDENCE],
            }
        )
    evidence_times = [
        t
        for po in state["orders"].values()
        for t in (_dt(po["issued_at"]), _dt(po["acknowledged_at"]))
        if t
    ] + [_dt(r["received_at"]) for r in state["receipts"].values()]
    return ScoreResult(
        score=value,
        standing=policy.standing(value) if value is not None else None,
        period_start=period_start,
        period_end=period_end,
        evidence_as_of=max((t for t in evidence_times if t <= as_of), default=None),
        criteria=criteria,
        basis=basis(state),
    )
