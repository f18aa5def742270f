"""The idempotent consumer: duplicates change nothing; bad records go to the dead-letter topic."""

import asyncio
import json
import uuid
from types import SimpleNamespace

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import func, insert, select

from tandem_contracts import Envelope
from tandem_contracts.customer import CustomerCreated
from tandem_kit.consumer import EventConsumer, LatestState, Subscription
from tandem_kit.db import inbox_table, outbox_table
from tandem_kit.kafka import caught_up, ensure_topics
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

    async def start(topic, handler, max_attempts=3, latest=None, gather_ms=0, uow=SqlUnitOfWork):
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
            uow_factory=lambda: uow(sessions, _no_translation),
            gather_ms=gather_ms,
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


async def test_a_consumer_may_wait_longer_per_fetch_than_the_service(
    engine, sessions, kafka_settings
):
    """A view's consumer asks the broker less often; the service's setting is left alone."""
    topic = make_topic()
    await ensure_topics(kafka_settings, [topic])
    settings = ServiceSettings(kafka=kafka_settings)
    slow = EventConsumer(
        settings=settings,
        group_id=unique("test-group"),
        subscriptions=[Subscription(topic, {CustomerCreated: _record_effect})],
        uow_factory=lambda: SqlUnitOfWork(sessions, _no_translation),
        fetch_wait_ms=150,
    )
    assert slow.kafka.fetch_max_wait_ms == 150 and slow.kafka.fetch_idle_max_wait_ms >= 150
    assert settings.kafka.fetch_max_wait_ms == kafka_settings.fetch_max_wait_ms
    stop = asyncio.Event()
    task = asyncio.create_task(slow.run(stop))
    try:
        await asyncio.wait_for(slow.ready.wait(), 30)
        assert slow._consumer._fetcher._fetch_max_wait_ms >= 150  # idle polls may raise it
        event = customer_created("slow")
        await _produce(
            kafka_settings.bootstrap_servers,
            topic.name,
            [(event.subject.encode(), event.headers(), event.value())],
        )
        await eventually(lambda: _count_is(engine, 1), timeout=20)
    finally:
        stop.set()
        await task


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


def _record(topic, envelope, offset, partition=0):
    value = envelope.value()
    return ConsumerRecord(
        topic.name, partition, offset, 0, 0, envelope.subject.encode(), value, None, 0,
        len(value), tuple(envelope.headers()),
    )  # fmt: skip


class _CountingUnitOfWork(SqlUnitOfWork):
    commits = 0

    async def commit(self) -> None:
        await super().commit()
        type(self).commits += 1


