"""An external librdkafka client sees CloudEvents headers and schema-valid JSON."""

import asyncio
import json
import uuid
from pathlib import Path

import jsonschema
from confluent_kafka import Consumer

from tandem_customer.main import create_app
from tandem_customer.settings import CustomerSettings
from tandem_customer.worker import create_worker
from tandem_kit.migrations import upgrade
from tandem_kit.settings import AuthSettings
from tandem_kit.testing.plugin import bearer, service_client

SCHEMA = (
    Path(__file__).resolve().parents[2] / "shared/contracts/schemas/current/"
    "tandem.customer.customer.created.v1.json"
)


def _find(bootstrap: str, key: bytes, timeout: float = 30.0):
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"external-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe(["customer.customers.v1"])
    try:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            if message.key() == key:
                return message
        raise AssertionError("the event never reached the external subscriber")
    finally:
        consumer.close()


async def test_an_external_librdkafka_subscriber_reads_cloudevents_and_valid_json(
    kafka_settings, sqlite_url
):
    await upgrade(sqlite_url, "tandem_customer.db:migrations")
    settings = CustomerSettings(
        database_url=sqlite_url, kafka=kafka_settings, auth=AuthSettings(development=True)
    )
    async with service_client(create_app(settings)) as client:
        response = await client.post(
            "/api/v1/customers",
            headers={**bearer(), "X-Correlation-ID": "corr-external-1"},
            json={
                "name": "Globex",
                "email": "buyer@globex.com",
                "credit_limit": {"amount": "2500.50", "currency": "USD"},
            },
        )
        assert response.status_code == 201
        customer_id = response.json()["id"]
    stop = asyncio.Event()
    worker = asyncio.create_task(create_worker(settings).run(stop))
    try:
        message = await asyncio.to_thread(
            _find, kafka_settings.bootstrap_servers, customer_id.encode()
        )
    finally:
        stop.set()
        await worker
    headers = {k: v.decode() for k, v in message.headers()}
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_type"] == "tandem.customer.customer.created.v1"
    assert headers["ce_source"] == "/tandem/customer"
    assert headers["ce_subject"] == customer_id
    assert headers["content-type"] == "application/json"
    assert headers["correlation_id"] == "corr-external-1"
    uuid.UUID(headers["ce_id"])
    value = json.loads(message.value())
    jsonschema.validate(value, json.loads(SCHEMA.read_text()))
    assert value["credit_limit"] == {"amount": "2500.5000", "currency": "USD"} or value[
        "credit_limit"
    ]["amount"].startswith("2500.5")
