"""Translate customer domain events into contract events on their topics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tandem_contracts import Envelope, Money
from tandem_contracts import customer as contract
from tandem_contracts.topics import Topic
from tandem_customer.domain import events
from tandem_customer.domain.model import Customer


def snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "customer_id": customer.id,
        "version": customer.version,
        "name": customer.name,
        "email": customer.email,
        "legal_id": customer.legal_id,
        "status": customer.status.value,
        "credit_limit": Money(amount=customer.credit_limit, currency=customer.currency),
        "tier": customer.tier,
        "segment": customer.segment,
        "industry": customer.industry,
        "owner": customer.owner,
        "merged_into": customer.merged_into,
    }


def translate(aggregate: Any, event: Any) -> Iterator[tuple[Topic, Envelope]]:
    if isinstance(aggregate, Customer):
        subject = str(aggregate.id)
        if isinstance(event, events.CustomerRegistered):
            yield (
                contract.CUSTOMERS,
                Envelope.wrap(contract.CustomerCreated(**snapshot(aggregate)), subject=subject),
            )
        elif isinstance(event, events.CustomerStatusChanged):
            yield (
                contract.CUSTOMERS,
                Envelope.wrap(
                    contract.CustomerStatusChanged(
                        **snapshot(aggregate),
                        previous_status=event.previous_status,
                        reason=event.reason,
                    ),
                    subject=subject,
                ),
            )
        else:
            raise TypeError(f"no contract for {type(event).__name__}")
