"""What sales consumes: customer events feed the read model; lead conversions open deals."""

from __future__ import annotations

from collections.abc import Mapping

from tandem_contracts import Envelope
from tandem_contracts import customer as contract
from tandem_contracts.consumers import group
from tandem_kit.consumer import Handler, Subscription
from tandem_sales.application import customers, pipeline
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.customers import CustomerAccount

CUSTOMER_READ_MODEL_GROUP = group("sales.customer-read-model").group_id
LEAD_CONVERSIONS_GROUP = group("sales.lead-conversions").group_id


async def on_customer_snapshot(
    envelope: Envelope[contract.CustomerSnapshot], uow: SalesUnitOfWork
) -> None:
    data = envelope.data
    await customers.when_customer_changed(
        CustomerAccount(
            id=data.customer_id,
            name=data.name,
            status=data.status,
            credit_limit=data.credit_limit.amount,
            currency=data.credit_limit.currency,
            version=data.version,
            updated_at=envelope.time,
            merged_into=data.merged_into,
            owner=data.owner,
        ),
        uow,
    )


def customer_subscription() -> Subscription:
    snapshot_events = [
        e for e in contract.CUSTOMERS.events if issubclass(e, contract.CustomerSnapshot)
    ]
    return Subscription(contract.CUSTOMERS, {e: on_customer_snapshot for e in snapshot_events})


def on_lead_converted(probabilities: Mapping[str, int], default_currency: str) -> Handler:
    async def handle(envelope: Envelope[contract.LeadConverted], uow: SalesUnitOfWork) -> None:
        data = envelope.data
        amount = data.estimated_amount
        await pipeline.when_lead_converted(
            lead_id=data.lead_id,
            customer_id=data.customer_id,
            name=data.opportunity_name,
            amount=amount.amount if amount else None,
            currency=amount.currency if amount else None,
            owner=data.owner,
            uow=uow,
            probabilities=probabilities,
            default_currency=default_currency,
        )

    return handle


def lead_subscription(probabilities: Mapping[str, int], default_currency: str) -> Subscription:
    return Subscription(
        contract.LEADS,
        {contract.LeadConverted: on_lead_converted(probabilities, default_currency)},
    )
