"""Customer value from order events: recalculated only when an order's part in it changes,
and published (CustomerValueChanged, with the next version) only when it changed (SQLite and
PostgreSQL)."""

import asyncio
import contextlib
import dataclasses
import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tandem_contracts import Money
from tandem_contracts.customer import VALUES, CustomerValueChanged
from tandem_customer.application import handlers
from tandem_customer.application.commands import MergeCustomers, RegisterCustomer
from tandem_customer.application.config import Rules
from tandem_customer.application.value import recompute_value, when_order_changed
from tandem_customer.bootstrap import unit_of_work_factory
from tandem_customer.domain.events import ValueFacts
from tandem_customer.domain.value import TierRule, TierRules
from tandem_kit.db import create_engine, outbox_table, plain_money, session_factory
from tandem_kit.migrations import upgrade

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def customer_id(uow_factory) -> uuid.UUID:
    async with uow_factory() as uow:
        customer = await handlers.register_customer(
            RegisterCustomer(name="Acme", email=None, credit_limit=Decimal(0), currency="EUR"),
            uow,
        )
        await uow.commit()
    return customer.id


async def apply(
    uow_factory, order_id, customer_id, version, status, total="100", currency="EUR", at=AT
) -> bool:
    async with uow_factory() as uow:
        changed = await when_order_changed(
            uow,
            order_id=order_id,
            customer_id=customer_id,
            version=version,
            status=status,
            total=Decimal(total),
            currency=currency,
            at=at,
        )
        await uow.commit()
    return changed


async def value(uow_factory, customer_id) -> dict:
    async with uow_factory() as uow:
        row = await uow.values.get(customer_id)
        customer = await uow.customers.get(customer_id)
    assert row is not None
    return {**row, "customer_tier": customer.tier}


async def test_a_draft_leaves_a_calculated_value_as_it_is(uow_factory, customer_id):
    first, second = uuid.uuid4(), uuid.uuid4()
    await apply(uow_factory, first, customer_id, 1, "confirmed", "100")
    before = await value(uow_factory, customer_id)

    assert await apply(uow_factory, second, customer_id, 1, "draft", "50")
    assert await value(uow_factory, customer_id) == before  # not even re-stored

    await apply(uow_factory, second, customer_id, 2, "confirmed", "50")
    after = await value(uow_factory, customer_id)
    assert after["order_count"] == 2 and after["lifetime_revenue"] == Decimal("150")
    assert after["updated_at"] > before["updated_at"]


async def test_a_customers_first_order_event_sets_its_value_and_tier_even_as_a_draft(
    uow_factory, customer_id
):
    await apply(uow_factory, uuid.uuid4(), customer_id, 1, "draft")
    row = await value(uow_factory, customer_id)
    assert row["order_count"] == 0 and row["lifetime_revenue"] == Decimal(0)
    assert row["tier"] == row["customer_tier"] == "bronze"


async def test_a_new_version_counting_the_same_revenue_changes_nothing_but_a_cancel_does(
    uow_factory, customer_id
):
    order = uuid.uuid4()
    await apply(uow_factory, order, customer_id, 1, "confirmed", "100")
    confirmed = await value(uow_factory, customer_id)

    await apply(uow_factory, order, customer_id, 2, "fulfilled", "100")
    assert await value(uow_factory, customer_id) == confirmed

    await apply(uow_factory, order, customer_id, 3, "fulfilled", "120")
    changed = await value(uow_factory, customer_id)
    assert changed["lifetime_revenue"] == Decimal("120") and changed["order_count"] == 1

    await apply(uow_factory, order, customer_id, 4, "cancelled", "120")
    cancelled = await value(uow_factory, customer_id)
    assert cancelled["order_count"] == 0 and cancelled["last_order_at"] is None


async def test_an_order_of_a_merged_customer_counts_for_the_survivor(uow_factory, customer_id):
    async with uow_factory() as uow:
        survivor = await handlers.register_customer(
            RegisterCustomer(
                name="Acme Group", email=None, credit_limit=Decimal(0), currency="EUR"
            ),
            uow,
        )
        merged = await uow.customers.get(customer_id, for_update=True)
        merged.merged_into = survivor.id
        await uow.commit()

    await apply(uow_factory, uuid.uuid4(), customer_id, 1, "confirmed", "70")
    row = await value(uow_factory, survivor.id)
    assert row["order_count"] == 1 and row["lifetime_revenue"] == Decimal("70")
    async with uow_factory() as uow:
        assert await uow.values.get(customer_id) is None


