"""The net-demand view keeps the demand join's latest output per SKU (one upsert per event)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

AT = datetime(2027, 3, 1, 9, tzinfo=UTC)


async def record(uow, version, net, as_of=AT, sku="SKU-1"):
    async with uow() as u:
        applied = await u.net_demand.record(
            sku,
            version=version,
            ordered=Decimal(10),
            covered=Decimal(10) - net,
            net=net,
            as_of=as_of,
        )
        await u.commit()
    return applied


async def net_of(uow, sku="SKU-1"):
    async with uow() as u:
        (row,) = await u.net_demand.list(sku=sku, limit=1, after=None)
    return row["version"], row["net_quantity"]


async def test_a_newer_version_replaces_and_an_older_or_repeated_one_changes_nothing(uow):
    assert await record(uow, 5, Decimal(4)) is True
    assert await record(uow, 7, Decimal(2)) is True
    assert await record(uow, 6, Decimal(9)) is False  # late
    assert await record(uow, 7, Decimal(9)) is False  # the same version again
    assert await net_of(uow) == (7, Decimal(2))


async def test_a_replay_counting_from_low_versions_wins_by_a_later_as_of(uow):
    await record(uow, 900, Decimal(4))
    assert await record(uow, 3, Decimal(1), as_of=AT + timedelta(minutes=1)) is True
    assert await net_of(uow) == (3, Decimal(1))
    assert await record(uow, 2, Decimal(8), as_of=AT) is False
    assert await net_of(uow) == (3, Decimal(1))
