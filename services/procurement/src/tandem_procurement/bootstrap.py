"""Wiring: the unit of work with its event translator and clock (app, worker and tests)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_procurement.application.unit_of_work import Clock, ProcurementUnitOfWork, system_clock
from tandem_procurement.events.publishing import translate


def unit_of_work_factory(
    sessions: async_sessionmaker[AsyncSession], clock: Clock = system_clock
) -> Callable[[], ProcurementUnitOfWork]:
    return lambda: ProcurementUnitOfWork(sessions, translate, clock)
