"""Async engines for SQLite (embedded default) and PostgreSQL, and the kit's own tables."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

import aiosqlite
from aiosqlite.context import contextmanager as aiosqlite_result
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    Uuid,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

if TYPE_CHECKING:
    from tandem_kit.outbox import OutboxSignal

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite (which stores naive text) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use UTC-aware datetimes")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


BigId = BigInteger().with_variant(Integer, "sqlite")

# Tables every service database holds; services list this metadata beside their own in Alembic.
kit_metadata = MetaData(naming_convention=NAMING)

outbox_table = Table(
    "tandem_outbox",
    kit_metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("topic", String(200), nullable=False),
    Column("message_key", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("headers", JSON, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    Column("published_at", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Index(
        "ix_tandem_outbox_pending",
        "id",
        postgresql_where=text("published_at IS NULL"),
        sqlite_where=text("published_at IS NULL"),
    ),
)

inbox_table = Table(
    "tandem_inbox",
    kit_metadata,
    Column("consumer_group", String(200), primary_key=True),
    Column("event_id", Uuid, primary_key=True),
    Column("topic", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("processed_at", UTCDateTime, nullable=False, default=utcnow),
)

idempotency_table = Table(
    "tandem_idempotency",
    kit_metadata,
    Column("principal", String(200), primary_key=True),
    Column("idempotency_key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", JSON, nullable=True),
    Column("response_headers", JSON, nullable=True),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# Execution option for a connection of the writing engine whose transaction only reads: on SQLite
# it begins deferred (a WAL snapshot, no wait for the write lock that BEGIN IMMEDIATE takes).
READS_ONLY = "tandem_reads_only"
# Inline readers wait at most this long for a lock, on the event loop's thread.
READ_BUSY_TIMEOUT_S = 1.0
SQLITE_PRAGMAS = ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL")


class _RunAtOnce:
    """Stands in for the queue to aiosqlite's worker thread: runs each call on the spot."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:
            if future is not None:
                future.set_exception(exc)
            return
        if future is not None:
            future.set_result(result)


class InlineSqliteConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs SQLite on the event loop's own thread.

    aiosqlite hands every call (cursor, execute, fetch, close...) to a thread and back, about
    ten round trips for one small read; on a busy machine each waits for the scheduler. A WAL
    reader that only reads never waits for a lock, so its calls are short enough to run inline.
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()  # no worker thread to start


