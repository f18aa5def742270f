"""The procurement unit of work: repositories over one session, outbox rows on commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_kit.uow import SqlUnitOfWork, Translator
from tandem_procurement.db.readmodels import ApprovalPolicies, NetDemandView, SupplierReadModel
from tandem_procurement.db.repositories import (
    ContractRepository,
    DemandRepository,
    PurchaseOrderRepository,
    RequisitionRepository,
)
from tandem_procurement.db.tables import start_mappers

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class ProcurementUnitOfWork(SqlUnitOfWork):
    requisitions: RequisitionRepository
    purchase_orders: PurchaseOrderRepository
    contracts: ContractRepository
    demand: DemandRepository
    suppliers: SupplierReadModel
    policies: ApprovalPolicies
    net_demand: NetDemandView

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        translate: Translator,
        clock: Clock = system_clock,
    ) -> None:
        start_mappers()
        super().__init__(sessions, translate)
        self.clock = clock

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().date()

    async def __aenter__(self) -> ProcurementUnitOfWork:
        await super().__aenter__()
        s, t = self.session, self.track
        self.requisitions = RequisitionRepository(s, t)
        self.purchase_orders = PurchaseOrderRepository(s, t)
        self.contracts = ContractRepository(s, t)
        self.demand = DemandRepository(s, t)
        self.suppliers = SupplierReadModel(s)
        self.policies = ApprovalPolicies(s)
        self.net_demand = NetDemandView(s)
        return self
