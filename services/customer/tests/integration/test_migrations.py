"""Migration 0002 on a database that already holds customers (SQLite and PostgreSQL)."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from tandem_kit.db import create_engine
from tandem_kit.migrations import upgrade


async def test_upgrading_from_0001_keeps_customers_and_fills_duplicate_keys(database_url):
    await upgrade(database_url, "tandem_customer.db:migrations", "0001")
    engine = create_engine(database_url)
    cid = uuid.uuid4()
    sqlite = database_url.startswith("sqlite")
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO customers (id, name, email, legal_id, credit_limit, currency, status,"
                    " version, created_at, updated_at) VALUES (:id, 'ACME, Inc.', 'Ops+x@Acme.com',"
                    " 'de 1.2', '10', 'EUR', 'active', 1, :now, :now)"
                ),
                # Raw SQL: SQLite stores UUIDs as hex and datetimes as text.
                {"id": cid.hex, "now": "2026-01-01 00:00:00"}
                if sqlite
                else {"id": cid, "now": datetime(2026, 1, 1, tzinfo=UTC)},
            )
        await upgrade(database_url, "tandem_customer.db:migrations")
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT name_key, email_key, legal_key, status FROM customers")
                )
            ).one()
        assert tuple(row) == ("acme", "ops@acme.com", "DE12", "active")
    finally:
        await engine.dispose()


async def test_upgrading_from_0002_counts_a_stored_value_as_version_1(database_url):
    await upgrade(database_url, "tandem_customer.db:migrations", "0002")
    engine = create_engine(database_url)
    cid = uuid.uuid4()
    sqlite = database_url.startswith("sqlite")
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO customer_values (customer_id, lifetime_revenue, revenue_cents,"
                    " currency, order_count, last_order_at, tier, updated_at)"
                    " VALUES (:id, 100, 10000, 'EUR', 1, NULL, 'bronze', :now)"
                ),
                {"id": cid.hex, "now": "2026-01-01 00:00:00"}
                if sqlite
                else {"id": cid, "now": datetime(2026, 1, 1, tzinfo=UTC)},
            )
        await upgrade(database_url, "tandem_customer.db:migrations")
        async with engine.begin() as conn:
            assert (await conn.execute(text("SELECT version FROM customer_values"))).scalar() == 1
            # A row written without a version (none of the service's own writes) starts at 0.
            await conn.execute(
                text(
                    "INSERT INTO customer_values (customer_id, lifetime_revenue, revenue_cents,"
                    " currency, order_count, tier, updated_at)"
                    " VALUES (:id, 0, 0, 'EUR', 0, 'bronze', :now)"
                ),
                {"id": uuid.uuid4().hex, "now": "2026-01-01 00:00:00"}
                if sqlite
                else {"id": uuid.uuid4(), "now": datetime(2026, 1, 1, tzinfo=UTC)},
            )
            versions = (
                await conn.execute(text("SELECT version FROM customer_values ORDER BY version"))
            ).scalars()
            assert list(versions) == [0, 1]
    finally:
        await engine.dispose()
