"""Sales repositories."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_sales.db.tables import customer_accounts
from tandem_sales.domain.customers import CustomerAccount


class CustomerAccountRepository:
    def __init__(self, session: AsyncSession, track: Callable[[object], None]) -> None:
        self.session = session
        self._track = track

    async def get(
        self, customer_id: uuid.UUID, *, for_update: bool = False
    ) -> CustomerAccount | None:
        stmt = select(CustomerAccount).where(customer_accounts.c.id == customer_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    def add(self, account: CustomerAccount) -> None:
        self.session.add(account)

    async def count(self) -> int:
        from sqlalchemy import func

        return int(
            await self.session.scalar(select(func.count()).select_from(customer_accounts)) or 0
        )