class _Letters:
    """Stands in for the dead-letter producer: keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send_and_wait(self, topic, key, value, headers):
        self.sent.append(dict(headers))


def _grouping_consumer(sessions, kafka_settings, topic, handler, batch_size):
    consumer = EventConsumer(
        settings=ServiceSettings(
            kafka=kafka_settings,
            consumer_batch_size=batch_size,
            consumer_max_attempts=2,
            consumer_retry_backoff_ms=1,
        ),
        group_id=unique("test-group"),
        subscriptions=[Subscription(topic, {CustomerCreated: handler})],
        uow_factory=lambda: _CountingUnitOfWork(sessions, _no_translation),
    )
    consumer._producer = _Letters()  # type: ignore[assignment]
    return consumer


async def _echo(envelope, uow):
    """The effect, and an event published in reply (its outbox row names its cause)."""
    await _record_effect(envelope, uow)
    reply = customer_created(f"reply to {envelope.data.name}")
    uow.publish(_REPLY_TOPIC, reply)


_REPLY_TOPIC = make_topic()


async def test_consecutive_events_share_one_transaction_and_each_reply_names_its_cause(
    engine, sessions, kafka_settings
):
    topic = make_topic()
    events = [customer_created(f"c{i}") for i in range(7)]
    consumer = _grouping_consumer(sessions, kafka_settings, topic, _echo, batch_size=3)
    _CountingUnitOfWork.commits = 0
    records = [_record(topic, e, i) for i, e in enumerate(events)]
    records.insert(2, _record(topic, events[1], 99))  # redelivered inside the same group
    assert await consumer._handle(records, asyncio.Event()) == len(records)
    assert _CountingUnitOfWork.commits == 3  # [c0 c1 c1'] [c2 c3 c4] [c5 c6]
    assert await _count(engine, effects) == 7
    assert await _count(engine, inbox_table) == 7
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox_table.c.payload, outbox_table.c.headers))).all()
    causes = {}
    for payload, headers in rows:
        names = dict(headers)
        causes[json.loads(payload)["name"]] = (names["causation_id"], names["correlation_id"])
    assert causes == {f"reply to {e.data.name}": (str(e.id), str(e.id)) for e in events}


async def test_one_failing_event_rolls_its_group_back_and_the_others_are_handled_alone(
    engine, sessions, kafka_settings
):
    topic = make_topic()
    events = [customer_created(f"c{i}") for i in range(4)]

    async def fails_on_c2(envelope, uow):
        await _record_effect(envelope, uow)
        if envelope.data.name == "c2":
            raise RuntimeError("c2 is refused")

    consumer = _grouping_consumer(sessions, kafka_settings, topic, fails_on_c2, batch_size=10)
    _CountingUnitOfWork.commits = 0
    stop = asyncio.Event()
    assert await consumer._handle([_record(topic, e, i) for i, e in enumerate(events)], stop) == 4
    async with engine.connect() as conn:
        names = set((await conn.scalars(select(effects.c.name))).all())
    assert names == {"c0", "c1", "c3"}  # nothing of c2, and nothing of the group twice
    assert await _count(engine, inbox_table) == 3
    assert _CountingUnitOfWork.commits == 3  # the group's commit never happened; one each after
    (letter,) = consumer._producer.sent  # type: ignore[attr-defined]
    assert letter["ce_id"] == str(events[2].id).encode()
    assert b"c2 is refused" in letter["dlq_error"]


async def test_what_a_fetch_finished_is_told_per_record_and_stops_where_handling_stopped(
    engine, sessions, kafka_settings
):
    """The records of two partitions in one sequence: each group's records are reported
    finished once the group is, a contract violation at once, and nothing after a stop."""
    topic = make_topic()
    events = [customer_created(f"c{i}") for i in range(4)]
    stop = asyncio.Event()
    heard: list = []

    async def stops_after_c1(envelope, uow):
        await _record_effect(envelope, uow)
        heard.append(envelope.data.name)
        if envelope.data.name == "c1":
            stop.set()

    def finished(record):
        heard.append((record.partition, record.offset))

    consumer = _grouping_consumer(sessions, kafka_settings, topic, stops_after_c1, batch_size=2)
    broken = ConsumerRecord(topic.name, 1, 7, 0, 0, b"k", b"not json", None, 0, 8, ())
    records = [
        _record(topic, events[0], 10, partition=0),
        _record(topic, events[1], 11, partition=0),
        broken,
        _record(topic, events[2], 8, partition=1),
        _record(topic, events[3], 9, partition=1),
    ]
    assert await consumer._handle(records, stop, finished) == 2
    assert heard == ["c0", "c1", (0, 10), (0, 11)]  # the group of c0 and c1, then the stop
    stop.clear()
    heard.clear()
    assert await consumer._handle(records[2:], stop, finished) == 3
    # The violation (dead-lettered on its own) is finished before the group after it runs.
    assert heard == [(1, 7), "c2", "c3", (1, 8), (1, 9)]
    assert len(consumer._producer.sent) == 1  # type: ignore[attr-defined]


@pytest.fixture
def commits(monkeypatch) -> list[dict]:
    """Every offset commit the test's consumers send, as the offsets each names."""
    sent: list[dict] = []
    commit = AIOKafkaConsumer.commit

    async def counted(self, offsets=None):
        if self._group_id.startswith("test-group"):
            sent.append(dict(offsets))
        return await commit(self, offsets)

    monkeypatch.setattr(AIOKafkaConsumer, "commit", counted)
    return sent


async def test_one_offset_commit_per_fetch_names_every_partition_it_finished(
    engine, kafka_settings, run_consumer, commits
):
    """A fetch that brings records of several partitions costs one commit request, not one
    per partition, and each partition's committed offset is past its last record."""
    topic = make_topic()
    await _spread_over_three_partitions(kafka_settings, topic, 12)
    consumer = await run_consumer(topic, _record_effect)
    await eventually(lambda: _count_is(engine, 12))
    await eventually(lambda: _all_committed(commits, topic.name))
    assert any(len(offsets) > 1 for offsets in commits), commits  # the fetch held several
    kafka = consumer._consumer
    for partition in range(3):
        assert await kafka.committed(TopicPartition(topic.name, partition)) == 4


