"""The customer service's unit of work: repositories over one session, outbox on commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_customer.db.repositories import CustomerRepository
from tandem_customer.db.tables import start_mappers
from tandem_kit.uow import SqlUnitOfWork, Translator


class CustomerUnitOfWork(SqlUnitOfWork):
    customers: CustomerRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession], translate: Translator) -> None:
        start_mappers()
        super().__init__(sessions, translate)

    async def __aenter__(self) -> CustomerUnitOfWork:
        await super().__aenter__()
        self.customers = CustomerRepository(self.session, self.track)
        return self
