"""The idempotent consumer: duplicates change nothing; bad records go to the dead-letter topic."""

import asyncio
import uuid
from types import SimpleNamespace

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from sqlalchemy import func, insert, select

from tandem_contracts import Envelope
from tandem_contracts.customer import CustomerCreated
from tandem_kit.consumer import EventConsumer, LatestState, Subscription
from tandem_kit.db import inbox_table
from tandem_kit.kafka import ensure_topics
from tandem_kit.settings import ServiceSettings
from tandem_kit.testing.plugin import eventually, unique
from tandem_kit.testing.samples import customer_created, effects, make_topic
from tandem_kit.uow import SqlUnitOfWork


def _no_translation(aggregate, event):
    raise AssertionError("nothing to publish")


async def _record_effect(envelope, uow):
    await uow.session.execute(insert(effects).values(event_id=envelope.id, name=envelope.data.name))


async def _always_fail(envelope, uow):
    await _record_effect(envelope, uow)
    raise RuntimeError("handler is broken")


async def _count(engine, table) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)))


@pytest.fixture
async def run_consumer(sessions, kafka_settings):
    tasks = []

    async def start(topic, handler, max_attempts=3, latest=None):
        group = unique("test-group")
        settings = ServiceSettings(
            kafka=kafka_settings, consumer_max_attempts=max_attempts, consumer_retry_backoff_ms=1
        )
        consumer = EventConsumer(
            settings=settings,
            group_id=group,
            subscriptions=[
                Subscription(topic, {type(customer_created().data): handler}, latest=latest)
            ],
            uow_factory=lambda: SqlUnitOfWork(sessions, _no_translation),
        )
        stop = asyncio.Event()
        tasks.append((stop, asyncio.create_task(consumer.run(stop))))
        return consumer

    yield start
    for stop, task in tasks:
        stop.set()
        await task


async def _produce(bootstrap, topic, records):
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, headers, value in records:
            await producer.send_and_wait(topic, key=key, value=value, headers=headers)
    finally:
        await producer.stop()


async def _dead_letters(bootstrap, dlq, count):
    consumer = AIOKafkaConsumer(
        dlq, bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=10
    )
    await consumer.start()
    found = []
    try:
        async with asyncio.timeout(20):
            while len(found) < count:
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    found.extend(batch)
    finally:
        await consumer.stop()
    return found


async def test_the_same_event_delivered_twice_is_applied_once(engine, kafka_settings, run_consumer):
    topic = make_topic()
    await ensure_topics(kafka_settings, [topic])
    first, second = customer_created("first"), customer_created("second")
    key = first.subject.encode()
    await _produce(
        kafka_settings.bootstrap_servers,
        topic.name,
        [
            (key, first.headers(), first.value()),
            (key, first.headers(), first.value()),  # redelivery
            (second.subject.encode(), second.headers(), second.value()),
        ],
    )
    await run_consumer(topic, _record_effect)
    await eventually(lambda: _count_is(engine, 2))
    await asyncio.sleep(0.3)  # nothing further may arrive
    assert await _count(engine, effects) == 2
    assert await _count(engine, inbox_table) == 2


async def _count_is(engine, n) -> bool:
    return await _count(engine, effects) == n


async def test_a_payload_that_breaks_its_contract_is_dead_lettered_and_the_next_is_handled(
    engine, kafka_settings, run_consumer
):
    topic = make_topic()
    await ensure_topics(kafka_settings, [topic])
    bad, good = customer_created("bad"), customer_created("good")
    await _produce(
        kafka_settings.bootstrap_servers,
        topic.name,
        [
            (bad.subject.encode(), bad.headers(), b'{"customer_id": "not-a-uuid"}'),
            (bad.subject.encode(), bad.headers(), b'{"customer_id": "not-a-uuid"}'),
            (good.subject.encode(), good.headers(), good.value()),
        ],
    )
    consumer = await run_consumer(topic, _record_effect)
    await eventually(lambda: _count_is(engine, 1))
    async with engine.connect() as conn:
        assert (await conn.scalar(select(effects.c.event_id))) == good.id
    letters = await _dead_letters(kafka_settings.bootstrap_servers, consumer.dlq, 2)
    headers = dict(letters[0].headers)
    assert headers["dlq_original_topic"].decode() == topic.name
    assert headers["dlq_consumer_group"].decode() == consumer.group_id
    assert b"breaks its contract" in headers["dlq_error"]
    assert headers["ce_id"] == str(bad.id).encode()
    assert {int(dict(r.headers)["dlq_original_offset"]) for r in letters} == {0, 1} or len(
        letters
    ) == 2
    assert await _count(engine, inbox_table) == 1


