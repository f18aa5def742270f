"""Customer flows through the gateway, checked on the wire (Kafka) as external subscribers see them."""

import asyncio
import json
import uuid

from aiokafka import AIOKafkaConsumer

from tandem_kit.testing.plugin import wait_until as wait_for


async def find_event(bootstrap: str, topic: str, ce_type: str, subject: str, timeout: float = 30.0):
    """The first record on ``topic`` with this CloudEvents type and subject: (headers, value)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=10
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            while True:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        headers = {k: v.decode() for k, v in record.headers}
                        if (
                            headers.get("ce_type") == ce_type
                            and headers.get("ce_subject") == subject
                        ):
                            return headers, json.loads(record.value)
    finally:
        await consumer.stop()


async def test_a_lead_converted_through_the_gateway_becomes_customer_and_contact_and_an_event(
    system, gateway, token
):
    rep = token(f"rep-{uuid.uuid4().hex[:6]}", ("sales_rep",))
    company = f"Umbrella {uuid.uuid4().hex[:8]}"
    captured = gateway.post(
        "/api/v1/leads",
        headers=rep,
        json={
            "name": "Alice Wesker",
            "email": f"alice@{company.split()[1]}.example.com",
            "company": company,
            "source": "referral",
            "estimated_amount": {"amount": "25000.00", "currency": "EUR"},
        },
    )
    assert captured.status_code == 201, captured.text
    lead = captured.json()
    assert lead["score"] > 0 and lead["score_explanation"]

    qualified = gateway.post(
        f"/api/v1/leads/{lead['id']}/qualify", headers={**rep, "If-Match": '"1"'}
    )
    assert qualified.status_code == 200, qualified.text
    converted = gateway.post(
        f"/api/v1/leads/{lead['id']}/convert",
        headers={**rep, "Idempotency-Key": f"convert-{lead['id']}"},
        json={"opportunity_name": f"{company} pilot"},
    )
    assert converted.status_code == 200, converted.text
    result = converted.json()
    assert result["lead"]["status"] == "converted"

    customer = gateway.get(f"/api/v1/customers/{result['customer_id']}", headers=rep)
    assert customer.status_code == 200 and customer.json()["name"] == company
    contacts = gateway.get(
        f"/api/v1/contacts?customer_id={result['customer_id']}", headers=rep
    ).json()
    assert [c["id"] for c in contacts["items"]] == [result["contact_id"]]
    assert contacts["items"][0]["name"] == "Alice Wesker"

    headers, value = await find_event(
        system.kafka_bootstrap, "customer.leads.v1", "tandem.customer.lead.converted.v1", lead["id"]
    )
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_source"] == "/tandem/customer"
    assert headers["content-type"] == "application/json"
    uuid.UUID(headers["ce_id"])
    assert headers["ce_time"]
    assert value["customer_id"] == result["customer_id"]
    assert value["contact_id"] == result["contact_id"]
    assert value["opportunity_name"] == f"{company} pilot"
    assert value["estimated_amount"] == {"amount": "25000.0000", "currency": "EUR"} or value[
        "estimated_amount"
    ]["amount"].startswith("25000")

    # Sales opens exactly one opportunity from the conversion.
    def opportunities():
        r = gateway.get(
            "/api/v1/opportunities", headers=rep, params={"customer_id": result["customer_id"]}
        )
        return r.json()["items"] if r.status_code == 200 and r.json()["items"] else None

    opened = wait_for(opportunities)
    assert [(o["lead_id"], o["name"]) for o in opened] == [(lead["id"], f"{company} pilot")]


def test_ticket_summary_and_customer_value_answer_through_the_gateway(gateway, token):
    admin = token()
    created = gateway.post(
        "/api/v1/customers?allow_duplicates=true",
        headers=admin,
        json={
            "name": f"Value {uuid.uuid4().hex[:6]}",
            "email": f"v{uuid.uuid4().hex[:6]}@example.com",
            "credit_limit": {"amount": "0", "currency": "EUR"},
        },
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    ticket = gateway.post(
        "/api/v1/tickets", headers=admin, json={"customer_id": cid, "subject": "Cannot log in"}
    )
    assert ticket.status_code == 201, ticket.text
    summary = gateway.get("/api/v1/tickets/summary", headers=admin).json()
    assert summary["by_status"]["new"] >= 1 and "breaching_ids" in summary
    value = gateway.get(f"/api/v1/customers/{cid}/value", headers=admin).json()
    assert value == {
        "customer_id": cid,
        "lifetime_revenue": {"amount": "0", "currency": "EUR"},
        "order_count": 0,
        "last_order_at": None,
        "tier": "bronze",
    }