async def register(uow_factory, name: str) -> uuid.UUID:
    async with uow_factory() as uow:
        customer = await handlers.register_customer(
            RegisterCustomer(name=name, email=None, credit_limit=Decimal(0), currency="EUR"), uow
        )
        await uow.commit()
    return customer.id


async def tier_events(uow_factory, customer_id) -> list[str]:
    async with uow_factory() as uow:
        return list(
            await uow.session.scalars(
                select(outbox_table.c.event_type).where(
                    outbox_table.c.message_key == str(customer_id),
                    outbox_table.c.event_type.like("%tier-changed%"),
                )
            )
        )


async def test_revenue_sums_exactly_and_the_last_order_is_the_latest_counted_one(database_url):
    await upgrade(database_url, "tandem_customer.db:migrations")
    engine = create_engine(database_url)
    rules = Rules(exchange_rates={"USD": Decimal("0.9137")})
    uow_factory = unit_of_work_factory(session_factory(engine), rules)
    try:
        customer_id = await register(uow_factory, "Exact")
        later = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        latest = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
        for total, currency, at, status in (
            ("0.125", "EUR", AT, "confirmed"),
            ("250.5", "EUR", later, "fulfilled"),
            ("99.99", "USD", AT, "closed"),  # 91.360863 -> 91.3609 EUR
            ("1000", "JPY", AT, "confirmed"),  # no rate: counts, adds no revenue
            ("5000", "EUR", latest, "cancelled"),  # leaves the value
            ("7", "EUR", latest, "draft"),  # not counted yet
        ):
            await apply(uow_factory, uuid.uuid4(), customer_id, 1, status, total, currency, at)
        row = await value(uow_factory, customer_id)
        assert row["lifetime_revenue"] == Decimal("341.9859")
        assert row["revenue_cents"] == 34199
        assert row["order_count"] == 4
        assert row["last_order_at"] == later
    finally:
        await engine.dispose()


async def test_a_tier_change_is_published_once_and_an_unchanged_tier_leaves_the_customer_alone(
    database_url,
):
    await upgrade(database_url, "tandem_customer.db:migrations")
    engine = create_engine(database_url)
    tiers = TierRules(rules=(TierRule("silver", Decimal("100")),))
    uow_factory = unit_of_work_factory(session_factory(engine), Rules(tiers=tiers))
    try:
        customer_id = await register(uow_factory, "Tiered")
        await apply(uow_factory, uuid.uuid4(), customer_id, 1, "confirmed", "60")
        assert await tier_events(uow_factory, customer_id) == [
            "tandem.customer.customer.tier-changed.v1"
        ]  # none -> bronze
        async with uow_factory() as uow:
            version = (await uow.customers.get(customer_id)).version

        await apply(uow_factory, uuid.uuid4(), customer_id, 1, "confirmed", "30")  # still bronze
        async with uow_factory() as uow:
            customer = await uow.customers.get(customer_id)
        assert customer.tier == "bronze" and customer.version == version
        assert len(await tier_events(uow_factory, customer_id)) == 1

        await apply(uow_factory, uuid.uuid4(), customer_id, 1, "confirmed", "10")  # 100: silver
        row = await value(uow_factory, customer_id)
        assert row["tier"] == row["customer_tier"] == "silver"
        assert len(await tier_events(uow_factory, customer_id)) == 2
    finally:
        await engine.dispose()


async def test_an_order_of_a_customer_merged_twice_counts_for_the_last_survivor(
    uow_factory, customer_id
):
    middle = await register(uow_factory, "Acme Holding")
    last = await register(uow_factory, "Acme Group")
    for source, survivor in ((customer_id, middle), (middle, last)):
        async with uow_factory() as uow:
            await handlers.merge_customers(MergeCustomers(source, survivor), uow)
            await uow.commit()

    await apply(uow_factory, uuid.uuid4(), customer_id, 1, "confirmed", "70")
    row = await value(uow_factory, last)
    assert row["order_count"] == 1 and row["lifetime_revenue"] == Decimal("70")


async def test_an_order_moved_to_another_customer_leaves_the_first_one(uow_factory, customer_id):
    other = await register(uow_factory, "Other")
    order = uuid.uuid4()
    await apply(uow_factory, order, customer_id, 1, "confirmed", "80")
    await apply(uow_factory, order, other, 2, "confirmed", "80")
    first, second = await value(uow_factory, customer_id), await value(uow_factory, other)
    assert first["order_count"] == 0 and first["lifetime_revenue"] == Decimal(0)
    assert second["order_count"] == 1 and second["lifetime_revenue"] == Decimal("80")


