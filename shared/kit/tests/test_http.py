"""A uniqueness race that slips past a service's checks is a 409 naming the field, a
transaction refused for a concurrent one's locks a 503 to retry: never a 500."""

import asyncio
import sqlite3

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from tandem_kit.db import create_engine
from tandem_kit.http import install_error_handlers, install_observability
from tandem_kit.testing.plugin import service_client

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("legal_id", String(20), unique=True),
)


async def things_app(engine) -> FastAPI:
    """An app with the kit's error handlers that creates a thing per POST, on ``engine``."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things/{legal_id}")
    async def create(legal_id: str) -> dict:
        async with engine.begin() as conn:
            await conn.execute(insert(things).values(legal_id=legal_id))
        return {"ok": True}

    return app


@pytest.fixture
async def app(database_url):
    engine = create_engine(database_url)
    yield await things_app(engine)
    await engine.dispose()


async def test_a_unique_violation_is_a_409_naming_the_field(app):
    async with service_client(app) as client:
        assert (await client.post("/things/DE1")).status_code == 200
        second = await client.post("/things/DE1")
    assert second.status_code == 409
    assert second.json()["field"] == "legal_id"
    assert "must be unique" in second.json()["detail"]


# A transaction the database refused only because a concurrent one held what it needed is a
# 503 the client may retry (nothing was written), never a 500.


async def test_a_deadlock_is_a_503_to_retry_and_the_other_request_goes_through(postgres_url):
    engine = create_engine(postgres_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(things), [{"id": 1}, {"id": 2}])
    app = FastAPI()
    install_error_handlers(app)
    both_hold_one = asyncio.Barrier(2)

    @app.post("/swap/{first}/{second}")
    async def swap(first: int, second: int) -> dict:
        async with engine.begin() as conn:
            row = things.c.id
            await conn.execute(update(things).where(row == first).values(legal_id=f"{first}a"))
            await both_hold_one.wait()  # each holds one row and asks for the other's
            await conn.execute(update(things).where(row == second).values(legal_id=f"{second}b"))
        return {"ok": True}

    try:
        async with service_client(app) as client:
            answers = await asyncio.wait_for(
                asyncio.gather(client.post("/swap/1/2"), client.post("/swap/2/1")), 30
            )
    finally:
        await engine.dispose()
    assert sorted(a.status_code for a in answers) == [200, 503]
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.headers["Retry-After"] == "1"
    assert busy.json()["code"] == "Busy"


async def test_sqlites_write_lock_held_past_the_timeout_is_a_503(tmp_path):
    path = tmp_path / "locked.db"
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 0.1})
    app = await things_app(engine)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer, holding the lock
    try:
        async with service_client(app) as client:
            answer = await client.post("/things/DE1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await engine.dispose()
    assert answer.status_code == 503
    assert answer.json()["code"] == "Busy"


async def test_any_other_database_error_stays_a_500(app):
    @app.get("/missing")
    async def missing() -> dict:
        raise DBAPIError("SELECT * FROM nowhere", {}, Exception("no such table: nowhere"))

    async with service_client(app) as client:
        answer = await client.get("/missing")
    assert answer.status_code == 500
    assert answer.json()["detail"] == "internal error"


async def test_an_unexpected_error_answers_with_the_requests_correlation_id():
    app = FastAPI()
    install_error_handlers(app)
    install_observability(app, "test")

    @app.get("/broken")
    async def broken() -> dict:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/broken", headers={"X-Correlation-ID": "cid-500"})
        fresh = await client.get("/broken")
    assert answer.status_code == 500
    assert answer.json() == {"detail": "internal error", "correlation_id": "cid-500"}
    assert answer.headers["X-Correlation-ID"] == "cid-500"
    # Without one sent, the id the service made up is in the body and the header alike.
    assert fresh.json()["correlation_id"]
    assert fresh.headers["X-Correlation-ID"] == fresh.json()["correlation_id"]
