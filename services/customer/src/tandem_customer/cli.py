"""`tandem-customer api|worker|migrate`, and `tandem-customer import-leads FILE`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from tandem_customer.settings import CustomerSettings, rules_of
from tandem_kit.runtime import ServiceDefinition
from tandem_kit.runtime import main as run_main

DEFINITION = ServiceDefinition(
    name="customer",
    settings=CustomerSettings,
    app="tandem_customer.main:create_app",
    worker="tandem_customer.worker:create_worker",
    migrations="tandem_customer.db:migrations",
)


async def import_file(text: str, owner: str | None, settings: CustomerSettings) -> dict:
    """Import a CSV of leads into the service database, printing progress per batch."""
    from tandem_customer.application.access import Actor
    from tandem_customer.application.imports import import_leads
    from tandem_customer.bootstrap import unit_of_work_factory
    from tandem_kit.db import session_factory
    from tandem_kit.runtime import engine_for

    engine = engine_for(settings)
    try:
        uow_factory = unit_of_work_factory(session_factory(engine), rules_of(settings))

        async def progress(report) -> None:
            pct = 100 * report.processed // max(report.total_rows, 1)
            print(
                f"\r{report.processed}/{report.total_rows} rows ({pct}%): "
                f"{report.imported} imported, {report.duplicates} duplicates, "
                f"{report.failed} failed",
                end="",
                file=sys.stderr,
                flush=True,
            )

        report = await import_leads(
            text,
            uow_factory,
            actor=Actor(owner or "import"),
            batch_size=settings.import_batch_size,
            progress=progress,
        )
        print(file=sys.stderr)
        return report.as_dict()
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["import-leads"]:
        parser = argparse.ArgumentParser(prog="tandem-customer import-leads")
        parser.add_argument("file", type=Path, help="CSV with a header (name,email,company,...)")
        parser.add_argument("--owner", help="owner of leads whose row names none")
        opts = parser.parse_args(args[1:])
        text = opts.file.read_text(encoding="utf-8-sig")
        report = asyncio.run(import_file(text, opts.owner, CustomerSettings()))
        print(json.dumps(report, indent=2))
        sys.exit(1 if report["failed"] else 0)
    run_main(DEFINITION, args)


if __name__ == "__main__":
    main()