# CustomerValueChanged: published with the next version when a value changes, and only then.


async def published(uow_factory, customer_id) -> list[CustomerValueChanged]:
    """The value events staged for one customer, oldest first."""
    async with uow_factory() as uow:
        rows = (
            await uow.session.execute(
                select(outbox_table.c.event_type, outbox_table.c.payload)
                .where(
                    outbox_table.c.topic == VALUES.name,
                    outbox_table.c.message_key == str(customer_id),
                )
                .order_by(outbox_table.c.id)
            )
        ).all()
    assert {row.event_type for row in rows} <= {CustomerValueChanged.event_type}
    return [CustomerValueChanged.model_validate_json(row.payload) for row in rows]


def summary(event: CustomerValueChanged) -> tuple:
    return (
        event.version,
        event.lifetime_revenue,
        event.order_count,
        event.last_order_at,
        event.tier,
    )


def eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


async def test_every_change_of_a_value_is_published_once_with_the_next_version(
    uow_factory, customer_id
):
    first, second = uuid.uuid4(), uuid.uuid4()
    await apply(uow_factory, first, customer_id, 1, "confirmed", "100")
    await apply(uow_factory, second, customer_id, 1, "confirmed", "50.5", at=LATER)
    await apply(uow_factory, second, customer_id, 2, "cancelled", "50.5", at=LATER)

    events = await published(uow_factory, customer_id)
    assert [summary(e) for e in events] == [
        (1, eur("100"), 1, AT, "bronze"),
        (2, eur("150.5"), 2, LATER, "bronze"),
        (3, eur("100"), 1, AT, "bronze"),
    ]
    assert {e.customer_id for e in events} == {customer_id}
    # The same text whether the totals were counted afresh (the first) or moved (the others).
    amounts = [e.model_dump(mode="json")["lifetime_revenue"]["amount"] for e in events]
    assert amounts == ["100.00", "150.50", "100.00"]
    async with uow_factory() as uow:
        assert (await uow.values.get(customer_id))["version"] == 3


async def test_an_order_event_that_leaves_the_value_as_it_is_publishes_nothing(
    uow_factory, customer_id
):
    order = uuid.uuid4()
    await apply(uow_factory, order, customer_id, 1, "confirmed", "100")
    assert not await apply(uow_factory, order, customer_id, 1, "confirmed", "100")  # redelivery
    await apply(uow_factory, uuid.uuid4(), customer_id, 1, "draft", "70")
    await apply(uow_factory, order, customer_id, 2, "fulfilled", "100")  # same revenue
    async with uow_factory() as uow:  # recalculated for nothing: the stored row compares
        before = await uow.values.get(customer_id)
        await recompute_value(uow, customer_id)
        await uow.commit()

    assert [e.version for e in await published(uow_factory, customer_id)] == [1]
    async with uow_factory() as uow:
        assert await uow.values.get(customer_id) == before  # not even re-stored


async def test_a_first_value_is_published_even_with_nothing_counted(uow_factory, customer_id):
    await apply(uow_factory, uuid.uuid4(), customer_id, 1, "draft")
    events = await published(uow_factory, customer_id)
    assert [summary(e) for e in events] == [(1, eur("0"), 0, None, "bronze")]


async def test_an_order_moved_to_another_customer_publishes_both_values(uow_factory, customer_id):
    other = await register(uow_factory, "Other")
    order = uuid.uuid4()
    await apply(uow_factory, order, customer_id, 1, "confirmed", "80")
    await apply(uow_factory, order, other, 2, "confirmed", "80")

    assert [summary(e) for e in await published(uow_factory, customer_id)] == [
        (1, eur("80"), 1, AT, "bronze"),
        (2, eur("0"), 0, None, "bronze"),
    ]
    assert [summary(e) for e in await published(uow_factory, other)] == [
        (1, eur("80"), 1, AT, "bronze")
    ]


