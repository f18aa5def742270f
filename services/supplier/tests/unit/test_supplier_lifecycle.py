"""The supplier state machine, the approval guard and duplicate-check normalisation."""

import pytest

from tandem_supplier.domain import events
from tandem_supplier.domain.errors import (
    IllegalTransition,
    InvalidSupplier,
    QualificationIncomplete,
)
from tandem_supplier.domain.supplier import (
    TRANSITIONS,
    Contact,
    Supplier,
    SupplierStatus,
    allowed_actions,
    normalise_legal_id,
    normalise_name,
)

S = SupplierStatus


def _supplier(status: S = S.APPLIED) -> Supplier:
    supplier = Supplier.register(name="Acme GmbH", legal_id="de 123.456", categories=["Steel"])
    supplier.status = status
    supplier.pull_events()
    return supplier


def test_registering_raises_registered_and_normalises_identity():
    supplier = Supplier.register(
        name="  Acme GmbH ",
        legal_id="de-123 456",
        categories=["Steel", "steel ", "Bolts"],
        contacts=[Contact(name="Ann", email="ann@acme.test")],
    )
    assert supplier.status is S.APPLIED and supplier.version == 1
    assert supplier.legal_id == "DE123456"
    assert supplier.normalized_name == "acme"
    assert supplier.categories == ["bolts", "steel"]
    assert supplier.contacts[0]["email"] == "ann@acme.test"
    assert [type(e) for e in supplier.pull_events()] == [events.SupplierRegistered]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ACME GmbH", "acme"),
        ("Acme, Ltd.", "ACME"),
        ("Müller AG", "muller"),
        ("A.C.M.E", "a c m e"),
    ],
)
def test_names_that_differ_only_in_case_accents_punctuation_or_legal_form_collide(a, b):
    assert normalise_name(a) == normalise_name(b)


def test_legal_ids_ignore_spacing_and_separators():
    assert normalise_legal_id("de 12.34-5/6") == normalise_legal_id("DE123456")


@pytest.mark.parametrize("field", ["name", "categories"])
def test_blank_identity_is_refused(field):
    kwargs = {"name": "Acme", "legal_id": "X1", "categories": ["steel"]}
    kwargs[field] = "" if field == "name" else [" "]
    with pytest.raises(InvalidSupplier) as err:
        Supplier.register(**kwargs)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        (S.APPLIED, "submit", S.UNDER_REVIEW),
        (S.UNDER_REVIEW, "approve", S.APPROVED),
        (S.UNDER_REVIEW, "reject", S.REJECTED),
        (S.APPROVED, "suspend", S.SUSPENDED),
        (S.SUSPENDED, "reinstate", S.APPROVED),
        (S.BLOCKED, "reinstate", S.APPROVED),
        (S.APPLIED, "block", S.BLOCKED),
        (S.APPROVED, "block", S.BLOCKED),
        (S.REJECTED, "block", S.BLOCKED),
    ],
)
def test_allowed_transitions_move_the_supplier_and_publish(start, action, end):
    supplier = _supplier(start)
    supplier.change_status(action, "because", missing_certifications=[])
    assert supplier.status is end
    assert supplier.version == 2
    (event,) = supplier.pull_events()
    assert event == events.SupplierStatusChanged(supplier.id, start, "because")


def test_every_illegal_transition_is_refused_naming_the_allowed_ones():
    for status in S:
        for action, (sources, _) in TRANSITIONS.items():
            if status in sources:
                continue
            supplier = _supplier(status)
            with pytest.raises(IllegalTransition) as err:
                supplier.change_status(action, "r", missing_certifications=[])
            assert err.value.allowed == allowed_actions(status)
            assert supplier.status is status and supplier.pull_events() == []


@pytest.mark.parametrize("action", ["reject", "block"])
def test_rejecting_and_blocking_need_a_reason(action):
    supplier = _supplier(S.UNDER_REVIEW)
    with pytest.raises(InvalidSupplier) as err:
        supplier.change_status(action, "  ")
    assert err.value.field == "reason"


@pytest.mark.parametrize(
    ("start", "action"), [(S.UNDER_REVIEW, "approve"), (S.SUSPENDED, "reinstate")]
)
def test_approval_is_refused_while_a_mandatory_certificate_is_missing(start, action):
    supplier = _supplier(start)
    with pytest.raises(QualificationIncomplete) as err:
        supplier.change_status(action, missing_certifications=["HACCP", "ISO9001"])
    assert err.value.status_code == 409
    assert "HACCP, ISO9001" in err.value.message
    assert supplier.status is start and supplier.pull_events() == []


def test_the_guard_must_be_consulted():
    with pytest.raises(ValueError):
        _supplier(S.UNDER_REVIEW).change_status("approve")


def test_an_expired_mandatory_certificate_suspends_only_an_approved_supplier():
    from datetime import date

    approved = _supplier(S.APPROVED)
    assert approved.suspend_for_expired("ISO9001", date(2026, 1, 31)) is True
    assert approved.status is S.SUSPENDED
    assert "ISO9001 expired on 2026-01-31" in approved.status_reason
    under_review = _supplier(S.UNDER_REVIEW)
    assert under_review.suspend_for_expired("ISO9001", date(2026, 1, 31)) is False
    assert under_review.pull_events() == []


def test_revising_publishes_only_real_changes_and_never_for_blocked_suppliers():
    supplier = _supplier(S.APPROVED)
    supplier.revise(name="Acme GmbH", categories=["steel"])
    assert supplier.pull_events() == [] and supplier.version == 1
    supplier.revise(risk_level="high", categories=["steel", "bolts"])
    (event,) = supplier.pull_events()
    assert event.fields == ("categories", "risk_level") and supplier.version == 2
    blocked = _supplier(S.BLOCKED)
    with pytest.raises(IllegalTransition):
        blocked.revise(name="Other")
