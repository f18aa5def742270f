"""Async engines for SQLite (embedded default) and PostgreSQL, and the kit's own tables."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

import aiosqlite
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


# PostgreSQL refused a transaction only because a concurrent one held what it needed:
# serialization failure, deadlock detected, lock not available. It was rolled back, at once:
# run again a moment later, the same work may well succeed.
CONFLICT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def concurrent_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is PostgreSQL refusing a transaction for a concurrent one (above)."""
    return getattr(getattr(exc, "orig", None), "pgcode", None) in CONFLICT_SQLSTATES


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


# Statements that may wait for a lock or for the disk: they stay on aiosqlite's thread.
_WAITING_SQL = re.compile(r"\s*(BEGIN|COMMIT|END|PRAGMA|VACUUM)\b", re.IGNORECASE)
_BEGIN = re.compile(r"\s*BEGIN\b", re.IGNORECASE)
_LOCKED = object()  # a BEGIN tried at once found the write lock taken


def _may_wait(connection: sqlite3.Connection, function: Callable[..., Any], args: tuple) -> bool:
    """Whether a call of a writing connection may block: taking the write lock (BEGIN
    IMMEDIATE), committing (a WAL checkpoint syncs), connecting, closing, or any statement
    outside a transaction. Inside a transaction that holds the write lock nothing else waits."""
    owner, name = getattr(function, "__self__", None), getattr(function, "__name__", "")
    if owner is connection:
        return name not in ("cursor", "rollback")  # neither takes a lock; a rollback frees it
    if not isinstance(owner, sqlite3.Cursor):
        return True
    if name == "close":
        return False
    if not connection.in_transaction or name == "executescript":
        return True
    return name in ("execute", "executemany") and bool(_WAITING_SQL.match(args[0]))


def _commits(connection: sqlite3.Connection, function: Callable[..., Any]) -> bool:
    return (
        getattr(function, "__self__", None) is connection
        and getattr(function, "__name__", "") == "commit"
        and connection.in_transaction
    )


def _begins(function: Callable[..., Any], args: tuple) -> bool:
    return (
        isinstance(getattr(function, "__self__", None), sqlite3.Cursor)
        and getattr(function, "__name__", "") == "execute"
        and bool(args)
        and isinstance(args[0], str)
        and bool(_BEGIN.match(args[0]))
    )


_TAKES_WRITE_LOCK = re.compile(r"\s*BEGIN\s+(IMMEDIATE|EXCLUSIVE)\b", re.IGNORECASE)


