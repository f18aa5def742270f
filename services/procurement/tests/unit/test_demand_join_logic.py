"""The demand join's table logic: versions make redelivery and replay no-ops."""

import asyncio
import random
import uuid
from datetime import date
from decimal import Decimal

import pytest

from tandem_contracts import Money, sales
from tandem_contracts import procurement as own
from tandem_kit.kafka import PartitionMismatch
from tandem_kit.settings import KafkaSettings
from tandem_procurement.streams import app as streams
from tandem_procurement.streams.join import (
    DemandJoin,
    SkuTotals,
    coverage_records,
    order_records,
    pack,
    unpack,
)

EUR = Money(amount=Decimal(1), currency="EUR")


def snapshot(order_id, version, status, lines):
    return sales.OrderChanged(
        order_id=order_id,
        customer_id=uuid.UUID(int=1),
        version=version,
        status=status,
        lines=[
            sales.OrderLine(
                line_id=line_id,
                sku=sku,
                quantity=Decimal(q),
                unit_price=EUR,
                requested_date=date(2027, 5, 1),
            )
            for line_id, sku, q in lines
        ],
        total=EUR,
    )


class Tables:
    """The join's two fact tables and the order table, as plain dicts (Faust tables live)."""

    def __init__(self):
        self.lines, self.covers, self.orders = {}, {}, {}

    def join(self):
        return DemandJoin(self.lines, self.covers)


def run(events, tables=None, join=None):
    """Feed order and requisition snapshots through both steps; returns the tables, the join
    and what it published per SKU."""
    tables = tables if tables is not None else Tables()
    join = join if join is not None else tables.join()
    published = []
    for ev in events:
        if isinstance(ev, own.RequisitionChanged):
            records = coverage_records(ev)
        else:
            records, entry = order_records(ev, tables.orders.get(str(ev.order_id)))
            if entry is not None:
                tables.orders[str(ev.order_id)] = entry
        for sku, record in records:
            state = join.apply(record)
            if state is not None:
                published.append((sku, state))
    return tables, join, published


def net(tables):
    """Ordered and covered per SKU (SKUs with neither left out), rebuilt from the facts."""
    join = tables.join()
    skus = {fact["sku"] for fact in [*tables.lines.values(), *tables.covers.values()]}
    totals = {sku: (join.totals(sku).ordered, join.totals(sku).covered) for sku in skus}
    return {sku: t for sku, t in totals.items() if t != (0, 0)}


O1, O2 = uuid.uuid4(), uuid.uuid4()
L1, L2, L3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
HISTORY = [
    snapshot(O1, 2, "confirmed", [(L1, "A", "10"), (L2, "B", "4")]),
    snapshot(O2, 2, "confirmed", [(L3, "A", "5")]),
    snapshot(O1, 3, "confirmed", [(L1, "A", "7")]),  # B line removed, A reduced
    snapshot(O2, 3, "cancelled", [(L3, "A", "5")]),
]


def req(req_id, version, status, quantity, line, sku="A"):
    return own.RequisitionChanged(
        requisition_id=req_id,
        version=version,
        status=status,
        lines=[own.RequisitionLine(sku=sku, quantity=Decimal(quantity), order_line_ids=[line])],
    )


def test_confirmed_changed_removed_and_cancelled_lines_net_out():
    tables, join, published = run(HISTORY)
    assert net(tables) == {"A": (Decimal(7), Decimal(0))}
    assert (join.totals("B").ordered, join.totals("B").covered) == (0, 0)
    assert published[-1] == ("A", {"ordered": "7", "covered": "0", "net": "7"})
    assert ("B", {"ordered": "0", "covered": "0", "net": "0"}) in published


def test_redelivery_in_any_order_and_replay_give_the_same_net_demand():
    expected = net(run(HISTORY)[0])
    shuffled = HISTORY * 3
    random.Random(7).shuffle(shuffled)
    # Per order the broker keeps versions in order; duplicates and stale versions interleave.
    assert net(run(shuffled)[0]) == expected
    tables, join, _ = run(HISTORY)
    again, _, republished = run(HISTORY, tables, join)  # replay over the same tables
    assert net(again) == expected
    assert republished == []  # nothing changed, nothing published again


def test_coverage_from_requisitions_counts_up_to_the_line_and_only_while_open():
    tables, join, _ = run(HISTORY[:1])
    req_id = uuid.uuid4()
    tables, join, published = run([req(req_id, 1, "submitted", "10", L1)], tables, join)
    assert net(tables)["A"] == (Decimal(10), Decimal(10))
    assert published[-1][1]["net"] == "0"
    late = [req(req_id, 3, "cancelled", "10", L1), req(req_id, 2, "approved", "10", L1)]
    tables, join, _ = run(late, tables, join)
    assert net(tables)["A"] == (Decimal(10), Decimal(0))  # version 2 arrived late: ignored


