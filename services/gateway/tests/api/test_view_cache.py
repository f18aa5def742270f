"""The customer 360 cache against a real broker: served while nothing changed, dropped by the
events that name the customer and by writes through the gateway, off without the broker."""

import json
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from tandem_contracts import Envelope
from tandem_contracts import customer as contract
from tandem_gateway.invalidation import VIEW_TOPICS, invalidate_for_write
from tandem_gateway.viewcache import ViewCache
from tandem_kit.kafka import ensure_topics
from tandem_kit.settings import KafkaSettings
from tandem_kit.testing.plugin import eventually


def path_of(world):
    return f"/api/v1/customers/{world.customer_id}/360"


def bundle_calls(world):
    return sum(1 for _, path, _, _ in world.calls if path.endswith("/bundle"))


async def cached_gateway(gateway_client, kafka: KafkaSettings):
    await ensure_topics(kafka)
    client = await gateway_client(view_cache_entries=100, kafka=kafka)
    cache: ViewCache = client.gateway_app.state.view_cache

    async def following():
        return cache.usable

    await eventually(following, timeout=30)
    return client, cache


async def publish_contact(kafka: KafkaSettings, customer_id: str) -> None:
    event = contract.ContactChanged(
        contact_id=uuid.uuid4(), customer_id=uuid.UUID(customer_id), version=1, name="Bo"
    )
    envelope = Envelope.wrap(event, subject=str(event.contact_id))
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            contract.CONTACTS.name,
            envelope.value(),
            key=str(event.contact_id).encode(),
            headers=envelope.headers(),
        )
    finally:
        await producer.stop()


async def test_a_360_is_served_again_until_an_event_names_its_customer(
    world, gateway_client, bearer, kafka_settings
):
    client, _ = await cached_gateway(gateway_client, kafka_settings)
    first = await client.get(path_of(world), headers=bearer())
    assert first.status_code == 200 and first.headers["x-cache"] == "miss"
    calls = bundle_calls(world)
    again = await client.get(path_of(world), headers=bearer())
    assert again.headers["x-cache"] == "hit" and again.json() == first.json()
    assert bundle_calls(world) == calls  # no service was asked
    # Another caller gets an answer of their own: the services decide what each one sees.
    other = await client.get(path_of(world), headers=bearer("sales_rep", subject="rep"))
    assert other.headers["x-cache"] == "miss"

    await publish_contact(kafka_settings, world.customer_id)

    async def dropped():
        answer = await client.get(path_of(world), headers=bearer())
        return answer.headers["x-cache"] == "miss"

    await eventually(dropped, timeout=20)
    fresh = await client.get(path_of(world), headers=bearer())
    assert fresh.headers["x-cache"] == "hit"  # kept again


async def test_an_event_on_each_topic_of_a_360_drops_it(
    world, gateway_client, bearer, kafka_settings
):
    client, _ = await cached_gateway(gateway_client, kafka_settings)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    await producer.start()
    try:
        for topic in VIEW_TOPICS:
            await client.get(path_of(world), headers=bearer())
            assert (await client.get(path_of(world), headers=bearer())).headers["x-cache"] == "hit"
            named = json.dumps({"customer_id": world.customer_id, "version": 1}).encode()
            await producer.send_and_wait(topic.name, named, key=world.customer_id.encode())

            async def dropped():
                answer = await client.get(path_of(world), headers=bearer())
                return answer.headers["x-cache"] == "miss"

            await eventually(dropped, timeout=20)
    finally:
        await producer.stop()
    assert {t.name for t in VIEW_TOPICS} >= {"customer.values.v1", "sales.orders.v1"}


async def test_a_write_through_the_gateway_shows_in_the_writers_next_360(
    world, gateway_client, bearer, kafka_settings
):
    client, _ = await cached_gateway(gateway_client, kafka_settings)
    before = await client.get(path_of(world), headers=bearer())
    assert (await client.get(path_of(world), headers=bearer())).headers["x-cache"] == "hit"
    opened = await client.post(
        "/api/v1/tickets", headers=bearer(), json={"customer_id": world.customer_id}
    )
    assert opened.status_code == 201
    after = await client.get(path_of(world), headers=bearer())  # at once: no event awaited
    assert after.headers["x-cache"] == "miss"
    ids = [t["id"] for t in after.json()["open_tickets"]["items"]]
    assert opened.json()["id"] in ids and len(ids) == len(before.json()["open_tickets"]["items"]) + 1


async def test_no_cache_composes_afresh_and_a_partial_answer_is_not_kept(
    world, gateway_client, bearer, kafka_settings
):
    client, cache = await cached_gateway(gateway_client, kafka_settings)
    await client.get(path_of(world), headers=bearer())
    fresh = await client.get(path_of(world), headers={**bearer(), "Cache-Control": "no-cache"})
    assert fresh.headers["x-cache"] == "bypass"
    cache.invalidate_all()
    world.down.add("sales")
    partial = await client.get(path_of(world), headers=bearer())
    assert partial.json()["complete"] is False and len(cache) == 0


async def test_without_the_broker_every_360_is_composed_afresh(
    world, gateway_client, bearer, embedded_broker
):
    kafka = KafkaSettings(bootstrap_servers=embedded_broker.bootstrap_servers)
    client, cache = await cached_gateway(gateway_client, kafka)
    await client.get(path_of(world), headers=bearer())
    assert (await client.get(path_of(world), headers=bearer())).headers["x-cache"] == "hit"
    embedded_broker.stop()

    async def off():
        answer = await client.get(path_of(world), headers=bearer())
        return answer.headers["x-cache"] == "off"

    await eventually(off, timeout=30)  # within the grace (2 s) and a fetch
    cache.followed()  # as the listener does once the broker answers again:
    assert len(cache) == 0  # what was kept before the gap is not served again


def following_cache() -> ViewCache:
    cache = ViewCache(100, 30.0)
    cache.followed()
    return cache


@pytest.mark.parametrize(
    ("path", "request_body", "answer", "dropped"),
    [
        ("tickets", b'{"customer_id": "%(c)s"}', b'{"id": "t"}', "one"),
        ("orders/x/confirm", b"", b'{"id": "o", "customer_id": "%(c)s"}', "one"),
        ("customers/%(c)s", b'{"name": "N"}', b'{"id": "%(c)s"}', "one"),
        ("customers/%(c)s/merge", b'{"into": "y"}', b"{}", "all"),
        ("customers", b'{"name": "New"}', b'{"id": "n"}', "none"),  # nothing of it is kept
        ("customers/import", b"csv", b"{}", "all"),
        ("opportunities/x/win", b"", b"{}", "all"),  # names nobody: may be anyone's
        ("suppliers/x/approve", b"", b"{}", "none"),  # not part of a customer 360
    ],
)
def test_a_write_drops_the_answers_of_the_customers_it_names(path, request_body, answer, dropped):
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    cache = following_cache()
    for customer in (mine, theirs):
        cache.store(("360", customer), customer, cache.ticket(), b"{}")
    def fill(text: bytes) -> bytes:
        return text.replace(b"%(c)s", mine.encode())

    invalidate_for_write(cache, path.replace("%(c)s", mine), fill(request_body), fill(answer))
    left = {c for c in (mine, theirs) if cache.lookup(("360", c)) is not None}
    assert left == {"one": {theirs}, "all": set(), "none": {mine, theirs}}[dropped]
