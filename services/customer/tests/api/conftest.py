import pytest

from tandem_customer.main import create_app
from tandem_customer.settings import CustomerSettings
from tandem_kit.migrations import upgrade
from tandem_kit.settings import AuthSettings
from tandem_kit.testing.plugin import service_client


@pytest.fixture
async def customer_app(sqlite_url):
    await upgrade(sqlite_url, "tandem_customer.db:migrations")
    settings = CustomerSettings(
        database_url=sqlite_url, auth=AuthSettings(development=True), import_batch_size=1000
    )
    return create_app(settings)


@pytest.fixture
async def client(customer_app):
    async with service_client(customer_app) as client:
        yield client