async def test_a_merge_publishes_the_value_of_both_customers(uow_factory, customer_id):
    survivor = await register(uow_factory, "Acme Group")
    never_ordered = await register(uow_factory, "Acme Trading")
    await apply(uow_factory, uuid.uuid4(), customer_id, 1, "confirmed", "100")
    await apply(uow_factory, uuid.uuid4(), survivor, 1, "confirmed", "50", at=LATER)

    async with uow_factory() as uow:
        await handlers.merge_customers(MergeCustomers(customer_id, survivor), uow)
        await uow.commit()
    assert [summary(e) for e in await published(uow_factory, survivor)] == [
        (1, eur("50"), 1, LATER, "bronze"),
        (2, eur("150"), 2, LATER, "bronze"),
    ]
    assert [summary(e) for e in await published(uow_factory, customer_id)] == [
        (1, eur("100"), 1, AT, "bronze"),
        (2, eur("0"), 0, None, "bronze"),
    ]

    # A merge that moves no orders changes no value: nothing is published for either side.
    async with uow_factory() as uow:
        await handlers.merge_customers(MergeCustomers(never_ordered, survivor), uow)
        await uow.commit()
    assert len(await published(uow_factory, survivor)) == 2
    assert await published(uow_factory, never_ordered) == []
    async with uow_factory() as uow:
        assert await uow.values.get(never_ordered) is None


async def test_the_same_amount_at_another_scale_is_no_change(uow_factory, customer_id):
    def facts(amount: str) -> ValueFacts:
        return ValueFacts(Decimal(amount), "EUR", 2, AT)

    async with uow_factory() as uow:
        assert await uow.values.store(customer_id, facts("1.000"), "bronze") == 1
        assert await uow.values.store(customer_id, facts("1.00"), "bronze") is None
        assert await uow.values.store(customer_id, facts("1"), "bronze") is None
        assert await uow.values.store(customer_id, facts("1.0001"), "bronze") == 2
        assert await uow.values.store(customer_id, facts("1.0001"), "silver") == 3
        await uow.commit()


async def _two_orders_at_once(uow_factory, customer_id, monkeypatch, read_name: str) -> int:
    """Apply two orders of the customer at once, each holding on after it read its totals
    (``read_name``, a ValueRepository method) until the other read too or a second passed:
    without a lock taken before the read, both read before either stores. How many read."""
    from tandem_customer.db import values as values_module

    read = getattr(values_module.ValueRepository, read_name)
    both_read = asyncio.Event()
    readers = []

    async def held_back(self, *args):
        found = await read(self, *args)
        readers.append(args[0])
        if len(readers) == 2:
            both_read.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_read.wait(), 1.0)
        return found

    monkeypatch.setattr(values_module.ValueRepository, read_name, held_back)
    await asyncio.wait_for(
        asyncio.gather(
            apply(uow_factory, uuid.uuid4(), customer_id, 1, "confirmed", "100"),
            apply(uow_factory, uuid.uuid4(), customer_id, 1, "confirmed", "50"),
        ),
        30,
    )
    monkeypatch.undo()
    return len(readers)


async def test_two_orders_of_one_customer_applied_at_once_both_count(
    uow_factory, customer_id, monkeypatch
):
    """Two workers (orders are keyed by order id, so one customer's orders may be applied at
    once): the second reads the totals only after the first committed."""
    await _two_orders_at_once(uow_factory, customer_id, monkeypatch, "facts")
    stored = await value(uow_factory, customer_id)
    assert (stored["order_count"], stored["lifetime_revenue"]) == (2, Decimal(150))


# An order event moves the stored totals by that order's difference: the same cost however many
# orders the customer has, and the same totals as counting every order afresh.


async def test_a_value_moved_event_by_event_equals_the_value_counted_afresh(database_url):
    await upgrade(database_url, "tandem_customer.db:migrations")
    engine = create_engine(database_url)
    rules = Rules(exchange_rates={"USD": Decimal("0.9137")})
    uow_factory = unit_of_work_factory(session_factory(engine), rules)
    rng = random.Random(20261206)
    try:
        customer_id = await register(uow_factory, "Moved")
        orders = [[uuid.uuid4(), 0] for _ in range(8)]
        for step in range(120):
            order = rng.choice(orders)
            order[1] += rng.choice((1, 1, 2))  # versions grow, sometimes skipping one
            status = rng.choice(("draft", "confirmed", "fulfilled", "closed", "cancelled"))
            total = str(Decimal(rng.randrange(1, 10**7)).scaleb(-rng.choice((0, 2, 3, 5))))
            currency = rng.choice(("EUR", "EUR", "USD", "JPY"))  # JPY: no rate
            at = AT + timedelta(hours=rng.randrange(100))  # later versions' times are ignored
            await apply(uow_factory, order[0], customer_id, order[1], status, total, currency, at)
            async with uow_factory() as uow:
                stored = await uow.values.totals(customer_id)
                afresh = await uow.values.facts(customer_id, "EUR")
            assert stored is not None
            assert (stored.order_count, stored.lifetime_revenue, stored.last_order_at) == (
                afresh.order_count,
                afresh.lifetime_revenue,
                afresh.last_order_at,
            ), f"step {step}"
        last = (await published(uow_factory, customer_id))[-1]
        assert (last.order_count, last.lifetime_revenue.amount) == (
            stored.order_count,
            stored.lifetime_revenue,
        )
        # Published as stored money reads back, whichever way the totals were reached.
        assert last.lifetime_revenue.model_dump(mode="json")["amount"] == str(
            plain_money(afresh.lifetime_revenue)
        )
    finally:
        await engine.dispose()


