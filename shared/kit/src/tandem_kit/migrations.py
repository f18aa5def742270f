"""Alembic per service: one helper for env.py and one to upgrade to head from code or a CLI."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from tandem_kit.db import create_engine, is_sqlite


def alembic_config(script_location: str, url: str) -> Config:
    """A Config without an ini file: ``script_location`` is ``package:folder``."""
    config = Config()
    config.set_main_option("script_location", script_location)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _configure_and_run(connection: Connection, metadata: Sequence[MetaData]) -> None:
    context.configure(
        connection=connection,
        target_metadata=list(metadata),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_env(metadata: Sequence[MetaData]) -> None:
    """The body of every service's migrations/env.py."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection, metadata)
        return
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=list(metadata),
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    async def online() -> None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        async with engine.connect() as conn:
            await conn.run_sync(_configure_and_run, metadata)
            await conn.commit()
        await engine.dispose()

    asyncio.run(online())


async def upgrade(url: str, script_location: str, revision: str = "head") -> None:
    """Bring a database to ``revision``; safe to run on every start (no-op when current)."""
    if is_sqlite(url):
        from pathlib import Path

        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    config = alembic_config(script_location, url)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def _run(sync_conn: Connection) -> None:
                config.attributes["connection"] = sync_conn
                command.upgrade(config, revision)

            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()