async def test_a_handler_that_keeps_failing_is_retried_then_dead_lettered_without_effect(
    engine, kafka_settings, run_consumer
):
    topic = make_topic()
    await ensure_topics(kafka_settings, [topic])
    event = customer_created()
    await _produce(
        kafka_settings.bootstrap_servers,
        topic.name,
        [(event.subject.encode(), event.headers(), event.value())],
    )
    consumer = await run_consumer(topic, _always_fail, max_attempts=3)
    letters = await _dead_letters(kafka_settings.bootstrap_servers, consumer.dlq, 1)
    headers = dict(letters[0].headers)
    assert headers["dlq_attempts"] == b"3"
    assert b"handler is broken" in headers["dlq_error"]
    assert await _count(engine, effects) == 0
    assert await _count(engine, inbox_table) == 0
    assert uuid.UUID(headers["ce_id"].decode()) == event.id


NEWEST_CUSTOMER = LatestState(
    key=lambda e: e.data.customer_id,
    supersedes=lambda later, earlier: later.data.version >= earlier.data.version,
)


def _customer_state(customer_id, version, name):
    event = customer_created(name).data.model_copy(
        update={"customer_id": customer_id, "version": version}
    )
    return Envelope.wrap(
        CustomerCreated.model_validate(event.model_dump()), subject=str(customer_id)
    )


async def test_states_a_later_event_of_the_same_fetch_supersedes_are_not_handled(
    engine, kafka_settings, run_consumer
):
    topic = make_topic()
    await ensure_topics(kafka_settings, [topic])
    a, b = uuid.uuid4(), uuid.uuid4()
    states = [
        _customer_state(a, 1, "a1"),
        _customer_state(a, 2, "a2"),
        _customer_state(b, 2, "b2"),
        _customer_state(a, 3, "a3"),
        _customer_state(a, 1, "a1-late"),  # older than a3: supersedes nothing, is handled
    ]
    await _produce(
        kafka_settings.bootstrap_servers,
        topic.name,
        [(e.subject.encode(), e.headers(), e.value()) for e in states],
    )
    await run_consumer(topic, _record_effect, latest=NEWEST_CUSTOMER)
    await eventually(lambda: _count_is(engine, 3))
    await asyncio.sleep(0.3)  # nothing further may arrive
    async with engine.connect() as conn:
        names = set((await conn.scalars(select(effects.c.name))).all())
    assert names == {"a3", "b2", "a1-late"}
    assert await _count(engine, inbox_table) == 3


def test_only_an_event_as_new_by_the_subscriber_s_rule_supersedes(kafka_settings):
    topic = make_topic()
    consumer = EventConsumer(
        settings=ServiceSettings(kafka=kafka_settings),
        group_id=unique("test-group"),
        subscriptions=[
            Subscription(topic, {CustomerCreated: _record_effect}, latest=NEWEST_CUSTOMER)
        ],
        uow_factory=lambda: SqlUnitOfWork(None, _no_translation),
    )
    a, b = uuid.uuid4(), uuid.uuid4()
    decoded = [
        _customer_state(a, 2, "a2"),
        _customer_state(a, 2, "a2-again"),  # the same version again: the first is redundant
        _customer_state(b, 5, "b5"),
        _customer_state(a, 1, "a1-late"),
        _customer_state(b, 4, "b4-late"),
    ]
    records = [SimpleNamespace(topic=topic.name) for _ in decoded]
    assert consumer._superseded(records, decoded) == {0}
    plain = EventConsumer(
        settings=ServiceSettings(kafka=kafka_settings),
        group_id=unique("test-group"),
        subscriptions=[Subscription(topic, {CustomerCreated: _record_effect})],
        uow_factory=lambda: SqlUnitOfWork(None, _no_translation),
    )
    assert plain._superseded(records, decoded) == set()


async def test_twins_applying_the_same_event_at_once_apply_it_once(
    engine, sessions, kafka_settings
):
    """Two members of a group (a rebalance) handle one record concurrently: one applies it,
    the other finds it in the inbox, whichever database."""
    topic, event = make_topic(), customer_created()
    handled = asyncio.Event()

    async def slow_effect(envelope, uow):
        await _record_effect(envelope, uow)
        await asyncio.sleep(0.2)  # the twin arrives while this transaction is open
        handled.set()

    def member() -> EventConsumer:
        return EventConsumer(
            settings=ServiceSettings(kafka=kafka_settings),
            group_id="test-twins",
            subscriptions=[Subscription(topic, {type(event.data): slow_effect})],
            uow_factory=lambda: SqlUnitOfWork(sessions, _no_translation),
        )

    value = event.value()
    record = ConsumerRecord(
        topic.name, 0, 0, 0, 0, event.subject.encode(), value, None, 0, len(value),
        tuple(event.headers()),
    )  # fmt: skip
    outcomes = await asyncio.gather(member().process(record), member().process(record))
    assert sorted(outcomes) == ["duplicate", "handled"] and handled.is_set()
    assert await _count(engine, effects) == 1
    assert await _count(engine, inbox_table) == 1
