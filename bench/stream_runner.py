"""Run one Faust app until SIGTERM: the demand join or the passthrough baseline.

``python -m bench.stream_runner demand|passthrough --bootstrap HOST:PORT --datadir DIR``; a separate
process, so that the harness's own work does not share its interpreter.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import signal
from pathlib import Path

from tandem_kit.settings import KafkaSettings


async def _run(kind: str, kafka: KafkaSettings, datadir: Path) -> None:
    if kind == "demand":
        from tandem_procurement.streams.app import APP_ID, build_demand_join

        app = build_demand_join(kafka, app_id=APP_ID, datadir=datadir)
    else:
        from bench.baselines.passthrough import build_passthrough

        app = build_passthrough(kafka)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await app.start()
    try:
        await stop.wait()
    finally:
        await app.stop()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        logging.getLogger("bench").warning(
            "cpu seconds: %.2f user, %.2f system", usage.ru_utime, usage.ru_stime
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["demand", "passthrough"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--datadir", type=Path, required=True, help="Faust's data directory")
    args = parser.parse_args()
    logging.basicConfig(
        level=os.environ.get("BENCH_STREAM_LOG_LEVEL", "WARNING"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # A group join on the embedded broker waits about half the session timeout: about 2 s here
    # instead of 3 per app start (the rate is measured from the first commit, so only the wait
    # goes; docs/performance.md, finding 32).
    kafka = KafkaSettings(bootstrap_servers=args.bootstrap, session_timeout_ms=3000)
    asyncio.run(_run(args.kind, kafka, args.datadir))


if __name__ == "__main__":
    main()
