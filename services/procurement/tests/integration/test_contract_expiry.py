"""The worker's contract expiry check publishes expiring and expired once each."""

import asyncio
import json
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tandem_kit.db import outbox_table
from tandem_kit.testing.plugin import eventually
from tandem_procurement.application.commands import Actor, ContractAction, DraftContract
from tandem_procurement.application.contracts import (
    act_on_contract,
    check_contract_expiry,
    draft_contract,
)
from tandem_procurement.worker import contract_expiry_task


async def test_expiring_then_expired_each_published_once(uow, sessions, clock):
    today = clock().date()
    async with uow() as u:
        c = await draft_contract(
            DraftContract(
                actor=Actor("manager-1"),
                supplier_id=uuid.uuid4(),
                currency="EUR",
                lines=(("SKU", Decimal("5")),),
                valid_from=today,
                valid_until=today + timedelta(days=40),
                notice_days=30,
            ),
            u,
        )
        await u.commit()
    async with uow() as u:
        await act_on_contract(ContractAction(c.id, "activate"), u)
        await u.commit()

    async def statuses() -> list[str]:
        async with sessions() as s:
            rows = (await s.execute(select(outbox_table.c.payload))).all()
        return [json.loads(r.payload)["status"] for r in rows]

    async def check_three_times() -> None:
        for _ in range(3):
            async with uow() as u:
                await check_contract_expiry(u)
                await u.commit()

    await check_three_times()
    assert await statuses() == ["draft", "active"]
    clock.now += timedelta(days=10)  # within the 30-day notice period
    await check_three_times()
    assert await statuses() == ["draft", "active", "expiring"]
    clock.now += timedelta(days=31)  # past valid_until: the worker's loop notices
    stop = asyncio.Event()
    task = asyncio.create_task(contract_expiry_task(uow, 0.01)(stop))
    try:
        await eventually(
            lambda: _equals(statuses(), ["draft", "active", "expiring", "expired"]), timeout=10
        )
    finally:
        stop.set()
        await task
    await check_three_times()
    assert await statuses() == ["draft", "active", "expiring", "expired"]


async def _equals(value, expected) -> bool:
    return await value == expected
