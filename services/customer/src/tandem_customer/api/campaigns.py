"""Campaigns: members (by hand or snapshotted from a segment) and status."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tandem_customer.api.common import Cursor, keyset, page, uow_of
from tandem_customer.api.segments import Member, MemberPage, Name
from tandem_customer.application import segments as handlers
from tandem_customer.application.records import load
from tandem_customer.db.tables import campaigns
from tandem_customer.domain.segments import CAMPAIGN_TRANSITIONS, Campaign, CampaignStatus
from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.idempotency import execute
from tandem_kit.pagination import BadCursor, decode_cursor, encode_cursor
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    segment_id: uuid.UUID | None = None
    channel: Annotated[str, StringConstraints(max_length=50)] | None = None
    starts_on: date | None = None
    ends_on: date | None = None


class Members(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)


class CampaignPublic(BaseModel):
    id: uuid.UUID
    name: str
    segment_id: uuid.UUID | None
    channel: str | None
    starts_on: date | None
    ends_on: date | None
    status: CampaignStatus
    member_count: int
    version: int
    created_at: datetime

    @classmethod
    def of(cls, c: Campaign) -> CampaignPublic:
        return cls.model_validate(c, from_attributes=True)


def _camp(status: int = 200):
    return lambda c: (status, CampaignPublic.of(c).model_dump(mode="json"))


READ, WRITE = require("campaigns", "read"), require("campaigns", "write")


@router.post("", status_code=201, response_model=CampaignPublic, dependencies=[WRITE])
async def plan_campaign(
    body: CampaignCreate, request: Request, keyed: IdempotencyKey
) -> JSONResponse:
    status, payload = await execute(
        uow_of(request),
        lambda uow: handlers.plan_campaign(uow, **body.model_dump()),
        _camp(201),
        keyed,
    )
    return respond(status, payload)


@router.get("", dependencies=[READ])
async def list_campaigns(
    request: Request,
    status: CampaignStatus | None = None,
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> dict:
    async with uow_of(request) as uow:
        rows = await uow.campaigns.list(
            limit=limit + 1,
            keyset=keyset(campaigns.c.created_at, cursor, descending=True),
            status=status,
        )
    items, nxt = page(rows, limit, lambda c: (c.created_at, c.id))
    return {"items": [CampaignPublic.of(c).model_dump(mode="json") for c in items], "next": nxt}


@router.get("/{campaign_id}", response_model=CampaignPublic, dependencies=[READ])
async def get_campaign(campaign_id: uuid.UUID, request: Request) -> JSONResponse:
    async with uow_of(request) as uow:
        return respond(
            200, CampaignPublic.of(await load(uow, "campaign", campaign_id)).model_dump(mode="json")
        )


@router.post("/{campaign_id}/members", response_model=CampaignPublic, dependencies=[WRITE])
async def add_members(campaign_id: uuid.UUID, body: Members, request: Request) -> JSONResponse:
    status, payload = await execute(
        uow_of(request),
        lambda uow: handlers.add_campaign_members(uow, campaign_id, body.customer_ids),
        _camp(),
    )
    return respond(status, payload)


@router.delete(
    "/{campaign_id}/members/{customer_id}",
    response_model=CampaignPublic,
    dependencies=[WRITE],
)
async def remove_member(
    campaign_id: uuid.UUID, customer_id: uuid.UUID, request: Request
) -> JSONResponse:
    status, payload = await execute(
        uow_of(request),
        lambda uow: handlers.remove_campaign_member(uow, campaign_id, customer_id),
        _camp(),
    )
    return respond(status, payload)


@router.get("/{campaign_id}/members", response_model=MemberPage, dependencies=[READ])
async def campaign_members(
    campaign_id: uuid.UUID, request: Request, limit: PageLimit = 50, cursor: Cursor = None
) -> MemberPage:
    after = None
    if cursor:
        try:
            after = uuid.UUID(str(decode_cursor(cursor, 1)[0]))
        except ValueError:
            raise BadCursor() from None
    async with uow_of(request) as uow:
        await load(uow, "campaign", campaign_id)
        rows = await uow.campaigns.members(campaign_id, limit=limit + 1, after=after)
    items = rows[:limit]
    nxt = encode_cursor([str(items[-1][0])]) if len(rows) > limit else None
    return MemberPage(
        items=[Member(customer_id=cid, name=name) for cid, name, _ in items], next=nxt
    )


def _campaign_action(action: str) -> None:
    async def act(
        campaign_id: uuid.UUID, request: Request, if_match: IfMatch, keyed: IdempotencyKey
    ) -> JSONResponse:
        status, payload = await execute(
            uow_of(request),
            lambda uow: handlers.act_on_campaign(uow, campaign_id, action, if_match),
            _camp(),
            keyed,
        )
        return respond(status, payload)

    act.__name__ = f"{action}_campaign"
    router.add_api_route(
        f"/{{campaign_id}}/{action}",
        act,
        methods=["POST"],
        response_model=CampaignPublic,
        dependencies=[WRITE],
        summary=f"{action.capitalize()} a campaign",
        responses={409: {"description": "illegal transition"}, 412: {"description": "stale"}},
    )


for _action in CAMPAIGN_TRANSITIONS:
    _campaign_action(_action)
