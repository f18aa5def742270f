"""What an order event costs the customer value read model, by how many orders the customer has.

``python -m bench.value_probe [--orders 10 100 1000 3000] [--sample 50]``

One customer in a fresh, migrated SQLite database of the customer service (a temporary file).
Orders are applied as the customer worker applies sales events, each a draft (version 1) and
then its confirmation (version 2), in one unit of work each, until the customer has the given
number of orders; printed per step: the median wall time and process CPU time of the last
``--sample`` confirmations, and the statements each one ran. A confirmation moves the stored
totals by the order's difference (docs/performance.md, finding 24); before that change it
counted every order of the customer afresh.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event

from tandem_customer.application import handlers
from tandem_customer.application.commands import RegisterCustomer
from tandem_customer.application.value import when_order_changed
from tandem_customer.bootstrap import unit_of_work_factory
from tandem_kit.db import create_engine, session_factory
from tandem_kit.migrations import upgrade

AT = datetime(2026, 1, 1, tzinfo=UTC)


async def probe(steps: list[int], sample: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'customer.db'}"
        await upgrade(url, "tandem_customer.db:migrations")
        engine = create_engine(url)
        statements = 0

        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        uow_factory = unit_of_work_factory(session_factory(engine))
        try:
            async with uow_factory() as uow:
                customer = await handlers.register_customer(
                    RegisterCustomer(
                        name="Probe", email=None, credit_limit=Decimal(0), currency="EUR"
                    ),
                    uow,
                )
                await uow.commit()
            orders = 0
            for target in steps:
                walls: list[float] = []
                cpus: list[float] = []
                ran: list[int] = []
                while orders < target:
                    orders += 1
                    order_id = uuid.uuid4()
                    for version, status in ((1, "draft"), (2, "confirmed")):
                        statements = 0
                        wall, cpu = time.perf_counter(), time.process_time()
                        async with uow_factory() as uow:
                            await when_order_changed(
                                uow,
                                order_id=order_id,
                                customer_id=customer.id,
                                version=version,
                                status=status,
                                total=Decimal("123.45"),
                                currency="EUR",
                                at=AT + timedelta(seconds=orders),
                            )
                            await uow.commit()
                        if status == "confirmed":
                            walls.append(time.perf_counter() - wall)
                            cpus.append(time.process_time() - cpu)
                            ran.append(statements)
                wall_ms = 1000 * statistics.median(walls[-sample:])
                cpu_ms = 1000 * statistics.median(cpus[-sample:])
                print(
                    f"{orders:>6} orders: a confirmation took {wall_ms:.2f} ms ({cpu_ms:.2f} ms "
                    f"of CPU), {statistics.median(ran[-sample:]):.0f} statements (median of the "
                    f"last {min(sample, len(walls))})"
                )
        finally:
            await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[10, 100, 1000, 3000])
    parser.add_argument("--sample", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(probe(sorted(args.orders), args.sample))


if __name__ == "__main__":
    main()
