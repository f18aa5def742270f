import pytest

from tandem_kit.migrations import upgrade
from tandem_kit.settings import AuthSettings
from tandem_kit.testing.plugin import service_client
from tandem_procurement.main import create_app
from tandem_procurement.settings import ProcurementSettings


@pytest.fixture
async def app(sqlite_url):
    await upgrade(sqlite_url, "tandem_procurement.db:migrations")
    settings = ProcurementSettings(database_url=sqlite_url, auth=AuthSettings(development=True))
    return create_app(settings)


@pytest.fixture
async def client(app):
    async with service_client(app) as client:
        yield client


@pytest.fixture
def seed(app):
    """Write supplier read-model rows as the supplier events would."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from tandem_procurement.domain.sourcing import OfferTerms

    async def supplier(supplier_id, *, sku, price="10", lead=5, status="approved", moq="1"):
        now = datetime.now(UTC)
        async with app.state.uow() as uow:
            await uow.suppliers.record_supplier(
                supplier_id, name="S", status=status, version=1, at=now
            )
            await uow.suppliers.record_offer(
                OfferTerms(
                    offer_id=__import__("uuid").uuid4(),
                    supplier_id=supplier_id,
                    sku=sku,
                    unit_price=Decimal(price),
                    currency="EUR",
                    lead_time_days=lead,
                    minimum_order_quantity=Decimal(moq),
                ),
                version=1,
                withdrawn=False,
                at=now,
            )
            await uow.commit()

    return supplier
