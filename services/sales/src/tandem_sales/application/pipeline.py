"""Opportunity use cases: open (by hand or from a converted lead), move, win, lose."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal

from tandem_sales.application.commands import MoveOpportunity, OpenOpportunity, ReviseOpportunity
from tandem_sales.application.common import check_version, owner_for, visible
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.errors import Forbidden, InvalidInput
from tandem_sales.domain.opportunities import Opportunity, Stage


async def open_opportunity(
    cmd: OpenOpportunity, uow: SalesUnitOfWork, probabilities: Mapping[str, int]
) -> Opportunity:
    opp = Opportunity.open(
        customer_id=cmd.customer_id,
        name=cmd.name,
        amount=cmd.amount,
        currency=cmd.currency,
        owner=owner_for(cmd.actor, cmd.owner),
        probabilities=probabilities,
        expected_close=cmd.expected_close,
    )
    uow.opportunities.add(opp)
    return opp


async def when_lead_converted(
    *,
    lead_id: uuid.UUID,
    customer_id: uuid.UUID,
    name: str,
    amount: Decimal | None,
    currency: str | None,
    owner: str | None,
    uow: SalesUnitOfWork,
    probabilities: Mapping[str, int],
    default_currency: str,
) -> Opportunity | None:
    """Open the one opportunity of a lead conversion; a repeat (any event id) opens none.

    The unique lead_id column backs this check against a concurrent twin.
    """
    if await uow.opportunities.by_lead(lead_id) is not None:
        return None
    if currency is None:
        account = await uow.customers.get(customer_id)
        currency = account.currency if account is not None else default_currency
    opp = Opportunity.open(
        customer_id=customer_id,
        name=name,
        amount=amount or Decimal(0),
        currency=currency,
        owner=owner,
        probabilities=probabilities,
        lead_id=lead_id,
    )
    uow.opportunities.add(opp)
    return opp


async def move_opportunity(
    cmd: MoveOpportunity, uow: SalesUnitOfWork, probabilities: Mapping[str, int]
) -> Opportunity:
    opp = visible(
        await uow.opportunities.get(cmd.opportunity_id, for_update=True),
        cmd.actor,
        "opportunity",
        cmd.opportunity_id,
    )
    check_version(opp, cmd.expected_version)
    if cmd.action == "win":
        opp.win(probabilities)
    elif cmd.action == "lose":
        opp.lose(cmd.reason or "", probabilities)
    else:
        try:
            stage = Stage(cmd.to or "")
        except ValueError:
            raise InvalidInput(
                f"unknown stage {cmd.to!r}; stages: {', '.join(s.value for s in Stage)}",
                field="to",
            ) from None
        opp.move_to(stage, probabilities)
    return opp


async def revise_opportunity(cmd: ReviseOpportunity, uow: SalesUnitOfWork) -> Opportunity:
    """Change an open opportunity's details; only managers hand it to another owner."""
    opp = visible(
        await uow.opportunities.get(cmd.opportunity_id, for_update=True),
        cmd.actor,
        "opportunity",
        cmd.opportunity_id,
    )
    check_version(opp, cmd.expected_version)
    owner = cmd.changes.get("owner", opp.owner)
    if owner != opp.owner and cmd.actor.own_records_only:
        raise Forbidden("a sales rep cannot hand an opportunity to someone else", field="owner")
    opp.revise(cmd.changes)
    return opp
