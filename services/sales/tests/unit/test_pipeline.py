"""Opportunity stages, configurable probabilities and the weighted forecast."""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from tandem_sales.domain.errors import IllegalTransition, InvalidInput
from tandem_sales.domain.forecast import PipelineEntry, forecast
from tandem_sales.domain.opportunities import (
    DEFAULT_PROBABILITIES,
    Opportunity,
    Stage,
    check_probabilities,
)

P = {"qualification": 20, "proposal": 50, "negotiation": 80, "won": 100, "lost": 0}


def opp(amount="1000") -> Opportunity:
    return Opportunity.open(
        customer_id=uuid.uuid4(),
        name="Big deal",
        amount=Decimal(amount),
        currency="EUR",
        owner="rep-1",
        probabilities=P,
    )


def test_a_new_opportunity_starts_in_qualification_with_its_probability():
    o = opp()
    assert (o.stage, o.probability) == (Stage.QUALIFICATION, 20)
    assert o.weighted_amount() == Decimal("200")
    assert len(o.pull_events()) == 1


def test_open_stages_move_either_way_and_take_the_configured_probability():
    o = opp()
    o.move_to(Stage.NEGOTIATION, P)
    assert o.probability == 80
    o.move_to(Stage.PROPOSAL, P)
    assert (o.stage, o.probability, o.version) == (Stage.PROPOSAL, 50, 3)


def test_moving_to_the_current_stage_is_refused_naming_the_moves():
    o = opp()
    with pytest.raises(IllegalTransition) as info:
        o.move_to(Stage.QUALIFICATION, P)
    assert info.value.allowed == ["lost", "negotiation", "proposal", "won"]


def test_won_and_lost_are_final():
    won, lost = opp(), opp()
    won.win(P)
    lost.lose("price", P)
    assert (won.probability, lost.probability, lost.lost_reason) == (100, 0, "price")
    for o in (won, lost):
        with pytest.raises(IllegalTransition) as info:
            o.move_to(Stage.PROPOSAL, P)
        assert info.value.allowed == []
        with pytest.raises(IllegalTransition):
            o.win(P)


def test_losing_needs_a_reason():
    with pytest.raises(InvalidInput) as info:
        opp().lose(" ", P)
    assert info.value.field == "reason"


def test_closing_stages_are_not_reached_through_a_stage_move():
    with pytest.raises(InvalidInput):
        opp().move_to(Stage.WON, P)


def test_probability_tables_must_be_complete_and_sane():
    assert check_probabilities(DEFAULT_PROBABILITIES) == DEFAULT_PROBABILITIES
    with pytest.raises(ValueError, match="missing"):
        check_probabilities({"qualification": 10})
    with pytest.raises(ValueError):
        check_probabilities({**P, "won": 90})
    with pytest.raises(ValueError):
        check_probabilities({**P, "proposal": 120})


def test_the_forecast_weights_by_probability_and_groups_by_stage_month_and_owner():
    entries = [
        PipelineEntry("proposal", "EUR", Decimal("1000"), 40, date(2026, 12, 3), "ann"),
        PipelineEntry("proposal", "EUR", Decimal("500"), 40, date(2026, 12, 20), "bob"),
        PipelineEntry("negotiation", "EUR", Decimal("2000"), 70, date(2027, 1, 5), "ann"),
        PipelineEntry("negotiation", "USD", Decimal("100"), 70, None, "ann"),
        PipelineEntry("won", "EUR", Decimal("9000"), 100, date(2026, 11, 1), "ann"),
        PipelineEntry("lost", "EUR", Decimal("50"), 0, None, "bob"),
    ]
    f = forecast(entries)
    proposal = f.by_stage[("proposal", "EUR")]
    assert (proposal.count, proposal.amount, proposal.weighted) == (2, 1500, 600)
    assert f.by_stage[("won", "EUR")].weighted == 9000
    assert list(f.by_stage) == [
        ("proposal", "EUR"),
        ("negotiation", "EUR"),
        ("negotiation", "USD"),
        ("won", "EUR"),
        ("lost", "EUR"),
    ]
    assert f.by_month[("2026-12", "EUR")].weighted == 600
    assert f.by_month[("2027-01", "EUR")].weighted == 1400
    assert f.by_month[(None, "USD")].weighted == 70
    assert ("2026-11", "EUR") not in f.by_month  # won deals are not pipeline
    assert f.by_owner[("ann", "EUR")].amount == 3000
    assert f.by_owner[("bob", "EUR")].count == 1
    assert f.open_total[(None, "EUR")].weighted == 2000


def test_revising_records_a_change_only_when_something_changed():
    o = opp()
    o.pull_events()
    assert o.revise({"name": "Big deal"}) is False
    assert o.revise({"amount": Decimal("1200"), "expected_close": date(2027, 2, 1)}) is True
    assert (o.amount, o.version, len(o.pull_events())) == (Decimal("1200"), 2, 1)
    with pytest.raises(InvalidInput):
        o.revise({"amount": Decimal("-1")})
    o.win(P)
    with pytest.raises(IllegalTransition):
        o.revise({"name": "after the fact"})
