"""The worker runtime: what start-up built is frozen out of full collections, once started."""

import asyncio
import gc
from types import SimpleNamespace

from tandem_kit import runtime


async def test_a_worker_freezes_what_start_up_built_once_its_consumers_are_assigned():
    consumers = [SimpleNamespace(ready=asyncio.Event()), SimpleNamespace(ready=asyncio.Event())]
    worker = SimpleNamespace(consumers=consumers)
    gc.unfreeze()
    try:
        freezing = asyncio.create_task(runtime.freeze_once_started(worker, within=30))
        consumers[0].ready.set()
        await asyncio.sleep(0.05)
        assert gc.get_freeze_count() == 0 and not freezing.done()  # one still joining

        consumers[1].ready.set()
        await asyncio.wait_for(freezing, 5)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


async def test_a_worker_whose_consumers_never_get_partitions_freezes_after_the_wait():
    worker = SimpleNamespace(consumers=[SimpleNamespace(ready=asyncio.Event())])
    gc.unfreeze()
    try:
        await asyncio.wait_for(runtime.freeze_once_started(worker, within=0.05), 5)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
