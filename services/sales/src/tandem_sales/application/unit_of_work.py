"""The sales unit of work."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_kit.uow import SqlUnitOfWork, Translator
from tandem_sales.db.repositories import CustomerAccountRepository
from tandem_sales.db.tables import start_mappers


class SalesUnitOfWork(SqlUnitOfWork):
    customers: CustomerAccountRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession], translate: Translator) -> None:
        start_mappers()
        super().__init__(sessions, translate)

    async def __aenter__(self) -> Any:
        await super().__aenter__()
        self.customers = CustomerAccountRepository(self.session, self.track)
        return self
