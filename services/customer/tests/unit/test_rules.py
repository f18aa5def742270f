"""Scoring, SLA computation and breach detection, dedup normalisation, tiers, segments."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tandem_customer.domain import dedup
from tandem_customer.domain.events import ValueFacts
from tandem_customer.domain.scoring import ScoringRules, score
from tandem_customer.domain.segments import check_rules, matches
from tandem_customer.domain.tickets import Priority, SlaPolicy, Ticket, TicketStatus
from tandem_customer.domain.value import (
    OrderShare,
    TierRule,
    TierRules,
    in_currency,
    moved,
)
from tandem_kit.db import plain_money

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = SlaPolicy.default()


def lead(**kw):
    base = dict(
        company=None, email=None, phone=None, industry=None, source=None, estimated_amount=None
    )
    return SimpleNamespace(**{**base, **kw})


def test_an_empty_lead_scores_zero_with_no_reasons():
    assert score(lead(), ScoringRules()) == (0, [])


def test_each_rule_adds_its_points_and_says_so():
    total, lines = score(
        lead(
            company="Initech",
            email="jo@initech.com",
            phone="+49 1",
            industry="Retail",
            source="referral",
            estimated_amount=Decimal("150000"),
        ),
        ScoringRules(),
    )
    assert {(line.rule, line.points) for line in lines} == {
        ("company given", 10),
        ("business email domain", 15),
        ("phone given", 5),
        ("target industry", 10),
        ("source referral", 25),
        ("estimated amount >= 100000", 25),
    }
    assert total == 90


def test_free_mail_and_medium_deals_score_accordingly():
    total, lines = score(
        lead(email="jo@gmail.com", estimated_amount=Decimal("10000")), ScoringRules()
    )
    assert [line.rule for line in lines] == ["estimated amount >= 10000"]
    assert total == 10


def test_scoring_rules_are_configurable():
    rules = ScoringRules(company_points=50, source_points={"web": 1})
    assert score(lead(company="X", source="WEB"), rules)[0] == 51


def test_sla_due_times_follow_priority():
    for priority in Priority:
        t = Ticket.raise_ticket(
            customer_id=uuid.uuid4(), subject="s", priority=priority, policy=POLICY, at=T0
        )
        assert t.first_response_due == T0 + POLICY.first_response[priority]
        assert t.resolution_due == T0 + POLICY.resolution[priority]
    assert POLICY.first_response[Priority.URGENT] < POLICY.first_response[Priority.LOW]


def _ticket(priority=Priority.HIGH) -> Ticket:
    return Ticket.raise_ticket(
        customer_id=uuid.uuid4(), subject="s", priority=priority, policy=POLICY, at=T0
    )


def test_no_breach_before_the_due_time():
    t = _ticket()
    assert t.breaches(t.first_response_due) == []


def test_first_response_breach_then_resolution_breach_each_reported_once():
    t = _ticket()
    late = t.first_response_due + timedelta(seconds=1)
    assert t.record_breaches(late, escalate=False, policy=POLICY) == ["first_response"]
    assert t.record_breaches(late + timedelta(minutes=1), escalate=False, policy=POLICY) == []
    much_later = t.resolution_due + timedelta(seconds=1)
    assert t.record_breaches(much_later, escalate=False, policy=POLICY) == ["resolution"]
    assert t.breaches(much_later + timedelta(days=9)) == []


def test_a_response_in_time_prevents_the_first_response_breach():
    t = _ticket()
    t.act("open", policy=POLICY, at=T0 + timedelta(minutes=5))
    assert t.breaches(t.resolution_due - timedelta(seconds=1)) == []


def test_resolved_tickets_do_not_breach():
    t = _ticket()
    t.act("resolve", policy=POLICY, at=T0 + timedelta(minutes=1))
    assert t.status == TicketStatus.RESOLVED
    assert t.breaches(T0 + timedelta(days=30)) == []


def test_a_breach_escalates_when_configured():
    t = _ticket(Priority.LOW)
    t.record_breaches(t.first_response_due + timedelta(seconds=1), escalate=True, policy=POLICY)
    assert t.escalated and t.priority == Priority.NORMAL


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme GmbH", "acme"),
        ("ACME, Inc.", "acme"),
        ("  The  Acme   Company ltd ", "acme"),
        ("Müller & Söhne AG", "muller sohne"),
        ("Mueller und Soehne", "mueller soehne"),
        ("Muller and Sohne", "muller sohne"),
        ("Société Générale S.A.", "societe generale"),
        ("GmbH", None),
        ("", None),
        (None, None),
    ],
)
def test_name_normalisation(raw, expected):
    assert dedup.normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ops@Acme.COM ", "ops@acme.com"),
        ("ops+billing@acme.com", "ops@acme.com"),
        ("not-an-email", None),
        ("@acme.com", None),
        (None, None),
    ],
)
def test_email_normalisation(raw, expected):
    assert dedup.normalise_email(raw) == expected


def test_legal_id_normalisation():
    assert dedup.normalise_legal_id("de 123.456-7") == "DE1234567"
    assert dedup.normalise_legal_id(" ") is None


def test_tiers_follow_the_first_rule_met():
    rules = TierRules.default()
    assert rules.tier_for(Decimal(0), 0) == "bronze"
    assert rules.tier_for(Decimal("50000"), 1) == "silver"
    assert rules.tier_for(Decimal("300000"), 2) == "silver"  # gold needs 3 orders
    assert rules.tier_for(Decimal("300000"), 3) == "gold"
    assert rules.tier_for(Decimal("2000000"), 10) == "platinum"
    custom = TierRules(rules=(TierRule("vip", Decimal(10)),), fallback="std")
    assert custom.tier_for(Decimal(10), 0) == "vip" and custom.tier_for(Decimal(9), 5) == "std"


def test_currency_conversion_uses_configured_rates_only():
    assert in_currency(Decimal(10), "EUR", "EUR", {}) == Decimal(10)
    assert in_currency(Decimal(10), "USD", "EUR", {"USD": Decimal("0.9")}) == Decimal("9.0000")
    assert in_currency(Decimal(10), "JPY", "EUR", {}) is None


def test_revenue_is_kept_to_four_places_rounded_half_to_even_as_conversions_always_were():
    assert in_currency(Decimal("0.12345"), "EUR", "EUR", {}) == Decimal("0.1234")
    assert in_currency(Decimal("0.12355"), "EUR", "EUR", {}) == Decimal("0.1236")
    assert in_currency(Decimal("12.50"), "USD", "EUR", {"USD": Decimal("0.9137")}) == Decimal(
        "11.4212"
    )
    assert in_currency(Decimal("10.5"), "USD", "EUR", {"USD": Decimal("0.00001")}) == Decimal(
        "0.0001"
    )
    assert str(plain_money(Decimal("150.5000"))) == "150.50"
    assert str(plain_money(Decimal("0.1240"))) == "0.124"


def test_a_value_moves_by_one_orders_difference_unless_its_latest_order_leaves():
    early, late, latest = T0, T0 + timedelta(days=1), T0 + timedelta(days=2)
    facts = ValueFacts(Decimal("300"), "EUR", 3, late)

    added = moved(facts, None, OrderShare(Decimal("50.5"), latest))
    assert added == ValueFacts(Decimal("350.5"), "EUR", 4, latest)
    # An order with no exchange rate counts, and adds no revenue.
    assert moved(facts, None, OrderShare(None, early)) == ValueFacts(Decimal(300), "EUR", 4, late)
    # Counted before and after: its revenue changes, the count and the last order stay.
    changed = moved(facts, OrderShare(Decimal(100), late), OrderShare(Decimal(120), late))
    assert changed == ValueFacts(Decimal(320), "EUR", 3, late)
    # An older order leaving: the latest one is still there.
    assert moved(facts, OrderShare(Decimal(100), early), None) == ValueFacts(
        Decimal(200), "EUR", 2, late
    )
    # The order leaving may have been the latest (or the only) one: the difference cannot tell.
    assert moved(facts, OrderShare(Decimal(100), late), None) is None
    assert moved(ValueFacts(Decimal(0), "EUR", 0, None), OrderShare(None, early), None) is None
    assert moved(ValueFacts(Decimal(0), "EUR", 0, None), None, OrderShare(None, early)) == (
        ValueFacts(Decimal(0), "EUR", 1, early)
    )


def test_segment_rules_are_checked_and_matched():
    rules = check_rules({"industries": ["Retail "], "min_lifetime_revenue": "100"})
    assert rules == {"industries": ["retail"], "min_lifetime_revenue": "100"}
    c = SimpleNamespace(industry="retail", tier="gold", status="active")
    assert matches(rules, c, Decimal(100)) and not matches(rules, c, Decimal(99))
    with pytest.raises(Exception, match="at least one rule"):
        check_rules({})
    with pytest.raises(Exception, match="unknown rule"):
        check_rules({"colour": ["red"]})
    with pytest.raises(Exception, match="min exceeds max"):
        check_rules({"min_lifetime_revenue": 5, "max_lifetime_revenue": 1})
