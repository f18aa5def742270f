"""The scorecard formula: weights, criteria, rolling period, standings and replay safety."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tandem_supplier.domain import events, performance
from tandem_supplier.domain.errors import InvalidScoringPolicy
from tandem_supplier.domain.performance import (
    ContractTerms,
    OrderLine,
    OrderSnapshot,
    Receipt,
    ReceiptLine,
)
from tandem_supplier.domain.scorecard import Scorecard
from tandem_supplier.domain.scoring import (
    CRITERIA,
    IN_FULL,
    ON_TIME,
    PRICE,
    QUALITY,
    RESPONSIVENESS,
    ScoringPolicy,
    score,
)

SUPPLIER = str(uuid.uuid4())
T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
POLICY = ScoringPolicy()


def issued(
    po: str,
    *,
    qty="100",
    price="10.00",
    promised=date(2026, 3, 10),
    version=1,
    status="issued",
    at=T0,
    ack=None,
):
    return OrderSnapshot(
        purchase_order_id=po,
        supplier_id=SUPPLIER,
        version=version,
        status=status,
        lines=(OrderLine("SKU-1", Decimal(qty), Decimal(price), "EUR", promised),),
        event_id=str(uuid.uuid4()),
        issued_at=at,
        acknowledged_at=ack,
    )


def received(po: str, rid: str, at: datetime, accepted="100", rejected="0"):
    return Receipt(
        rid,
        po,
        SUPPLIER,
        at,
        (ReceiptLine("SKU-1", Decimal(accepted), Decimal(rejected)),),
        str(uuid.uuid4()),
    )


def fold(*facts):
    state = None
    for fact in facts:
        state = performance.apply(state, fact)
    return state


def by_name(result):
    return {c["criterion"]: c for c in result.criteria}


@pytest.mark.parametrize(
    "weights",
    [
        {ON_TIME: 30, IN_FULL: 20, QUALITY: 25, PRICE: 15, RESPONSIVENESS: 11},
        {ON_TIME: 30, IN_FULL: 20, QUALITY: 25, PRICE: 25},
        {ON_TIME: 130, IN_FULL: -30, QUALITY: 0, PRICE: 0, RESPONSIVENESS: 0},
        {**dict.fromkeys(CRITERIA, 20), "speed": 0},
    ],
)
def test_weights_must_name_every_criterion_and_sum_to_100(weights):
    with pytest.raises(InvalidScoringPolicy):
        ScoringPolicy(weights=weights)


@pytest.mark.parametrize(
    "bands",
    [
        ((Decimal(75), "good"), (Decimal(90), "excellent"), (Decimal(0), "probation")),
        ((Decimal(90), "excellent"), (Decimal(10), "probation")),
        ((Decimal(90), "excellent"), (Decimal(0), "terrible")),
    ],
)
def test_bands_must_be_ordered_cover_zero_and_name_known_standings(bands):
    with pytest.raises(InvalidScoringPolicy):
        ScoringPolicy(bands=bands)


@pytest.mark.parametrize(
    ("value", "standing"),
    [
        ("100", "excellent"),
        ("90", "excellent"),
        ("89.99", "good"),
        ("75", "good"),
        ("74.99", "watch"),
        ("60", "watch"),
        ("59.99", "probation"),
        ("0", "probation"),
    ],
)
def test_standing_boundaries_are_inclusive_minimums(value, standing):
    assert POLICY.standing(Decimal(value)) == standing


def test_an_empty_period_does_not_score():
    result = score(performance.empty(), POLICY, T0)
    assert result.score is None and result.standing is None
    assert all(c["score"] is None and c["contribution"] is None for c in result.criteria)


def test_orders_outside_the_rolling_period_do_not_score():
    state = fold(
        issued("po-old", at=T0 - timedelta(days=200)),
        received("po-old", "r1", T0 - timedelta(days=150)),
    )
    assert score(state, POLICY, T0).score is None
    assert score(state, POLICY, T0 - timedelta(days=150)).score is not None


def test_a_perfect_supplier_scores_100_with_every_criterion_explained():
    contract = ContractTerms(
        "c-1",
        SUPPLIER,
        1,
        "active",
        date(2026, 1, 1),
        date(2026, 12, 31),
        {"SKU-1": (Decimal("10.00"), "EUR")},
        "e-c",
    )
    state = fold(
        contract,
        issued("po-1", ack=T0 + timedelta(hours=2)),
        received("po-1", "r1", T0 + timedelta(days=5)),
    )
    result = score(state, POLICY, T0 + timedelta(days=5))
    assert result.score == Decimal("100.00") and result.standing == "excellent"
    assert {c["criterion"]: c["contribution"] for c in result.criteria} == {
        ON_TIME: "30.00",
        IN_FULL: "20.00",
        QUALITY: "25.00",
        PRICE: "15.00",
        RESPONSIVENESS: "10.00",
    }
    assert by_name(result)[ON_TIME]["evidence"][0]["receipt_ids"] == ["r1"]


def test_late_short_and_rejected_deliveries_lower_the_score_as_weighted():
    state = fold(
        # on time, in full, all accepted, acknowledged in time
        issued("po-1", ack=T0 + timedelta(hours=1)),
        received("po-1", "r1", datetime(2026, 3, 9, tzinfo=UTC)),
        # late (complete only on 3-12), acknowledged after 3 days
        issued("po-2", ack=T0 + timedelta(days=3)),
        received("po-2", "r2", datetime(2026, 3, 12, tzinfo=UTC)),
        # short: 80 of 100 by the promised date, 20 of those rejected; never acknowledged
        issued("po-3"),
        received("po-3", "r3", datetime(2026, 3, 10, tzinfo=UTC), accepted="60", rejected="20"),
    )
    result = score(state, POLICY, datetime(2026, 3, 20, tzinfo=UTC))
    criteria = by_name(result)
    assert criteria[ON_TIME]["score"] == "33.33"  # 1 of 3 complete by the promised date
    assert criteria[IN_FULL]["score"] == "66.67"  # po-3 short
    assert criteria[QUALITY]["score"] == "92.86"  # 260 accepted of 280
    assert criteria[PRICE]["score"] is None  # no contract price: not scored, weight shared out
    assert criteria[RESPONSIVENESS]["score"] == "33.33"
    # (30*33.33 + 20*66.67 + 25*92.86 + 10*33.33) / 85 = 58.68
    assert result.score == Decimal("58.68")
    assert result.standing == "probation"
    assert criteria[ON_TIME]["effective_weight"] == "35.29"
    assert [e["outcome"] for e in criteria[IN_FULL]["evidence"]] == ["in_full", "in_full", "short"]


def test_paying_above_the_contract_price_scores_the_ratio():
    contract = ContractTerms(
        "c-1",
        SUPPLIER,
        1,
        "active",
        date(2026, 1, 1),
        date(2026, 12, 31),
        {"SKU-1": (Decimal("9.00"), "EUR")},
        "e-c",
    )
    state = fold(contract, issued("po-1", price="12.00"))
    criteria = by_name(score(state, POLICY, T0 + timedelta(hours=1)))
    assert criteria[PRICE]["score"] == "75.00"
    assert criteria[PRICE]["evidence"][0]["outcome"] == "above_contract"


def test_cancelled_orders_and_open_orders_before_their_dates_do_not_score():
    state = fold(issued("po-1", status="cancelled", version=2), issued("po-2"))
    result = score(state, POLICY, T0 + timedelta(hours=1))
    assert result.score is None


def test_applying_the_same_facts_twice_or_out_of_version_order_changes_nothing():
    facts = [
        issued("po-1"),
        issued("po-1", version=2, status="acknowledged", ack=T0 + timedelta(hours=3)),
        received("po-1", "r1", datetime(2026, 3, 11, tzinfo=UTC), accepted="90"),
    ]
    once = fold(*facts)
    twice = fold(*facts, *facts)
    assert once == twice
    assert fold(*facts, facts[0]) == once  # an older snapshot redelivered is ignored
    at = datetime(2026, 3, 20, tzinfo=UTC)
    assert score(once, POLICY, at) == score(twice, POLICY, at)


def test_the_scorecard_publishes_only_changes_and_standing_moves():
    supplier_id = uuid.UUID(SUPPLIER)
    card = Scorecard(supplier_id=supplier_id)
    good = fold(
        issued("po-1", ack=T0 + timedelta(hours=1)), received("po-1", "r1", T0 + timedelta(days=2))
    )
    result = score(good, POLICY, T0 + timedelta(days=2))
    assert card.record(result) is True and card.version == 1
    assert card.pull_events() == [
        events.ScorecardUpdated(supplier_id),
        events.StandingChanged(supplier_id, None, "excellent"),
    ]
    assert card.record(result) is False and card.pull_events() == []
    worse = performance.apply(good, issued("po-2", at=T0 + timedelta(days=2)))
    later = score(worse, POLICY, T0 + timedelta(days=20))
    assert card.record(later) is True
    assert card.pull_events() == [
        events.ScorecardUpdated(supplier_id),
        events.StandingChanged(supplier_id, "excellent", "watch"),
    ]
    assert card.score == Decimal("64.71")  # po-2 neither on time, in full nor acknowledged
    assert card.effect == "warn"
    assert (
        Scorecard(supplier_id=supplier_id, standing="probation").effect == "no_new_purchase_orders"
    )
    assert card.record(result) is False  # older evidence never moves the card back
