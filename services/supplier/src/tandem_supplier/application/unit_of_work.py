"""The supplier service's unit of work: repositories over one session, outbox on commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_kit.uow import SqlUnitOfWork, Translator
from tandem_supplier.db.repositories import (
    CertificationRepository,
    OfferRepository,
    ScorecardRepository,
    SupplierRepository,
)
from tandem_supplier.db.tables import start_mappers


class SupplierUnitOfWork(SqlUnitOfWork):
    suppliers: SupplierRepository
    certifications: CertificationRepository
    offers: OfferRepository
    scorecards: ScorecardRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession], translate: Translator) -> None:
        start_mappers()
        super().__init__(sessions, translate)

    async def __aenter__(self) -> SupplierUnitOfWork:
        await super().__aenter__()
        self.suppliers = SupplierRepository(self.session, self.track)
        self.certifications = CertificationRepository(self.session, self.track)
        self.offers = OfferRepository(self.session, self.track)
        self.scorecards = ScorecardRepository(self.session, self.track)
        return self
