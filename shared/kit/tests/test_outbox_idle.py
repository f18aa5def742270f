"""An idle relay polls less and less often, and returns to the poll interval on new rows."""

import asyncio
import uuid

import pytest
from sqlalchemy import insert

from tandem_kit import outbox
from tandem_kit.db import session_factory
from tandem_kit.outbox import IDLE_FACTOR, OutboxRelay, OutboxSignal
from tandem_kit.settings import AuthSettings, ServiceSettings
from tandem_kit.testing.plugin import eventually
from tandem_kit.testing.samples import customer_created, effects, make_topic
from tandem_kit.uow import SqlUnitOfWork


class ScriptedRelay(OutboxRelay):
    """publish_batch answers from a script: how many rows each poll found."""

    def __init__(self, settings, engine, script):
        super().__init__(settings, engine)
        self.script = list(script)

    async def publish_batch(self) -> int:
        return self.script.pop(0) if self.script else 0


@pytest.fixture
def waits(monkeypatch):
    """Record the relay's sleeps instead of sleeping; stop it after 12 of them."""
    recorded: list[float] = []

    async def fake_sleep(stop: asyncio.Event, seconds: float) -> None:
        recorded.append(round(seconds, 6))
        if len(recorded) >= 12:
            stop.set()

    async def no_purge(engine, older_than):
        return 0

    monkeypatch.setattr(outbox, "_sleep_or_stop", fake_sleep)
    monkeypatch.setattr(outbox, "purge_published", no_purge)
    return recorded


async def test_empty_polls_back_off_to_a_ceiling_and_rows_reset_the_interval(engine, waits):
    settings = ServiceSettings(
        service_name="idle", outbox_poll_interval_ms=20, auth=AuthSettings(development=True)
    )
    relay = ScriptedRelay(settings, engine, [0, 0, 0, 0, 0, 3, 0, 0, 1, 0, 0, 0])
    await relay.run(asyncio.Event())
    ceiling = round(0.02 * IDLE_FACTOR, 6)
    assert waits == [0.04, 0.08, 0.16, ceiling, ceiling, 0.02, 0.04, 0.08, 0.02, 0.04, 0.08, 0.16]


async def test_a_full_batch_is_followed_at_once_by_the_next(engine, waits):
    settings = ServiceSettings(
        service_name="busy",
        outbox_batch_size=10,
        outbox_poll_interval_ms=20,
        auth=AuthSettings(development=True),
    )
    relay = ScriptedRelay(settings, engine, [10, 10, 4] + [0] * 12)
    await relay.run(asyncio.Event())
    assert waits[:3] == [0.02, 0.04, 0.08]  # no sleep after the two full batches


async def test_the_idle_ceiling_never_exceeds_the_failure_backoff_ceiling(engine, waits):
    settings = ServiceSettings(
        service_name="capped",
        outbox_poll_interval_ms=20,
        outbox_max_backoff_ms=50,
        auth=AuthSettings(development=True),
    )
    await ScriptedRelay(settings, engine, []).run(asyncio.Event())
    assert max(waits) == 0.05


class CountingRelay(OutboxRelay):
    """Counts its polls; finds nothing to publish (no broker needed)."""

    polls = 0

    async def publish_batch(self) -> int:
        self.polls += 1
        return 0


async def test_a_commit_with_outbox_rows_wakes_the_relay_of_its_process(engine):
    signal = OutboxSignal()
    sessions = session_factory(engine, outbox_signal=signal)
    settings = ServiceSettings(
        service_name="woken", outbox_poll_interval_ms=5_000, auth=AuthSettings(development=True)
    )
    relay = CountingRelay(settings, engine, signal=signal)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await eventually(lambda: relay.polls == 1)  # then idle: the next poll is 10 s away
        async with SqlUnitOfWork(sessions, _no_translation) as uow:
            await uow.session.execute(insert(effects).values(event_id=uuid.uuid4(), name="x"))
            await uow.commit()  # no outbox rows: no reason to wake the relay
        await asyncio.sleep(0.3)
        assert relay.polls == 1
        async with SqlUnitOfWork(sessions, _no_translation) as uow:
            uow.publish(make_topic(), customer_created())
            await uow.commit()
        await eventually(lambda: relay.polls == 2, timeout=3)
    finally:
        stop.set()
        await task


def _no_translation(aggregate, event):
    raise AssertionError("nothing to translate")