async def test_an_order_event_counts_afresh_only_when_the_latest_order_leaves(
    uow_factory, customer_id, monkeypatch
):
    from tandem_customer.db import values as values_module

    counted = []
    read = values_module.ValueRepository.facts

    async def facts(self, customer, currency):
        counted.append(customer)
        return await read(self, customer, currency)

    monkeypatch.setattr(values_module.ValueRepository, "facts", facts)
    first, second = uuid.uuid4(), uuid.uuid4()
    await apply(uow_factory, first, customer_id, 1, "confirmed", "100")
    assert len(counted) == 1  # the customer's first value is counted
    await apply(uow_factory, second, customer_id, 1, "draft", "50", at=LATER)
    await apply(uow_factory, second, customer_id, 2, "confirmed", "50", at=LATER)
    await apply(uow_factory, first, customer_id, 2, "fulfilled", "110")
    await apply(uow_factory, first, customer_id, 3, "cancelled", "110")  # not the latest
    assert len(counted) == 1
    row = await value(uow_factory, customer_id)
    assert (row["order_count"], row["lifetime_revenue"], row["last_order_at"]) == (
        1,
        Decimal(50),
        LATER,
    )

    await apply(uow_factory, second, customer_id, 3, "cancelled", "50", at=LATER)  # the latest
    assert len(counted) == 2
    row = await value(uow_factory, customer_id)
    assert (row["order_count"], row["lifetime_revenue"], row["last_order_at"]) == (0, 0, None)


async def test_an_order_changed_since_it_was_read_is_not_written_and_is_handled_again(
    uow_factory, customer_id, monkeypatch
):
    from tandem_customer.application.value import OrderChangedMeanwhile
    from tandem_customer.db import values as values_module

    order = uuid.uuid4()
    await apply(uow_factory, order, customer_id, 1, "confirmed", "100")
    await apply(uow_factory, order, customer_id, 2, "confirmed", "120")
    before = await value(uow_factory, customer_id)

    # As another member of the group would leave it: version 2 stored after this one read 1.
    look_up = values_module.ValueRepository.look_up

    async def stale(self, order_id, customer):
        found = await look_up(self, order_id, customer)
        return dataclasses.replace(found, known=dataclasses.replace(found.known, version=1))

    monkeypatch.setattr(values_module.ValueRepository, "look_up", stale)
    with pytest.raises(OrderChangedMeanwhile):
        await apply(uow_factory, order, customer_id, 3, "cancelled", "120")
    monkeypatch.undo()
    assert await value(uow_factory, customer_id) == before

    assert await apply(uow_factory, order, customer_id, 3, "cancelled", "120")  # again
    row = await value(uow_factory, customer_id)
    assert (row["order_count"], row["lifetime_revenue"]) == (0, 0)


async def test_two_orders_of_a_customer_with_a_value_applied_at_once_both_count(
    uow_factory, customer_id, monkeypatch
):
    """As above, on the way that moves the stored totals: the second reads them only after the
    first committed."""
    await apply(uow_factory, uuid.uuid4(), customer_id, 1, "confirmed", "10")
    assert await _two_orders_at_once(uow_factory, customer_id, monkeypatch, "totals") == 2
    stored = await value(uow_factory, customer_id)
    assert (stored["order_count"], stored["lifetime_revenue"]) == (3, Decimal(160))


