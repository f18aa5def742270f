"""Approval rules: every threshold boundary, categories, versions and segregation of duties."""

import uuid
from decimal import Decimal

import pytest

from tandem_kit.errors import Conflict, Forbidden
from tandem_procurement.domain.approval import ApprovalPolicy, ApprovalTier, default_policy
from tandem_procurement.domain.errors import InvalidRequest, SegregationOfDuties
from tandem_procurement.domain.requisition import AUTO_APPROVER, Requisition
from tandem_procurement.domain.sourcing import Source

POLICY = default_policy()
BUYER = frozenset({"buyer"})
MANAGER = frozenset({"procurement_manager"})


@pytest.mark.parametrize(
    ("total", "levels"),
    [
        ("0.01", 0),
        ("999.99", 0),
        ("1000", 1),
        ("1000.00", 1),
        ("9999.99", 1),
        ("10000", 2),
        ("250000", 2),
    ],
)
def test_default_thresholds(total, levels):
    assert POLICY.levels_for(Decimal(total), "EUR", "general") == levels


def test_an_unpriced_total_or_another_currency_needs_every_level():
    assert POLICY.levels_for(None, None, "general") == 2
    assert POLICY.levels_for(Decimal("1"), "USD", "general") == 2


def _policy_with_it_category():
    return ApprovalPolicy(
        version=2,
        currency="EUR",
        tiers=(
            *POLICY.tiers,
            ApprovalTier(levels=1, below=Decimal("500"), category="it"),
            ApprovalTier(levels=2, below=None, category="it"),
        ),
        level_roles=POLICY.level_roles,
    )


@pytest.mark.parametrize(
    ("total", "category", "levels"),
    [("499.99", "it", 1), ("500", "it", 2), ("499.99", "general", 0), ("500", "office", 0)],
)
def test_category_tiers_override_the_default_ones(total, category, levels):
    assert _policy_with_it_category().levels_for(Decimal(total), "EUR", category) == levels


@pytest.mark.parametrize(
    "tiers",
    [
        (ApprovalTier(levels=0, below=Decimal("10")),),  # no open-ended tier
        (ApprovalTier(levels=0), ApprovalTier(levels=1)),  # two open-ended tiers
        (ApprovalTier(levels=1, category="it"),),  # no '*' tiers
        (ApprovalTier(levels=3),),  # more levels than roles are named for
        (ApprovalTier(levels=0, below=Decimal("-1")), ApprovalTier(levels=1)),
    ],
)
def test_inconsistent_rules_are_refused(tiers):
    with pytest.raises(InvalidRequest):
        ApprovalPolicy(version=2, currency="EUR", tiers=tiers, level_roles=POLICY.level_roles)


def _submitted(price: str, quantity: str = "10", requester: str = "buyer-1") -> Requisition:
    req = Requisition.raise_new(requester=requester, lines=[("SKU", Decimal(quantity))])
    req.submit(POLICY, [Source(uuid.uuid4(), Decimal(price), "EUR", 5, "offer")])
    return req


def test_below_the_small_amount_it_is_approved_automatically_and_recorded():
    req = _submitted("99.99")  # 999.90
    assert req.status == "approved" and req.required_levels == 0
    (decision,) = req.decisions
    assert (decision.decided_by, decision.rule_version, decision.level) == (AUTO_APPROVER, 1, 0)


def test_one_manager_approves_up_to_the_limit():
    req = _submitted("100")  # 1000.00
    assert req.status == "submitted" and req.required_levels == 1
    req.approve("manager-1", MANAGER, POLICY)
    assert req.status == "approved"
    assert req.decisions[-1].decided_by == "manager-1" and req.decisions[-1].rule_version == 1


def test_above_the_limit_two_different_people_approve():
    req = _submitted("1000")  # 10000.00
    assert req.required_levels == 2
    req.approve("buyer-2", BUYER, POLICY)
    assert req.status == "submitted"
    with pytest.raises(Conflict):
        req.approve("buyer-2", MANAGER, POLICY)  # the same person twice
    with pytest.raises(Forbidden):
        req.approve("buyer-3", BUYER, POLICY)  # level 2 needs a procurement manager
    req.approve("manager-1", MANAGER, POLICY)
    assert req.status == "approved"
    assert [d.level for d in req.decisions] == [1, 2]


def test_the_requester_never_approves_or_rejects_their_own_request():
    req = _submitted("100", requester="manager-1")
    with pytest.raises(SegregationOfDuties):
        req.approve("manager-1", frozenset({"admin"}), POLICY)
    with pytest.raises(SegregationOfDuties):
        req.reject("manager-1", MANAGER, POLICY)
    assert req.status == "submitted" and req.decisions == []


def test_a_role_without_approval_rights_may_not_decide():
    req = _submitted("100")
    with pytest.raises(Forbidden):
        req.approve("rep-1", frozenset({"sales_rep"}), POLICY)


def test_a_rejection_is_recorded_with_who_and_the_rule_version():
    req = _submitted("100")
    req.reject("manager-1", MANAGER, POLICY, "too expensive")
    assert req.status == "rejected"
    d = req.decisions[-1]
    assert (d.decision, d.decided_by, d.rule_version, d.comment) == (
        "rejected",
        "manager-1",
        1,
        "too expensive",
    )
