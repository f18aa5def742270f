"""Killing the worker mid-stream (SIGKILL) leaves demand, requisitions and net demand exact."""

import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tandem_contracts import decode, sales
from tandem_contracts import procurement as own
from tandem_kit.db import create_engine, session_factory
from tandem_kit.kafka import ensure_topics
from tandem_kit.migrations import upgrade
from tandem_kit.settings import KafkaSettings
from tandem_kit.testing.plugin import eventually
from tandem_procurement.bootstrap import unit_of_work_factory
from tandem_procurement.domain.requisition import COVERING
from tandem_procurement.domain.sourcing import OfferTerms
from tandem_procurement.streams.join import fact_key, unpack
from tandem_procurement.testing import expected_open, order_history, record

SKUS = [f"SKU-{c}" for c in "ABCDE"]


@pytest.fixture
async def kafka(embedded_broker):
    settings = KafkaSettings(bootstrap_servers=embedded_broker.bootstrap_servers)
    await ensure_topics(settings)
    return settings


@pytest.fixture
async def database(sqlite_url):
    await upgrade(sqlite_url, "tandem_procurement.db:migrations")
    engine = create_engine(sqlite_url)
    uow = unit_of_work_factory(session_factory(engine))
    supplier, now = uuid.uuid4(), datetime.now(UTC)
    async with uow() as u:  # an approved supplier sells every SKU (as supplier events would say)
        await u.suppliers.record_supplier(supplier, name="S", status="approved", version=1, at=now)
        for sku in SKUS:
            await u.suppliers.record_offer(
                OfferTerms(uuid.uuid4(), supplier, sku, Decimal("1"), "EUR", 3),
                version=1,
                withdrawn=False,
                at=now,
            )
        await u.commit()
    yield uow
    await engine.dispose()


