import uuid
from decimal import Decimal

import pytest

from tandem_contracts import REGISTRY, ContractViolation, Envelope, Money, decode
from tandem_contracts.customer import CUSTOMERS, CustomerCreated, LeadConverted
from tandem_contracts.procurement import DEMAND


def _created(**overrides) -> CustomerCreated:
    fields = dict(
        customer_id=uuid.uuid4(),
        version=1,
        name="Acme",
        email="ops@acme.com",
        status="prospect",
        credit_limit=Money(amount=Decimal("5000.00"), currency="EUR"),
    )
    return CustomerCreated(**{**fields, **overrides})


def test_an_event_round_trips_through_kafka_headers_and_value():
    event = _created()
    envelope = Envelope.wrap(
        event, subject=str(event.customer_id), correlation_id="corr-1", causation_id="cause-1"
    )
    decoded = decode(CustomerCreated, envelope.headers(), envelope.value())
    assert decoded == envelope
    headers = dict(envelope.headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_source"] == b"/tandem/customer"
    assert headers["ce_type"] == b"tandem.customer.customer.created.v1"
    assert headers["content-type"] == b"application/json"
    assert headers["correlation_id"] == b"corr-1"


def test_money_travels_as_a_decimal_string():
    assert b'"amount":"5000.00"' in _created().model_dump_json().encode()


@pytest.mark.parametrize("drop", ["ce_id", "ce_type", "ce_specversion", "content-type"])
def test_a_record_missing_a_cloudevents_header_is_a_contract_violation(drop):
    envelope = Envelope.wrap(_created(), subject="x")
    headers = [(k, v) for k, v in envelope.headers() if k != drop]
    with pytest.raises(ContractViolation, match=drop):
        decode(CustomerCreated, headers, envelope.value())


def test_a_payload_that_breaks_its_contract_names_the_field():
    envelope = Envelope.wrap(_created(), subject="x")
    with pytest.raises(ContractViolation, match="credit_limit"):
        decode(
            CustomerCreated,
            envelope.headers(),
            b'{"customer_id": "%s", "version": 1, '
            b'"name": "A", "status": "prospect"}' % str(uuid.uuid4()).encode(),
        )


def test_an_event_type_foreign_to_the_topic_is_refused():
    envelope = Envelope.wrap(_created(), subject="x")
    with pytest.raises(ContractViolation, match="not known"):
        decode(
            CUSTOMERS.event_class("tandem.customer.nothing.v1"),
            envelope.headers(),
            envelope.value(),
        )


def test_a_topic_cannot_carry_an_event_it_does_not_declare():
    lead = LeadConverted(
        lead_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        opportunity_name="x",
        converted_at="2026-01-01T00:00:00Z",
    )
    assert not CUSTOMERS.carries(lead)
    assert CUSTOMERS.carries(_created())


def test_a_topic_refuses_a_key_of_the_wrong_type():
    with pytest.raises(TypeError):
        CUSTOMERS.encode_key("not-a-uuid")
    assert DEMAND.encode_key("SKU-1") == b"SKU-1"


def test_every_topic_follows_the_naming_rules_and_each_event_type_has_one_topic():
    seen = {}
    for topic in REGISTRY:
        assert topic.name.startswith(topic.service + ".")
        for event in topic.events:
            assert event.event_type.startswith(f"tandem.{topic.service}.")
            assert event.event_type not in seen, f"{event.event_type} on two topics"
            seen[event.event_type] = topic.name
    assert REGISTRY.topic_for("tandem.customer.customer.created.v1") is CUSTOMERS
