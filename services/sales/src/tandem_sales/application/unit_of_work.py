"""The sales unit of work: repositories over one session, outbox rows on commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_kit.uow import SqlUnitOfWork, Translator
from tandem_sales.db.repositories import (
    CustomerAccountRepository,
    OpportunityRepository,
    OrderRepository,
    ProductRepository,
    QuoteRepository,
)
from tandem_sales.db.tables import start_mappers


class SalesUnitOfWork(SqlUnitOfWork):
    customers: CustomerAccountRepository
    products: ProductRepository
    opportunities: OpportunityRepository
    quotes: QuoteRepository
    orders: OrderRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession], translate: Translator) -> None:
        start_mappers()
        super().__init__(sessions, translate)

    async def __aenter__(self) -> Any:
        await super().__aenter__()
        self.customers = CustomerAccountRepository(self.session, self.track)
        self.products = ProductRepository(self.session, self.track)
        self.opportunities = OpportunityRepository(self.session, self.track)
        self.quotes = QuoteRepository(self.session, self.track)
        self.orders = OrderRepository(self.session, self.track)
        return self