def test_a_line_counts_as_covered_only_up_to_its_own_open_quantity():
    tables, join, _ = run(HISTORY[:2])  # A: L1 10, L3 5
    r1, r2 = uuid.uuid4(), uuid.uuid4()
    tables, join, published = run(
        [req(r1, 1, "approved", "12", L1), req(r2, 1, "draft", "2", L3)], tables, join
    )
    assert published[-1] == ("A", {"ordered": "15", "covered": "12", "net": "3"})
    tables, join, published = run([HISTORY[2]], tables, join)  # L1 down to 7: covered 7 + 2
    assert ("A", {"ordered": "12", "covered": "9", "net": "3"}) in published
    tables, join, published = run([req(r1, 2, "cancelled", "12", L1)], tables, join)
    assert published[-1] == ("A", {"ordered": "12", "covered": "2", "net": "10"})


def random_history(rng, n=300):
    """Orders (four, re-versioned, lines moving between SKUs) and requisitions covering them."""
    lines = [(uuid.uuid4(), rng.choice("ABC")) for _ in range(12)]
    lines = [(uuid.uuid4(), rng.choice("ABC")) for _ in range(12)]
    reqs = [uuid.uuid4() for _ in range(8)]
    versions = {}
    events = []
    for _ in range(n):
        if rng.random() < 0.6:
            order = rng.randrange(4)
            chosen = rng.sample(lines[order * 3 : order * 3 + 3], rng.randint(0, 3))
            v = versions[order] = versions.get(order, 1) + 1
            status = rng.choice(["confirmed", "confirmed", "cancelled"])
            lines_now = [(lid, sku, str(rng.randint(1, 9))) for lid, sku in chosen]
            events.append(snapshot(uuid.UUID(int=order + 1), v, status, lines_now))
        else:
            r = rng.randrange(len(reqs))
            v = versions[("r", r)] = versions.get(("r", r), 0) + rng.randint(0, 2)
            lid, sku = rng.choice(lines)
            status = rng.choice(["draft", "approved", "ordered", "cancelled", "rejected"])
            events.append(req(reqs[r], max(v, 1), status, str(rng.randint(1, 9)), lid, sku))
    return events


def test_running_totals_always_equal_a_rebuild_from_the_facts():
    tables, join, _ = run(random_history(random.Random(11)))
    for sku in "ABC":
        incremental = join.totals(sku)
        rebuilt = tables.join().totals(sku)
        assert (incremental.ordered, incremental.covered) == (rebuilt.ordered, rebuilt.covered)
        assert incremental.open == rebuilt.open and incremental.allocated == rebuilt.allocated


def test_after_a_recovery_the_first_record_of_a_sku_publishes_its_state_again():
    tables, join, _ = run(HISTORY)
    # A crash: the facts survived in the changelog, the published outputs may not have.
    join.invalidate()
    _, _, republished = run(HISTORY[2:3], tables, join)  # a duplicate of what was applied
    assert ("A", {"ordered": "7", "covered": "0", "net": "7"}) in republished
    _, _, again = run(HISTORY[2:3], tables, join)
    assert again == []


def test_a_line_moved_to_another_sku_leaves_its_old_sku():
    tables, join, _ = run([snapshot(O1, 2, "confirmed", [(L1, "A", "10")])])
    tables, join, published = run([snapshot(O1, 3, "confirmed", [(L1, "B", "10")])], tables, join)
    assert net(tables) == {"B": (Decimal(10), Decimal(0))}
    assert ("A", {"ordered": "0", "covered": "0", "net": "0"}) in published


def test_totals_of_a_sku_track_each_change_by_its_delta():
    totals = SkuTotals()
    totals.set_open("l1", Decimal(5))
    totals.allocate("l1", Decimal(8))
    assert (totals.ordered, totals.covered) == (5, 5)
    totals.set_open("l1", Decimal(10))
    assert (totals.ordered, totals.covered) == (10, 8)
    totals.allocate("l1", Decimal(-8))
    totals.set_open("l1", Decimal(0))
    assert (totals.ordered, totals.covered, totals.open, totals.allocated) == (0, 0, {}, {})


def test_a_requisition_raised_by_hand_does_not_cover_order_lines():
    manual = own.RequisitionChanged(
        requisition_id=uuid.uuid4(),
        version=1,
        status="approved",
        lines=[own.RequisitionLine(sku="A", quantity=Decimal(50))],
    )
    assert coverage_records(manual) == []


