"""Sample events, topics and an effects table for tests of the kit and of services."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Column, MetaData, String, Table, Uuid

from tandem_contracts import Envelope, Money, Topic
from tandem_contracts.customer import CustomerCreated

effects_metadata = MetaData()
effects = Table(
    "effects",
    effects_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
)


def make_topic() -> Topic:
    """A throwaway topic (unique name) carrying CustomerCreated."""
    return Topic(
        f"test.t{uuid.uuid4().hex[:12]}.v1", key=uuid.UUID, events=(CustomerCreated,), partitions=3
    )


def customer_created(name: str = "Acme") -> Envelope:
    event = CustomerCreated(
        customer_id=uuid.uuid4(),
        version=1,
        name=name,
        status="prospect",
        credit_limit=Money(amount=Decimal("10.00"), currency="EUR"),
    )
    return Envelope.wrap(event, subject=str(event.customer_id))
