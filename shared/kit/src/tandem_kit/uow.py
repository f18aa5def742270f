"""The unit of work: one transaction that holds the state change and its outbox rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_contracts import Envelope, Topic
from tandem_kit.db import OUTBOX_SIGNAL_KEY
from tandem_kit.outbox import outbox_row, stage_rows


class Aggregate(Protocol):
    """What the unit of work needs of a domain aggregate: the events it raised."""

    def pull_events(self) -> list[Any]: ...


# Maps (aggregate, domain event) to the integration events it is published as (often one).
Translator = Callable[[Any, Any], Iterable[tuple[Topic, Envelope]]]


class SqlUnitOfWork:
    """Opens a session; on commit, turns the events of every tracked aggregate into outbox rows.

    Leaving the block without ``commit()`` rolls everything back, outbox rows included, so a
    rolled-back command publishes nothing.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], translate: Translator) -> None:
        self._sessions = sessions
        self._translate = translate
        self._seen: list[Aggregate] = []
        self._extra: list[tuple[Topic, Envelope]] = []
        self._rows: list[dict[str, Any]] = []
        self.session: AsyncSession

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._seen = []
        self._extra = []
        self._rows = []
        return self

    async def __aexit__(self, *exc: object) -> None:
        # close() rolls back anything uncommitted but, unlike rollback(), leaves loaded objects
        # readable, so a read path may render what it loaded after the block.
        await self.session.close()

    def track(self, aggregate: Aggregate) -> None:
        if not any(a is aggregate for a in self._seen):
            self._seen.append(aggregate)

    def publish(self, topic: Topic, envelope: Envelope) -> None:
        """Publish an integration event that no aggregate raised (e.g. a stream output)."""
        self._extra.append((topic, envelope))

    def settle(self) -> None:
        """Turn the events raised so far into outbox rows now, stamped with the correlation
        and causation ids current at this moment; ``commit()`` settles whatever is left.

        A consumer that handles several events in one transaction settles after each, so
        each effect names the event that caused it."""
        messages, self._extra = self._extra, []
        for aggregate in self._seen:
            for domain_event in aggregate.pull_events():
                messages.extend(self._translate(aggregate, domain_event))
        self._rows.extend(outbox_row(topic, envelope) for topic, envelope in messages)

    async def commit(self) -> None:
        self.settle()
        rows, self._rows = self._rows, []
        await stage_rows(self.session, rows)
        await self.session.commit()
        if rows and (signal := self.session.info.get(OUTBOX_SIGNAL_KEY)) is not None:
            signal.rows_committed()