def test_reprocessing_a_version_after_a_crash_emits_its_removed_lines_again():
    _first, entry = order_records(HISTORY[0], None)
    _changed, entry = order_records(HISTORY[2], entry)  # B line removed
    again, _ = order_records(HISTORY[2], entry)  # the table kept v3, the records were lost
    removed = [r for sku, r in again if sku == "B"]
    assert removed and removed[0]["open"] == "0" and removed[0]["v"] == 3
    assert order_records(HISTORY[0], entry) == ([], None)  # a stale version: nothing


def test_a_moved_line_is_zeroed_on_its_old_sku_again_when_its_version_is_handled_again():
    first = snapshot(O1, 2, "confirmed", [(L1, "A", "10")])
    moved = snapshot(O1, 3, "confirmed", [(L1, "B", "10")])
    _, entry = order_records(first, None)
    records, entry = order_records(moved, entry)
    assert [(sku, r["open"], r["moved"]) for sku, r in records] == [
        ("B", "10", False),
        ("A", "0", True),
    ]
    # A crash after the entry reached the changelog, before the records left: the version is
    # handled again from the new entry, and the old SKU still gets its zero.
    again, _ = order_records(moved, entry)
    assert [(sku, r["open"], r["moved"]) for sku, r in again] == [
        ("B", "10", False),
        ("A", "0", True),
    ]
    # Removed altogether later: zero on every SKU it was ever on, no longer "moved".
    gone, _ = order_records(snapshot(O1, 4, "confirmed", []), entry)
    assert sorted((sku, r["moved"]) for sku, r in gone) == [("A", False), ("B", False)]


def run_packed(batches, partition_of, tables=None, join=None):
    """As ``run``, but each batch of snapshots is split at once and its records packed per
    partition (as the order split does), each pack applied at once (as the SKU side does)."""
    tables = tables if tables is not None else Tables()
    join = join if join is not None else tables.join()
    published = []
    for batch in batches:
        records = []
        for ev in batch:
            if isinstance(ev, own.RequisitionChanged):
                records += coverage_records(ev)
            else:
                found, entry = order_records(ev, tables.orders.get(str(ev.order_id)))
                if entry is not None:
                    tables.orders[str(ev.order_id)] = entry
                records += found
        for _partition, facts in sorted(pack(records, partition_of).items()):
            published += join.apply_all(unpack({"records": facts}))
    return tables, join, published


def latest(published):
    return {sku: state for sku, state in published}


def test_packed_batches_of_any_size_give_what_records_one_by_one_give():
    def partition_of(sku):
        return "ABC".index(sku) % 2

    for seed in range(5):
        rng = random.Random(seed)
        events = random_history(rng, n=200)
        tables, _, one_by_one = run(events)
        cuts = sorted(rng.sample(range(1, len(events)), 30))
        batches = [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]
        packed_tables, packed_join, packed = run_packed(batches, partition_of)
        assert net(packed_tables) == net(tables)
        assert latest(packed) == latest(one_by_one)
        assert len(packed) <= len(one_by_one)
        # Redelivered batches change nothing and publish nothing.
        _, _, again = run_packed(batches[-3:], partition_of, packed_tables, packed_join)
        assert net(packed_tables) == net(tables) and again == []


def test_a_pack_holds_the_latest_version_of_each_fact_per_partition():
    first, _ = order_records(HISTORY[0], None)  # O1 v2: L1 on A, L2 on B
    later, _ = order_records(HISTORY[2], {"v": 2, "lines": {str(L1): ["A"], str(L2): ["B"]}})
    packs = pack([*later, *first], {"A": 0, "B": 1}.get)  # the older version comes last
    assert sorted(packs) == [0, 1]
    assert [(r["line_id"], r["v"], r["open"]) for r in packs[0]] == [(str(L1), 3, "7")]
    assert [(r["line_id"], r["v"], r["open"]) for r in packs[1]] == [(str(L2), 3, "0")]


def test_a_pack_publishes_each_sku_it_moved_once_with_its_final_state():
    tables, join, _ = run(HISTORY[:1])  # A: L1 10, B: L2 4
    records, _ = order_records(HISTORY[1], None)  # O2: L3 5 on A
    cancelled, _ = order_records(HISTORY[3], {"v": 2, "lines": {str(L3): ["A"]}})
    assert join.apply_all([r for _, r in [*records, *cancelled]]) == []  # A back where it was
    reduced, _ = order_records(HISTORY[2], tables.orders.get(str(O1)))
    states = join.apply_all([r for _, r in reduced])
    assert states == [
        ("A", {"ordered": "7", "covered": "0", "net": "7"}),
        ("B", {"ordered": "0", "covered": "0", "net": "0"}),
    ]


