"""Wiring: the unit of work with its event translator and rules (used by app, worker, tests)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_customer.application.config import Rules
from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.events.publishing import translate


def unit_of_work_factory(
    sessions: async_sessionmaker[AsyncSession], rules: Rules | None = None
) -> Callable[[], CustomerUnitOfWork]:
    return lambda: CustomerUnitOfWork(sessions, translate, rules)
