"""A uniqueness race that slips past a service's checks is a 409 naming the field, never a 500."""

import pytest
from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from tandem_kit.db import create_engine
from tandem_kit.http import install_error_handlers
from tandem_kit.testing.plugin import service_client

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("legal_id", String(20), unique=True),
)


@pytest.fixture
async def app(database_url):
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things/{legal_id}")
    async def create(legal_id: str) -> dict:
        async with engine.begin() as conn:
            await conn.execute(insert(things).values(legal_id=legal_id))
        return {"ok": True}

    yield app
    await engine.dispose()


async def test_a_unique_violation_is_a_409_naming_the_field(app):
    async with service_client(app) as client:
        assert (await client.post("/things/DE1")).status_code == 200
        second = await client.post("/things/DE1")
    assert second.status_code == 409
    assert second.json()["field"] == "legal_id"
    assert "must be unique" in second.json()["detail"]
