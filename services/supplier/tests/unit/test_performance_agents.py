"""The performance agents without a broker (Faust ``test_context``)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest.mock import AsyncMock

import pytest

from tandem_contracts import Envelope, Money
from tandem_contracts import procurement as contract
from tandem_kit.settings import KafkaSettings
from tandem_supplier.domain.scoring import ScoringPolicy
from tandem_supplier.streams.facts import decode_fact, encode_fact, to_fact
from tandem_supplier.streams.performance import build_performance_stream

SUPPLIER = uuid.uuid4()
PO = uuid.uuid4()
LINE = uuid.uuid4()
ISSUED = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _record(event, subject=PO):
    envelope = Envelope.wrap(event, subject=str(subject))
    return envelope.headers(), envelope.value()


def _issued(version=1, status="issued", **extra):
    cls = (
        contract.PurchaseOrderAcknowledged
        if "acknowledged_at" in extra
        else contract.PurchaseOrderIssued
    )
    return cls(
        purchase_order_id=PO, supplier_id=SUPPLIER, version=version, status=status, issued_at=ISSUED,
        lines=[contract.PurchaseOrderLine(line_id=LINE, sku="SKU-1", quantity=Decimal(100),
                                          unit_price=Money(amount=Decimal("10.00"), currency="EUR"),
                                          promised_date=date(2026, 3, 10))],
        **extra,
    )  # fmt: skip


def _receipt(receipt_id, at, accepted="100", rejected="0"):
    return contract.GoodsReceived(
        receipt_id=receipt_id, purchase_order_id=PO, supplier_id=SUPPLIER, received_at=at,
        lines=[contract.ReceiptLine(sku="SKU-1", quantity_accepted=Decimal(accepted), quantity_rejected=Decimal(rejected))],
    )  # fmt: skip


@pytest.fixture
def stream():
    results = []

    async def on_result(supplier_id, result):
        results.append((supplier_id, result))

    built = build_performance_stream(
        app_id="supplier-performance",
        kafka=KafkaSettings(),
        policy=ScoringPolicy(),
        on_result=on_result,
    )
    built.results = results
    return built


def test_records_decode_into_facts_that_survive_the_repartition_topic():
    headers, value = _record(
        _issued(version=2, status="acknowledged", acknowledged_at=ISSUED + timedelta(hours=4))
    )
    fact = to_fact(headers, value)
    assert fact.supplier_id == str(SUPPLIER) and fact.acknowledged_at == ISSUED + timedelta(hours=4)
    assert decode_fact(encode_fact(fact)) == fact
    receipt = to_fact(*_record(_receipt(uuid.uuid4(), ISSUED)))
    assert decode_fact(encode_fact(receipt)) == receipt


def test_contract_prices_are_read_from_contract_lines():
    event = contract.ContractChanged(
        contract_id=uuid.uuid4(), supplier_id=SUPPLIER, version=1, status="active",
        valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31),
    )  # fmt: skip
    headers, value = _record(event, subject=event.contract_id)
    body = (
        value[:-1] + b',"lines":[{"sku":"SKU-1","unit_price":{"amount":"9.00","currency":"EUR"}}]}'
    )
    fact = to_fact(headers, body)
    assert fact.prices == {"SKU-1": (Decimal("9.00"), "EUR")}
    assert decode_fact(encode_fact(fact)) == fact


def test_a_record_breaking_its_contract_is_refused():
    from tandem_contracts.envelope import ContractViolation

    headers, _ = _record(_issued())
    with pytest.raises(ContractViolation):
        to_fact(headers, b'{"purchase_order_id": "nope"}')


async def test_the_route_agent_rekeys_facts_by_supplier(stream):
    stream.facts.send = AsyncMock()
    headers, value = _record(_issued())
    async with stream.route.test_context() as agent:
        await agent.put(key=str(PO).encode(), value=value, headers=headers)
    stream.facts.send.assert_awaited_once()
    sent = stream.facts.send.await_args.kwargs
    assert sent["key"] == str(SUPPLIER).encode()
    assert decode_fact(sent["value"]).purchase_order_id == str(PO)


async def test_the_route_agent_dead_letters_what_breaks_the_contract(stream):
    stream.facts.send = AsyncMock()
    stream.dead_letters.send = AsyncMock()
    headers, _ = _record(_issued())
    async with stream.route.test_context() as agent:
        await agent.put(key=str(PO).encode(), value=b"{}", headers=headers)
    stream.facts.send.assert_not_awaited()
    dlq = stream.dead_letters.send.await_args.kwargs
    assert any(k == "dlq_error" for k, _ in dlq["headers"])


async def test_the_score_agent_scores_and_a_replay_gives_the_same_result(stream):
    facts = [
        to_fact(*_record(e))
        for e in (
            _issued(),
            _issued(version=2, status="acknowledged", acknowledged_at=ISSUED + timedelta(days=3)),
            _receipt(uuid.uuid4(), datetime(2026, 3, 12, tzinfo=UTC), accepted="70", rejected="10"),
        )
    ]
    key = str(SUPPLIER).encode()
    async with stream.score.test_context() as agent:
        for fact in facts:
            await agent.put(key=key, value=encode_fact(fact))
        first = stream.results[-1][1]
        for fact in facts:  # redelivered: no double counting
            await agent.put(key=key, value=encode_fact(fact))
    again = stream.results[-1][1]
    assert stream.results[-1][0] == SUPPLIER
    assert again == first
    criteria = {c["criterion"]: c for c in first.criteria}
    assert criteria["on_time_delivery"]["score"] == "0.00"  # late and short
    assert criteria["in_full_delivery"]["score"] == "0.00"  # 80 of 100
    assert criteria["quality_acceptance"]["score"] == "87.50"  # 70 of 80
    assert criteria["acknowledgement_responsiveness"]["score"] == "0.00"  # after 72 h
    assert first.score == Decimal("25.74") and first.standing == "probation"