def start_worker(url: str, kafka: KafkaSettings, tmp_path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PROCUREMENT_DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "TANDEM_AUTH_DEVELOPMENT": "true",
        "PROCUREMENT_LOG_JSON": "false",
        "PROCUREMENT_DATA_DIR": str(tmp_path / "data"),
    }
    log = open(tmp_path / "worker.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "tandem_procurement.cli", "worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def produce(kafka, events):
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for ev in events:
            key, value, headers = record(ev)
            await producer.send_and_wait(sales.ORDERS.name, key=key, value=value, headers=headers)
    finally:
        await producer.stop()


async def trail(kafka, skus) -> str:
    """What the join was given and published for ``skus``: the failure report's evidence."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False, fetch_max_wait_ms=10
    )
    await consumer.start()
    try:
        by_sku = "procurement-demand-join-demand-by-sku"
        await consumer.topics()
        tps = [
            TopicPartition(topic, p)
            for topic in (own.DEMAND.name, by_sku, own.REQUISITIONS.name)
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        # The join's inputs include the orders: an order it never handled leaves demand short.
        orders = [TopicPartition(sales.ORDERS.name, p)
                  for p in sorted(consumer.partitions_for_topic(sales.ORDERS.name) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        found = []
        while batches := await consumer.getmany(timeout_ms=500):
            for tp, records in batches.items():
                for r in records:
                    if tp.topic == own.REQUISITIONS.name:
                        req = decode(own.RequisitionChanged, r.headers, r.value).data
                        what = f"requisition {str(req.requisition_id)[:8]} v{req.version} " \
                            f"{req.status} {[str(line.quantity) for line in req.lines]}"
                        sku = next((line.sku for line in req.lines), None)
                    elif tp.topic == by_sku:  # a pack: the facts about these SKUs in it
                        facts = [f for f in unpack(json.loads(r.value)) if f["sku"] in skus]
                        what = [
                            (fact_key(f)[0], fact_key(f)[1][:8], f["v"],
                             f.get("qty", f.get("open")), (f.get("lines") or [""])[0][:8])
                            for f in facts
                        ]  # fmt: skip
                        sku = facts[0]["sku"] if facts else None
                    else:
                        e = decode(own.NetDemandChanged, r.headers, r.value).data
                        what = f"v{e.version} ordered {e.ordered_quantity} covered " \
                            f"{e.covered_quantity} at {e.as_of:%H:%M:%S.%f}"
                        sku = e.sku
                    if sku in skus:
                        found.append((r.timestamp, f"{tp.topic}[{tp.partition}]@{r.offset} {what}"))
        inputs = [tp for tp in tps if tp.topic != own.DEMAND.name] + orders
        ends = await consumer.end_offsets(inputs)
    finally:
        await consumer.stop()
    group = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers, group_id="procurement-demand-join",
        enable_auto_commit=False,
    )  # fmt: skip
    await group.start()
    try:
        committed = {tp: await group.committed(tp) for tp in ends}
    finally:
        await group.stop()
    offsets = [f"{tp.topic}[{tp.partition}] committed {committed[tp]} end {end}"
               for tp, end in sorted(ends.items())]  # fmt: skip
    return "\n".join([line for _, line in sorted(found)] + offsets)


async def snapshot(uow):
    """Open demand per SKU, covering requisitions per line, and the published net demand."""
    async with uow() as u:
        net = {r["sku"]: r for r in await u.net_demand.list(sku=None, limit=100, after=None)}
        lines, covered = {}, {}
        for sku in SKUS:
            for req in await u.requisitions.list(limit=1000, sku=sku):
                if req.status in COVERING:
                    covered[req.order_line_id] = covered.get(req.order_line_id, 0) + req.quantity
        from sqlalchemy import select

        from tandem_procurement.db.tables import demand_lines

        for row in (await u.session.execute(select(demand_lines))).all():
            lines[row.line_id] = (row.sku, Decimal(row.open_quantity))
    return net, lines, covered


async def test_killing_the_worker_mid_stream_keeps_demand_exact(
    kafka, database, sqlite_url, tmp_path
):
    history = order_history(orders=30, seed=3)
    expected = expected_open(history)
    half = len(history) // 2
    worker = start_worker(sqlite_url, kafka, tmp_path)
    try:
        await produce(kafka, history[:half])

        async def some_progress():
            _, lines, covered = await snapshot(database)
            return len(lines) >= 3 and covered

        await eventually(some_progress, timeout=90)
        worker.send_signal(signal.SIGKILL)  # no shutdown, no final commit
        worker.wait(10)
        await produce(kafka, history[half:])
        worker = start_worker(sqlite_url, kafka, tmp_path)

        async def mismatches():
            net, lines, covered = await snapshot(database)
            per_sku = {}
            for sku, open_qty in lines.values():
                per_sku[sku] = per_sku.get(sku, 0) + open_qty
            problems = [
                f"{sku}: open {per_sku.get(sku, 0)}, expected {q}"
                for sku, q in expected.items()
                if per_sku.get(sku, 0) != q
            ]
            problems += [
                f"line {line_id}: open {q}, requisitioned {covered.get(line_id, 0)}"
                for line_id, (_, q) in lines.items()
                if covered.get(line_id, 0) != q
            ]
            for sku, q in expected.items():
                row = net.get(sku)
                if q and row is None:
                    problems.append(f"{sku}: no net demand published")
                elif row is not None and (
                    Decimal(row["ordered_quantity"]) != q or Decimal(row["net_quantity"]) != 0
                ):
                    problems.append(f"{sku}: published {dict(row)}, expected ordered {q}, net 0")
            return problems

        async def exact():
            return not await mismatches()

        try:
            await eventually(exact, timeout=180, interval=0.5)
        except AssertionError:
            problems = await mismatches()
            print((tmp_path / "worker.log").read_text()[-3000:])
            print(await trail(kafka, {p.split(":")[0] for p in problems}))
            raise AssertionError("; ".join(problems)) from None
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