class _OneTripCursor(aiosqlite.Cursor):
    """A cursor that makes one trip to its connection's thread per statement.

    aiosqlite makes four (open the cursor, execute, fetch, close), each a hand-over to the
    thread and back, which on a busy machine waits for the scheduler each time. Here the
    statement runs, its rows are fetched and the cursor is closed in one call on the thread;
    the result (rows, description, rowcount, lastrowid) is kept for the caller. Fetching all
    at once is what SQLAlchemy's buffered cursor does anyway.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        super().__init__(conn, None)  # type: ignore[arg-type]  # no sqlite3 cursor is kept
        self._rows: list[Any] = []
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    def _run(self, sql: str, parameters: Any, many: bool) -> tuple[Any, ...]:
        cursor = self._conn._conn.cursor()  # on the connection's thread
        try:
            if many:
                cursor.executemany(sql, parameters)
            else:
                cursor.execute(sql, parameters)
            rows = cursor.fetchall() if cursor.description else []
            return rows, cursor.description, cursor.rowcount, cursor.lastrowid
        finally:
            cursor.close()

    async def _trip(self, sql: str, parameters: Any, many: bool) -> _OneTripCursor:
        result = await self._execute(self._run, sql, parameters, many)
        self._rows, self._description, self._rowcount, self._lastrowid = result
        return self

    async def execute(self, sql: str, parameters: Any = None) -> _OneTripCursor:
        return await self._trip(sql, [] if parameters is None else parameters, False)

    async def executemany(self, sql: str, parameters: Any) -> _OneTripCursor:
        return await self._trip(sql, parameters, True)

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = self.arraysize if size is None else size
        taken, self._rows = self._rows[:size], self._rows[size:]
        return taken

    async def fetchall(self) -> list[Any]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1


class OneTripSqliteConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors make one trip to its thread per statement."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._thread.daemon = True  # as SQLAlchemy's own aiosqlite connect does

    @aiosqlite_result
    async def cursor(self) -> _OneTripCursor:  # type: ignore[override]
        return _OneTripCursor(self)  # made here: its sqlite3 cursor lives one call on the thread


def _sqlite_engine(
    url: str, *, echo: bool, begin: str, read_only: bool, inline: bool = False, **pool: int
) -> AsyncEngine:
    options: dict[str, Any] = {"connect_args": {"timeout": 30}}
    parsed = make_url(url)
    path = parsed.database or ""
    if inline:
        inline_connector = partial(sqlite3.connect, path, timeout=READ_BUSY_TIMEOUT_S)

        async def connect() -> aiosqlite.Connection:
            return await InlineSqliteConnection(inline_connector)

        options = {"async_creator": connect}
    elif path not in ("", ":memory:") and not parsed.query:
        connector = partial(sqlite3.connect, path, timeout=30, check_same_thread=False)

        async def connect_one_trip() -> aiosqlite.Connection:
            return await OneTripSqliteConnection(connector)

        options = {"async_creator": connect_one_trip}
    engine = create_async_engine(url, echo=echo, **options, **pool)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        pragmas = SQLITE_PRAGMAS
        if inline:  # never block the event loop long on a lock (WAL readers hardly meet one)
            pragmas += (f"busy_timeout={int(READ_BUSY_TIMEOUT_S * 1000)}",)
        # query_only last: setting the journal mode of a fresh file is itself a write.
        for pragma in pragmas + (("query_only=ON",) if read_only else ()):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READS_ONLY) else begin)

    return engine


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An engine whose transactions behave alike on SQLite and PostgreSQL.

    SQLite: WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE so that concurrent
    writers queue instead of failing on a lock upgrade (no lost updates).
    """
    if is_sqlite(url):
        return _sqlite_engine(url, echo=echo, begin="BEGIN IMMEDIATE", read_only=False)
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def create_read_engine(
    engine: AsyncEngine, *, pool_size: int = 10, inline: bool = True
) -> AsyncEngine:
    """An engine for requests that only read, beside the writing ``engine`` of the same database.

    SQLite: its own connections, with a deferred BEGIN (in WAL mode a reader sees one snapshot
    and neither waits for writers nor holds the write lock that BEGIN IMMEDIATE takes) and
    ``query_only`` on, so a write through it fails instead of upgrading the lock; with
    ``inline`` they run on the event loop's thread instead of a thread per connection.
    PostgreSQL: the same pool, every transaction READ ONLY. Dispose of both engines.
    """
    if engine.dialect.name == "sqlite":
        if engine.url.database in (None, "", ":memory:"):
            return engine  # an in-memory database exists only on its own connection
        return _sqlite_engine(
            engine.url.render_as_string(hide_password=False),
            echo=engine.echo,
            begin="BEGIN",
            read_only=True,
            inline=inline and not engine.url.query,
            pool_size=pool_size,
            max_overflow=pool_size,
        )
    return engine.execution_options(postgresql_readonly=True)


# Where a session keeps the OutboxSignal of its process (read by the unit of work on commit).
OUTBOX_SIGNAL_KEY = "tandem_outbox_signal"


def session_factory(
    engine: AsyncEngine, *, outbox_signal: OutboxSignal | None = None
) -> async_sessionmaker:
    """Sessions on ``engine``; with ``outbox_signal``, a unit of work that commits outbox rows
    wakes the relay of this process at once (the worker passes the relay the same signal)."""
    info = {OUTBOX_SIGNAL_KEY: outbox_signal} if outbox_signal is not None else None
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


class Money(TypeDecorator[Decimal]):
    """Exact decimals: NUMERIC on PostgreSQL, text on SQLite (which would round to a float)."""

    impl = Numeric(20, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect):  # type: ignore[no-untyped-def]
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(20, 4, asdecimal=True))

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        value = Decimal(value)
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        amount = Decimal(value)
        # Same text from both databases: two places unless more precision is really there.
        cents = amount.quantize(Decimal("0.01"))
        return cents if cents == amount else amount.normalize()