async def _spread_over_three_partitions(kafka_settings, topic, count: int) -> list[Envelope]:
    """``count`` events, written in turn to partitions 0, 1 and 2 of ``topic``."""
    await ensure_topics(kafka_settings, [topic])
    events = [customer_created(f"c{i}") for i in range(count)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for i, event in enumerate(events):
            await producer.send_and_wait(
                topic.name,
                key=event.subject.encode(),
                value=event.value(),
                headers=event.headers(),
                partition=i % 3,
            )
    finally:
        await producer.stop()
    return events


async def test_a_fetch_of_several_partitions_is_handled_in_one_transaction_in_order(
    engine, kafka_settings, run_consumer, commits
):
    """Events spread over partitions: a fetch holding several partitions' events handles them
    in one transaction (one per partition took a transaction for each one or two events under
    load), and each partition's events in their order."""
    topic = make_topic()
    await _spread_over_three_partitions(kafka_settings, topic, 12)
    handled: list[str] = []

    async def noted(envelope, uow):
        await _record_effect(envelope, uow)
        handled.append(envelope.data.name)

    _CountingUnitOfWork.commits = 0
    await run_consumer(topic, noted, uow=_CountingUnitOfWork)
    await eventually(lambda: _count_is(engine, 12))
    await eventually(lambda: _all_committed(commits, topic.name))
    assert any(len(offsets) > 1 for offsets in commits), commits  # a fetch held several
    # One offset commit per fetch that brought records, and one transaction for each of them.
    assert _CountingUnitOfWork.commits == len(commits), (_CountingUnitOfWork.commits, commits)
    for partition in range(3):
        mine = [f"c{i}" for i in range(partition, 12, 3)]
        assert [name for name in handled if name in mine] == mine


async def _all_committed(commits: list[dict], topic: str) -> bool:
    last: dict[int, int] = {}
    for offsets in commits:
        for tp, offset in offsets.items():
            last[tp.partition] = offset
    return last == {0: 4, 1: 4, 2: 4}


async def test_a_gathering_consumer_reads_a_flowing_topic_a_few_times_a_second(
    engine, kafka_settings, run_consumer, commits
):
    """With ``gather_ms``, events arriving every 20 ms for a second come in a handful of
    fetches (one commit each), and every one of them is handled."""
    topic = make_topic()
    await ensure_topics(kafka_settings, [topic])
    consumer = await run_consumer(topic, _record_effect, gather_ms=300)
    await asyncio.wait_for(consumer.ready.wait(), 30)  # reading before the first event is sent
    events = [customer_created(f"g{i}") for i in range(50)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all")
    await producer.start()
    started = asyncio.get_running_loop().time()
    try:
        for event in events:
            await producer.send_and_wait(
                topic.name, key=b"one", value=event.value(), headers=event.headers()
            )
            await asyncio.sleep(0.02)
    finally:
        await producer.stop()
    sending_s = asyncio.get_running_loop().time() - started
    await eventually(lambda: _count_is(engine, 50))
    # At least a second of events (20 ms apart, plus each send): without gathering, dozens of
    # fetches (50 here); with it, one for each 300 ms the sending took, the first and the two
    # after it (what the fetch read ahead during the last pause, then the rest).
    assert 1 <= len(commits) <= sending_s / 0.3 + 3, (len(commits), sending_s)


async def test_a_gathering_consumer_behind_its_topic_reads_on_without_pausing(
    engine, kafka_settings, run_consumer
):
    """A backlog larger than one poll drains at once: the consumer pauses only once it has
    reached the end of its partitions."""
    topic = make_topic()
    await ensure_topics(kafka_settings, [topic])
    events = [customer_created(f"b{i}") for i in range(1200)]
    await _produce(
        kafka_settings.bootstrap_servers,
        topic.name,
        [(b"one", e.headers(), e.value()) for e in events],
    )
    # One partition, 1,200 records, polls of at most 500: a pause of a minute between polls
    # would hold the rest back far longer than this wait.
    await run_consumer(topic, _record_effect, gather_ms=60_000)
    await eventually(lambda: _count_is(engine, 1200), timeout=40)


async def test_a_gathering_consumer_stops_without_waiting_out_its_gather(
    engine, kafka_settings, sessions
):
    topic = make_topic()
    await ensure_topics(kafka_settings, [topic])
    event = customer_created("stop")
    await _produce(
        kafka_settings.bootstrap_servers, topic.name, [(b"k", event.headers(), event.value())]
    )
    consumer = EventConsumer(
        settings=ServiceSettings(kafka=kafka_settings),
        group_id=unique("test-group"),
        subscriptions=[Subscription(topic, {type(event.data): _record_effect})],
        uow_factory=lambda: SqlUnitOfWork(sessions, _no_translation),
        gather_ms=60_000,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(consumer.run(stop))
    await eventually(lambda: _count_is(engine, 1))  # handled; now it gathers for a minute
    stop.set()
    await asyncio.wait_for(running, 15)  # back within the client's own stop, not the minute


def test_a_reader_is_caught_up_only_at_the_end_its_last_fetch_saw():
    """A poll that a size-limited fetch cut short leaves the reader behind however few records
    are left (it paused with 345 left when "behind" meant 500 or more); one that reached the
    end the client knows of, or brought records of a partition whose end is not known yet,
    finds it caught up; a full poll never does."""

    class Client:
        def __init__(self, ends):
            self.ends = ends

        def highwater(self, tp):
            return self.ends.get(tp)

    def records(first, last):
        return [SimpleNamespace(offset=o) for o in range(first, last + 1)]

    a, b = TopicPartition("t", 0), TopicPartition("t", 1)
    assert not caught_up(Client({a: 1200}), {a: records(500, 854)})
    assert caught_up(Client({a: 1200}), {a: records(855, 1199)})
    assert not caught_up(Client({a: 1200, b: 7}), {a: records(855, 1199), b: records(0, 5)})
    assert caught_up(Client({}), {a: records(0, 3)})
    assert not caught_up(Client({a: 500}), {a: records(0, 499)})  # a full poll
