"""Run the demand join alone, until SIGTERM or SIGINT: ``python -m tandem_procurement.streams``.

``tandem-procurement streams`` runs the same app alone with health and metrics (as `make run`
starts it), and the worker beside its consumers unless ``PROCUREMENT_DEMAND_JOIN_ENABLED`` is
off; this runs nothing else (a replay under a new app id, or a test). Broker settings come from
the ``KAFKA_`` environment.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from tandem_kit.settings import KafkaSettings
from tandem_procurement.streams.app import APP_ID, build_demand_join, run_demand_join


async def _run(app_id: str, datadir: Path) -> None:
    app = build_demand_join(KafkaSettings(), app_id=app_id, datadir=datadir)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run_demand_join(app, stop)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tandem_procurement.streams")
    parser.add_argument("--app-id", default=APP_ID, help="Faust app id (consumer group)")
    parser.add_argument("--datadir", type=Path, default=Path(".data") / "faust")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_run(args.app_id, args.datadir))


if __name__ == "__main__":
    main()
