"""What sales consumes: customer events feed the customer read model."""

from __future__ import annotations

from collections.abc import Callable

from tandem_contracts import Envelope
from tandem_contracts import customer as contract
from tandem_contracts.consumers import group
from tandem_kit.consumer import Subscription
from tandem_sales.application import handlers
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.customers import CustomerAccount

CUSTOMER_READ_MODEL_GROUP = group("sales.customer-read-model").group_id


async def on_customer_snapshot(
    envelope: Envelope[contract.CustomerSnapshot], uow: SalesUnitOfWork
) -> None:
    data = envelope.data
    await handlers.when_customer_changed(
        CustomerAccount(
            id=data.customer_id,
            name=data.name,
            status=data.status,
            credit_limit=data.credit_limit.amount,
            currency=data.credit_limit.currency,
            version=data.version,
            updated_at=envelope.time,
            merged_into=data.merged_into,
        ),
        uow,
    )


def customer_subscription() -> Subscription:
    snapshot_events = [
        e for e in contract.CUSTOMERS.events if issubclass(e, contract.CustomerSnapshot)
    ]
    return Subscription(contract.CUSTOMERS, {e: on_customer_snapshot for e in snapshot_events})


UowFactory = Callable[[], SalesUnitOfWork]