class WriteGate:
    """One writing transaction of this process at a time holds SQLite's write lock.

    Writers of one process that met the lock taken each went to their connection's thread and
    polled in SQLite's busy handler; under concurrent requests that cost about a fifth of the
    sales API's CPU per order. Queued here instead, a writer begins as soon as the one before it
    commits or rolls back, and only another process's writer is waited for on the thread.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def enter(self, timeout_s: float) -> None:
        """Wait for the writers ahead; as SQLite would, give up after its busy timeout."""
        if not self._lock.locked():
            await self._lock.acquire()
            return
        try:
            await asyncio.wait_for(self._lock.acquire(), timeout_s)
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None

    def leave(self) -> None:
        self._lock.release()


class WritingSqliteConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs on its thread only the calls that may wait.

    aiosqlite hands every call (cursor, execute, fetch, close...) to a thread and back, three
    or four round trips per statement; under load each waits for the scheduler while the
    transaction holds SQLite's one write lock. BEGIN is tried on the spot without waiting and
    goes to the thread (to wait for the lock there) only when another writer holds it; COMMIT
    likewise in WAL mode (where it needs no lock beyond the one held), and always on the thread
    otherwise. So the event loop never waits for another connection. With a ``gate``, a
    transaction that takes the write lock first waits for the writers of this process ahead of
    it (see WriteGate) and leaves the gate when it ends.
    """

    def __init__(
        self, connector: Callable[[], sqlite3.Connection], gate: WriteGate | None = None
    ) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._thread.daemon = True  # as SQLAlchemy's own aiosqlite connect does
        self._busy_timeout_ms: int | None = None
        self._gate = gate
        self._in_gate = False
        self._wal: bool | None = None

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        connection = self._connection
        if connection is None or not self._running:
            return await super()._execute(fn, *args, **kwargs)
        try:
            if _begins(fn, args) and not connection.in_transaction:
                if self._gate is not None and _TAKES_WRITE_LOCK.match(args[0]):
                    await self._enter_gate(connection)
                begun = self._if_free(connection, fn, args)
                if begun is not _LOCKED:
                    return begun
            elif _commits(connection, fn) and self._in_wal_mode(connection):
                committed = self._if_free(connection, fn, args)
                if committed is not _LOCKED:
                    return committed
            elif not _may_wait(connection, fn, args):
                return fn(*args, **kwargs)
            return await super()._execute(fn, *args, **kwargs)
        finally:
            if self._in_gate:
                self._leave_gate_when_done()

    async def _enter_gate(self, connection: sqlite3.Connection) -> None:
        assert self._gate is not None
        if self._busy_timeout_ms is None:
            self._busy_timeout_ms = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
        await self._gate.enter(self._busy_timeout_ms / 1000)
        self._in_gate = True

    def _leave_gate_when_done(self) -> None:
        """Leave the gate once no transaction is open (committed, rolled back or closed)."""
        connection = self._connection
        try:
            open_transaction = connection is not None and connection.in_transaction
        except sqlite3.ProgrammingError:  # closed
            open_transaction = False
        if not open_transaction and self._gate is not None:
            self._in_gate = False
            self._gate.leave()

    def stop(self) -> asyncio.Future | None:  # type: ignore[override]
        # A terminated connection (SQLAlchemy's forced close) ends its transaction too.
        stopped = super().stop()
        if self._in_gate and self._gate is not None:
            self._in_gate = False
            self._gate.leave()
        return stopped

    def _in_wal_mode(self, connection: sqlite3.Connection) -> bool:
        if self._wal is None:
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
            self._wal = str(mode).lower() == "wal"
        return self._wal

    def _if_free(
        self, connection: sqlite3.Connection, call: Callable[..., Any], args: tuple
    ) -> Any:
        """Run BEGIN (or COMMIT) at once if no other connection holds a lock it needs; _LOCKED
        (nothing done) if one does. The connection's busy timeout is off for the attempt only.

        A COMMIT in WAL mode appends the transaction to the log under the write lock this
        transaction holds already: about 15 us. Every thousand pages or so SQLite's automatic
        checkpoint runs in it too and syncs (about 6 ms measured), once, on the event loop. Sent
        to the thread instead, every COMMIT waited for the loop to come back to it (3.2 ms on
        average in the procurement worker under the pipeline's load, measured), holding the
        write lock, and the process's other writers, meanwhile."""
        if self._busy_timeout_ms is None:
            self._busy_timeout_ms = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            return call(*args)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # extended codes too
                raise
            return _LOCKED
        finally:
            connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")


def _sqlite_engine(
    url: str,
    *,
    echo: bool,
    begin: str,
    read_only: bool,
    inline: bool = False,
    writing: bool = False,
    **pool: int,
) -> AsyncEngine:
    options: dict[str, Any] = {"connect_args": {"timeout": 30}}
    parsed = make_url(url)
    path = parsed.database or ""
    if inline:
        inline_connector = partial(sqlite3.connect, path, timeout=READ_BUSY_TIMEOUT_S)

        async def connect() -> aiosqlite.Connection:
            return await InlineSqliteConnection(inline_connector)

        options = {"async_creator": connect}
    elif writing and path not in ("", ":memory:") and not parsed.query:
        # Called from the event loop's thread as well as its own: no same-thread check.
        writer = partial(sqlite3.connect, path, timeout=30, check_same_thread=False)
        gate = WriteGate()  # shared by the engine's connections: one per process and file

        async def connect_writer() -> aiosqlite.Connection:
            return await WritingSqliteConnection(writer, gate)

        options = {"async_creator": connect_writer}
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
        return _sqlite_engine(
            url, echo=echo, begin="BEGIN IMMEDIATE", read_only=False, writing=True
        )
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


def plain_money(amount: Decimal) -> Decimal:
    """An amount as stored money reads back, the same text from both databases: two places
    unless more precision is really there."""
    cents = amount.quantize(Decimal("0.01"))
    return cents if cents == amount else amount.normalize()


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
        return None if value is None else plain_money(Decimal(value))