def test_a_by_sku_value_is_a_pack_or_one_record_written_before_packs():
    record = {"kind": "line", "sku": "A", "line_id": str(L1), "v": 2, "open": "1"}
    assert unpack(record) == [record]
    assert unpack({"records": [record, record]}) == [record, record]


def by_sku_log(events, partition_of):
    """The by-SKU topic a history makes, split order by order: per partition, its packs."""
    orders: dict = {}
    log: dict[int, list[list[dict]]] = {}
    for ev in events:
        if isinstance(ev, own.RequisitionChanged):
            records = coverage_records(ev)
        else:
            records, entry = order_records(ev, orders.get(str(ev.order_id)))
            if entry is not None:
                orders[str(ev.order_id)] = entry
        for partition, facts in pack(records, partition_of).items():
            log.setdefault(partition, []).append(facts)
    return log


def test_a_sku_state_has_one_version_however_the_sku_side_batches_its_packs():
    def partition_of(sku):
        return "ABC".index(sku) % 2

    for seed in range(5):
        rng = random.Random(seed)
        log = by_sku_log(random_history(rng, n=200), partition_of)
        # Pack by pack: each SKU's state after every offset that touched it.
        join, after = Tables().join(), {}
        for packs in log.values():
            for offset, facts in enumerate(packs):
                for sku in join.apply_records(facts):
                    after[(sku, offset + 1)] = join.totals(sku).state()
        # In batches of any size, as the SKU side takes them: one state per SKU and batch,
        # under the version of the last pack that moved it, equal to the state at that offset.
        tables = Tables()
        batched, last = tables.join(), {}
        for packs in log.values():
            cuts = sorted(rng.sample(range(1, len(packs)), min(10, len(packs) - 1)))
            for a, b in zip([0, *cuts], [*cuts, len(packs)], strict=True):
                versions = {}
                for offset in range(a, b):
                    for sku in batched.apply_records(packs[offset]):
                        versions[sku] = offset + 1
                published = batched.to_publish(versions)
                assert len({sku for sku, _ in published}) == len(published)
                for sku, state in published:
                    assert after[(sku, versions[sku])] == state
                    last[sku] = state
        assert {sku: join.totals(sku).state() for sku in last} == last
        assert net(tables) == {
            sku: (t.ordered, t.covered)
            for sku in join._totals
            if (t := join.totals(sku)) and (t.ordered, t.covered) != (0, 0)
        }


def test_a_draft_states_no_demand_and_keeps_only_its_version():
    draft = snapshot(O1, 1, "draft", [(L1, "A", "10")])
    records, entry = order_records(draft, None)
    assert records == [] and entry == {"v": 1, "lines": {}}
    assert order_records(draft, entry) == ([], None)  # redelivered: nothing to send or write
    confirmed = snapshot(O1, 2, "confirmed", [(L1, "A", "10")])
    records, entry = order_records(confirmed, entry)
    assert [(sku, r["open"]) for sku, r in records] == [("A", "10")]
    assert order_records(draft, entry) == ([], None)  # the draft again, late: stale
    # Cancelled unconfirmed: nothing; cancelled once open: its lines go back to zero.
    assert order_records(snapshot(O2, 2, "cancelled", [(L3, "A", "5")]), None)[0] == []
    cancelled, _ = order_records(snapshot(O1, 3, "cancelled", [(L1, "A", "10")]), entry)
    assert [(sku, r["open"]) for sku, r in cancelled] == [("A", "0")]


async def test_the_join_does_not_start_on_topics_partitioned_otherwise_than_their_contracts(
    monkeypatch, tmp_path
):
    checked = []

    async def mismatch(settings, topics):
        checked.extend(t.name for t in topics)
        raise PartitionMismatch("sales.orders.v1 has 2 partitions, its contract 6")

    monkeypatch.setattr(streams, "check_partitions", mismatch)
    app = streams.build_demand_join(
        KafkaSettings(bootstrap_servers="127.0.0.1:1"), app_id="procurement-t", datadir=tmp_path
    )

    async def never(*args, **kwargs):
        raise AssertionError("the app was started")

    monkeypatch.setattr(app, "start", never)
    with pytest.raises(PartitionMismatch, match=r"sales\.orders\.v1"):
        await streams.run_demand_join(app, asyncio.Event())
    assert checked == ["sales.orders.v1", "procurement.order-demand.v1"]
