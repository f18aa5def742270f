"""The demand join's producer flush: exactly what was queued before it, however long that takes."""

import asyncio
from types import SimpleNamespace

import pytest

from tandem_procurement.streams.app import _ChangelogBuffer


class Channel:
    """Publishes only when the test releases a record, as a slow or busy client would."""

    def __init__(self) -> None:
        self.release = asyncio.Semaphore(0)
        self.published: list[int] = []

    async def publish_message(self, fut, wait=False):
        await self.release.acquire()
        self.published.append(fut.n)


def record(channel: Channel, n: int):
    return SimpleNamespace(n=n, message=SimpleNamespace(channel=channel))


async def test_drain_waits_for_what_was_queued_before_it_and_not_for_later_records():
    buffer = _ChangelogBuffer()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    channel = Channel()
    for n in range(3):
        buffer.put(record(channel, n))

    async def pump():  # what the buffer's own task does
        while True:
            await buffer._send_pending(await buffer.pending.get())

    pumping = asyncio.create_task(pump())
    try:
        drained = asyncio.create_task(buffer.drain())
        channel.release.release()
        await asyncio.sleep(0.3)  # Faust's own flush gives up after 0.1 s without a send
        assert not drained.done() and channel.published == [0]
        for n in range(3, 6):  # the agents keep writing while the commit waits
            buffer.put(record(channel, n))
        channel.release.release()
        channel.release.release()
        await asyncio.wait_for(drained, timeout=5)
        assert channel.published == [0, 1, 2]  # done without waiting for 3..5
    finally:
        pumping.cancel()


async def test_drain_fails_instead_of_waiting_when_the_buffer_has_stopped():
    buffer = _ChangelogBuffer()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    buffer.put(record(Channel(), 0))  # nobody will ever send it
    buffer._stopped.set()  # what stopping the service sets first
    with pytest.raises(RuntimeError, match="1 record"):
        await asyncio.wait_for(buffer.drain(), timeout=5)
