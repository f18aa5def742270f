"""The customer service's unit of work: repositories over one session, outbox on commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_customer.application.config import Rules
from tandem_customer.db.campaigns import CampaignRepository, SegmentRepository
from tandem_customer.db.leads import LeadRepository
from tandem_customer.db.records import ActivityRepository, ContactRepository, TicketRepository
from tandem_customer.db.repositories import CustomerRepository
from tandem_customer.db.tables import start_mappers
from tandem_customer.db.values import ValueRepository
from tandem_kit.uow import SqlUnitOfWork, Translator


class CustomerUnitOfWork(SqlUnitOfWork):
    customers: CustomerRepository
    contacts: ContactRepository
    activities: ActivityRepository
    leads: LeadRepository
    tickets: TicketRepository
    segments: SegmentRepository
    campaigns: CampaignRepository
    values: ValueRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        translate: Translator,
        rules: Rules | None = None,
    ) -> None:
        start_mappers()
        super().__init__(sessions, translate)
        self.rules = rules or Rules()

    async def __aenter__(self) -> CustomerUnitOfWork:
        await super().__aenter__()
        s, track = self.session, self.track
        self.customers = CustomerRepository(s, track)
        self.contacts = ContactRepository(s, track)
        self.activities = ActivityRepository(s, track)
        self.leads = LeadRepository(s, track)
        self.tickets = TicketRepository(s, track)
        self.segments = SegmentRepository(s, track)
        self.campaigns = CampaignRepository(s, track)
        self.values = ValueRepository(s)
        return self
