"""Certificate validity, expiry rules (warn once, expire once) and the qualification policy."""

import uuid
from datetime import date, timedelta

import pytest

from tandem_supplier.domain import events
from tandem_supplier.domain.certification import Certification, ExpiryState, expiry_state
from tandem_supplier.domain.errors import InvalidSupplier
from tandem_supplier.domain.qualification import QualificationPolicy

UNTIL = date(2026, 6, 30)


def _cert(kind="iso9001", valid_from=date(2025, 1, 1), valid_until=UNTIL) -> Certification:
    cert = Certification.record(
        supplier_id=uuid.uuid4(),
        kind=kind,
        issuer="TÜV",
        number="N-1",
        valid_from=valid_from,
        valid_until=valid_until,
    )
    cert.pull_events()
    return cert


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2024, 12, 31), ExpiryState.NOT_YET_VALID),
        (UNTIL - timedelta(days=31), ExpiryState.VALID),
        (UNTIL - timedelta(days=30), ExpiryState.EXPIRING),
        (UNTIL, ExpiryState.EXPIRING),
        (UNTIL + timedelta(days=1), ExpiryState.EXPIRED),
    ],
)
def test_expiry_state_boundaries(today, state):
    assert expiry_state(date(2025, 1, 1), UNTIL, today, horizon_days=30) is state


def test_a_certificate_warns_once_then_expires_once():
    cert = _cert()
    assert cert.check_expiry(UNTIL - timedelta(days=40), 30, mandatory=True) is ExpiryState.VALID
    assert cert.pull_events() == []
    cert.check_expiry(UNTIL - timedelta(days=10), 30, mandatory=True)
    cert.check_expiry(UNTIL - timedelta(days=9), 30, mandatory=True)
    assert cert.pull_events() == [events.CertificationExpiring(cert.id, 10, True)]
    cert.check_expiry(UNTIL + timedelta(days=1), 30, mandatory=True)
    cert.check_expiry(UNTIL + timedelta(days=2), 30, mandatory=True)
    assert cert.pull_events() == [events.CertificationExpired(cert.id, True)]
    assert cert.expired_notified_on == UNTIL + timedelta(days=1)


def test_a_certificate_first_seen_after_its_date_only_expires():
    cert = _cert()
    cert.check_expiry(UNTIL + timedelta(days=5), 30, mandatory=False)
    assert cert.pull_events() == [events.CertificationExpired(cert.id, False)]
    assert cert.expiring_notified_on is not None


def test_a_certificate_must_end_after_it_starts():
    with pytest.raises(InvalidSupplier) as err:
        _cert(valid_from=date(2026, 1, 2), valid_until=date(2026, 1, 1))
    assert err.value.field == "valid_until"


def test_the_policy_names_missing_and_not_currently_valid_kinds():
    policy = QualificationPolicy.of({"food": ["haccp", "iso9001"], "*": ["iso9001"], "steel": []})
    today = date(2026, 3, 1)
    assert policy.required_for(["Steel"]) == {"ISO9001"}
    assert policy.missing(["food"], [], today) == ["HACCP", "ISO9001"]
    valid = _cert("iso9001")
    expired = _cert("haccp", valid_until=date(2026, 2, 1))
    assert policy.missing(["food"], [valid, expired], today) == ["HACCP"]
    assert policy.missing(["steel"], [valid], today) == []
    assert policy.is_mandatory("haccp", ["food"]) and not policy.is_mandatory("haccp", ["steel"])
