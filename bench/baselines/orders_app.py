"""Raw baseline for order intake: bare FastAPI + SQLAlchemy async on an SQLite file.

The same row shape as the sales service's orders and order lines, the same SQLite settings
(WAL, synchronous=NORMAL, busy timeout, BEGIN IMMEDIATE), no auth, no outbox, no gateway.
Run as ``python -m bench.baselines.orders_app --db FILE --port N`` (uvicorn, one process).
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    event,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

metadata = MetaData()
orders = Table(
    "orders",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("owner", String(200)),
    Column("status", String(20), nullable=False),
    Column("quote_id", Uuid, unique=True),
    Column("credit_account_id", Uuid),
    Column("cancel_reason", Text),
    Column("confirmed_at", String(40)),
    Column("version", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Index("ix_orders_customer_id_created_at", "customer_id", "created_at"),
    Index("ix_orders_created_at_id", "created_at", "id"),
    Index("ix_orders_confirmed_at", "confirmed_at"),
)
order_lines = Table(
    "order_lines",
    metadata,
    Column("line_id", Uuid, primary_key=True),
    Column("order_id", Uuid, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", String(40), nullable=False),
    Column("unit_price", String(40), nullable=False),
    Column("requested_date", Date),
    Index("ix_order_lines_order_id", "order_id"),
    Index("ix_order_lines_sku", "sku"),
)


class Money(BaseModel):
    amount: Decimal
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class LineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: Decimal = Field(gt=0)
    unit_price: Money
    requested_date: date | None = None


class OrderIn(BaseModel):
    customer_id: uuid.UUID
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    lines: list[LineIn] = Field(min_length=1)


def sqlite_engine(path: str) -> AsyncEngine:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "synchronous=NORMAL"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_app(db_path: str) -> FastAPI:
    engine = sqlite_engine(db_path)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/orders", status_code=201)
    async def create_order(body: OrderIn) -> dict[str, object]:
        order_id = uuid.uuid4()
        now = datetime.now(UTC).isoformat()
        async with engine.begin() as conn:
            await conn.execute(
                orders.insert().values(
                    id=order_id, customer_id=body.customer_id, currency=body.currency,
                    status="draft", version=1, created_at=now, updated_at=now,
                )
            )
            await conn.execute(
                order_lines.insert(),
                [
                    {
                        "line_id": uuid.uuid4(), "order_id": order_id, "position": i,
                        "sku": line.sku, "quantity": str(line.quantity),
                        "unit_price": str(line.unit_price.amount),
                        "requested_date": line.requested_date,
                    }
                    for i, line in enumerate(body.lines)
                ],
            )
        return {"id": str(order_id), "status": "draft", "version": 1}

    @app.post("/orders/{order_id}/confirm")
    async def confirm_order(order_id: uuid.UUID) -> dict[str, object]:
        now = datetime.now(UTC).isoformat()
        async with engine.begin() as conn:
            row = (
                await conn.execute(
                    select(orders.c.status, orders.c.version).where(orders.c.id == order_id)
                )
            ).first()
            if row is None:
                raise HTTPException(404, "no such order")
            if row.status != "draft":
                raise HTTPException(409, f"order is {row.status}")
            await conn.execute(
                update(orders)
                .where(orders.c.id == order_id)
                .values(status="confirmed", version=row.version + 1, confirmed_at=now,
                        updated_at=now)
            )
        return {"id": str(order_id), "status": "confirmed", "version": row.version + 1}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.db), host=args.host, port=args.port, log_config=None, access_log=False
    )


if __name__ == "__main__":
    main()
