from datetime import date

import pytest

from tandem_kit.migrations import upgrade
from tandem_kit.settings import AuthSettings
from tandem_kit.testing.plugin import service_client
from tandem_supplier.main import create_app
from tandem_supplier.settings import SupplierSettings

TODAY = date(2026, 3, 1)


@pytest.fixture
def app_settings(sqlite_url):
    return SupplierSettings(
        database_url=sqlite_url,
        auth=AuthSettings(development=True),
        required_certifications={"food": ["HACCP"], "*": ["ISO9001"]},
    )


@pytest.fixture
async def client(app_settings):
    await upgrade(app_settings.database_url, "tandem_supplier.db:migrations")
    async with service_client(create_app(app_settings, clock=lambda: TODAY)) as client:
        yield client
