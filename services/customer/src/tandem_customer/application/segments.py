"""Segment and campaign handlers."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from tandem_customer.application.handlers import check_version
from tandem_customer.application.records import load
from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.db import paging
from tandem_customer.db.tables import customers
from tandem_customer.domain.errors import Conflict, InvalidRecord
from tandem_customer.domain.segments import Campaign, Segment


async def define_segment(
    uow: CustomerUnitOfWork, *, name: str, rules: dict[str, Any], description: str | None
) -> Segment:
    if await uow.segments.name_taken(name):
        raise Conflict(f"a segment named {name!r} exists", field="name")
    segment = Segment.define(name=name, rules=rules, description=description)
    uow.segments.add(segment)
    return segment


async def redefine_segment(
    uow: CustomerUnitOfWork,
    segment_id: uuid.UUID,
    *,
    name: str | None,
    rules: dict[str, Any] | None,
    expected: int | None,
) -> Segment:
    segment = await load(uow, "segment", segment_id, for_update=True)
    check_version("segment", segment.version, expected)
    if name is not None and await uow.segments.name_taken(name, exclude=segment_id):
        raise Conflict(f"a segment named {name!r} exists", field="name")
    segment.redefine(name=name, rules=rules)
    return segment


async def plan_campaign(
    uow: CustomerUnitOfWork,
    *,
    name: str,
    segment_id: uuid.UUID | None,
    channel: str | None,
    starts_on: date | None,
    ends_on: date | None,
) -> Campaign:
    if segment_id is not None and await uow.segments.get(segment_id) is None:
        raise InvalidRecord(f"segment {segment_id} not found", field="segment_id")
    campaign = Campaign.plan(
        name=name, segment_id=segment_id, channel=channel, starts_on=starts_on, ends_on=ends_on
    )
    uow.campaigns.add(campaign)
    return campaign


async def act_on_campaign(
    uow: CustomerUnitOfWork, campaign_id: uuid.UUID, action: str, expected: int | None
) -> Campaign:
    """schedule, launch, complete, cancel; launching a segment campaign snapshots its members."""
    campaign = await load(uow, "campaign", campaign_id, for_update=True)
    check_version("campaign", campaign.version, expected)
    campaign.act(action)
    if action == "launch" and campaign.segment_id is not None:
        segment = await load(uow, "segment", campaign.segment_id)
        ids: list[uuid.UUID] = []
        keyset = paging.Keyset(customers.c.created_at)
        while True:
            rows = await uow.values.segment_members(segment.rules, limit=1000, keyset=keyset)
            ids += [c.id for c, _ in rows]
            if len(rows) < 1000:
                break
            keyset = paging.Keyset(
                customers.c.created_at, after=(rows[-1][0].created_at, rows[-1][0].id)
            )
        campaign.member_count = await uow.campaigns.add_members(campaign.id, ids)
    return campaign


async def add_campaign_members(
    uow: CustomerUnitOfWork, campaign_id: uuid.UUID, customer_ids: list[uuid.UUID]
) -> Campaign:
    campaign = await load(uow, "campaign", campaign_id, for_update=True)
    campaign.check_members_editable()
    for cid in dict.fromkeys(customer_ids):
        customer = await uow.customers.get(cid)
        if customer is None or customer.status == "merged":
            raise InvalidRecord(f"customer {cid} not found or merged", field="customer_ids")
    campaign.members_changed(await uow.campaigns.add_members(campaign.id, customer_ids))
    return campaign


async def remove_campaign_member(
    uow: CustomerUnitOfWork, campaign_id: uuid.UUID, customer_id: uuid.UUID
) -> Campaign:
    campaign = await load(uow, "campaign", campaign_id, for_update=True)
    campaign.check_members_editable()
    campaign.members_changed(await uow.campaigns.remove_member(campaign.id, customer_id))
    return campaign
