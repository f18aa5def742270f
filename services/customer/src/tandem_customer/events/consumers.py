"""What the customer service consumes: sales orders feed customer value (through the inbox)."""

from __future__ import annotations

from tandem_contracts import Envelope
from tandem_contracts import sales as contract
from tandem_contracts.consumers import group
from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.application.value import when_order_changed
from tandem_kit.consumer import Subscription

CUSTOMER_VALUE_GROUP = group("customer.customer-value").group_id
# Customer value may trail the orders: fetches that wait longer bring several orders each,
# handled in one transaction and committed once, and ask the broker far less often.
CUSTOMER_VALUE_FETCH_WAIT_MS = 200
# ...and while orders flow it reads them a few times a second, each fetch's orders in one
# transaction (per group of consumer_batch_size) and one commit. Under order intake on the
# embedded broker this saved a quarter of the worker's CPU per order (docs/performance.md,
# finding 30).
CUSTOMER_VALUE_GATHER_MS = 250


async def on_order_snapshot(
    envelope: Envelope[contract.OrderSnapshot], uow: CustomerUnitOfWork
) -> None:
    order = envelope.data
    await when_order_changed(
        uow,
        order_id=order.order_id,
        customer_id=order.customer_id,
        version=order.version,
        status=order.status,
        total=order.total.amount,
        currency=order.total.currency,
        at=envelope.time,
    )


def order_subscription() -> Subscription:
    """Every order event carries the full order; all of them go to one handler."""
    return Subscription(contract.ORDERS, {e: on_order_snapshot for e in contract.ORDERS.events})
