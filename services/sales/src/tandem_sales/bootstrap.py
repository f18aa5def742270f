"""Wiring: the unit of work with its event translator (used by the app, worker and tests)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.events.publishing import translate


def unit_of_work_factory(
    sessions: async_sessionmaker[AsyncSession],
) -> Callable[[], SalesUnitOfWork]:
    return lambda: SalesUnitOfWork(sessions, translate)