async def test_a_value_kept_in_another_currency_is_counted_afresh_in_the_new_one(database_url):
    await upgrade(database_url, "tandem_customer.db:migrations")
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    rates = {"USD": Decimal("0.5"), "EUR": Decimal("2")}
    in_eur = unit_of_work_factory(sessions, Rules(exchange_rates=rates))
    in_usd = unit_of_work_factory(sessions, Rules(currency="USD", exchange_rates=rates))
    try:
        customer_id = await register(in_eur, "Reported")
        await apply(in_eur, uuid.uuid4(), customer_id, 1, "confirmed", "100")  # 100 EUR
        # The reporting currency changes: orders keep the revenue they were counted with, and
        # the stored EUR totals are not moved by a USD difference but counted afresh.
        await apply(in_usd, uuid.uuid4(), customer_id, 1, "confirmed", "30", "USD", LATER)
        row = await value(in_usd, customer_id)
        assert (row["currency"], row["order_count"], row["lifetime_revenue"]) == (
            "USD",
            2,
            Decimal("130"),
        )
    finally:
        await engine.dispose()


# A merge racing an order event (PostgreSQL: SQLite runs one writing transaction at a time).


async def _merge_race_setup(postgres_url):
    await upgrade(postgres_url, "tandem_customer.db:migrations")
    engine = create_engine(postgres_url)
    uow_factory = unit_of_work_factory(session_factory(engine))
    source, survivor = (
        await register(uow_factory, "Source"),
        await register(uow_factory, "Survivor"),
    )
    order = uuid.uuid4()
    await apply(uow_factory, order, source, 1, "confirmed", "100")
    return engine, uow_factory, source, survivor, order


async def _merge(uow_factory, source, survivor):
    async with uow_factory() as uow:
        await handlers.merge_customers(MergeCustomers(source, survivor), uow)
        await uow.commit()


async def _stored_and_afresh(uow_factory, customer_id):
    async with uow_factory() as uow:
        stored = await uow.values.totals(customer_id)
        afresh = await uow.values.facts(customer_id, "EUR")
    return (stored.order_count, stored.lifetime_revenue), (
        afresh.order_count,
        afresh.lifetime_revenue,
    )


async def test_a_merge_between_reading_an_order_and_writing_it_sends_the_event_round_again(
    postgres_url, monkeypatch
):
    from tandem_customer.application.value import OrderChangedMeanwhile
    from tandem_customer.db import values as values_module

    engine, uow_factory, source, survivor, order = await _merge_race_setup(postgres_url)
    try:
        look_up = values_module.ValueRepository.look_up
        read, merged = asyncio.Event(), asyncio.Event()

        async def held_back(self, order_id, customer):
            found = await look_up(self, order_id, customer)
            read.set()
            await merged.wait()  # the merge commits between this read and the write
            return found

        async def merge_once_read():
            await read.wait()
            await _merge(uow_factory, source, survivor)
            merged.set()

        monkeypatch.setattr(values_module.ValueRepository, "look_up", held_back)
        first, _ = await asyncio.wait_for(
            asyncio.gather(
                apply(uow_factory, order, source, 2, "fulfilled", "120"),
                merge_once_read(),
                return_exceptions=True,
            ),
            30,
        )
        monkeypatch.undo()
        assert isinstance(first, OrderChangedMeanwhile)

        assert await apply(uow_factory, order, source, 2, "fulfilled", "120")  # handled again
        for customer, expected in ((source, (0, 0)), (survivor, (1, 120))):
            stored, afresh = await _stored_and_afresh(uow_factory, customer)
            assert stored == afresh == expected
    finally:
        await engine.dispose()


async def test_an_order_event_and_a_merge_of_its_customer_take_turns(postgres_url, monkeypatch):
    """The event locks the customer before it writes the order's row, as the merge locks it
    before it moves the customer's orders: neither waits for the other in a cycle."""
    from tandem_customer.db import values as values_module

    engine, uow_factory, source, survivor, order = await _merge_race_setup(postgres_url)
    try:
        save_order = values_module.ValueRepository.save_order
        written, go_on = asyncio.Event(), asyncio.Event()

        async def held_back(self, values, **kw):
            ordered_at = await save_order(self, values, **kw)
            written.set()
            await go_on.wait()  # the merge starts while this transaction holds its locks
            return ordered_at

        async def merge_once_written():
            await written.wait()
            asyncio.get_running_loop().call_later(0.5, go_on.set)
            await _merge(uow_factory, source, survivor)

        monkeypatch.setattr(values_module.ValueRepository, "save_order", held_back)
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                apply(uow_factory, order, source, 2, "fulfilled", "120"),
                merge_once_written(),
                return_exceptions=True,
            ),
            30,
        )
        assert [o for o in outcomes if isinstance(o, BaseException)] == []
        for customer, expected in ((source, (0, 0)), (survivor, (1, 120))):
            stored, afresh = await _stored_and_afresh(uow_factory, customer)
            assert stored == afresh == expected
    finally:
        await engine.dispose()
