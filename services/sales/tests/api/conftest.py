import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tandem_kit.migrations import upgrade
from tandem_kit.settings import AuthSettings
from tandem_kit.testing.plugin import bearer, service_client
from tandem_sales.application.customers import when_customer_changed
from tandem_sales.db.tables import start_mappers
from tandem_sales.domain.customers import CustomerAccount
from tandem_sales.main import create_app
from tandem_sales.settings import SalesSettings

MANAGER = bearer("manager-1", ("sales_manager",))


@pytest.fixture
async def app(sqlite_url):
    await upgrade(sqlite_url, "tandem_sales.db:migrations")
    settings = SalesSettings(database_url=sqlite_url, auth=AuthSettings(development=True))
    return create_app(settings)


@pytest.fixture
async def client(app):
    async with service_client(app) as client:
        yield client


@pytest.fixture
def customer(app):
    """Put a customer into sales' read model (as its events would): returns its id."""
    start_mappers()

    async def put(
        status="active",
        limit="1000",
        currency="EUR",
        version=1,
        customer_id=None,
        merged_into=None,
        owner=None,
    ):
        customer_id = customer_id or uuid.uuid4()
        async with app.state.uow() as uow:
            await when_customer_changed(
                CustomerAccount(
                    id=customer_id,
                    name="Acme",
                    status=status,
                    credit_limit=Decimal(limit),
                    currency=currency,
                    version=version,
                    updated_at=datetime.now(UTC),
                    merged_into=merged_into,
                    owner=owner,
                ),
                uow,
            )
            await uow.commit()
        return customer_id

    return put


@pytest.fixture
async def product(client):
    """A catalog product (SKU-1, 10.00 EUR); returns its JSON."""
    response = await client.post(
        "/api/v1/products",
        json={
            "sku": "SKU-1",
            "name": "Widget",
            "unit": "pcs",
            "list_price": {"amount": "10.00", "currency": "EUR"},
        },
        headers=MANAGER,
    )
    assert response.status_code == 201, response.text
    return response.json()
