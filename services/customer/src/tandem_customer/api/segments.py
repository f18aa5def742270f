"""Segments (rule-defined, membership computed) and campaigns (members and status)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tandem_customer.api.common import Cursor, MoneyOut, keyset, page, uow_of
from tandem_customer.application import segments as handlers
from tandem_customer.application.records import load
from tandem_customer.db.tables import campaigns, customers, segments
from tandem_customer.domain.segments import CAMPAIGN_TRANSITIONS, Campaign, CampaignStatus, Segment
from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.idempotency import execute
from tandem_kit.pagination import BadCursor, decode_cursor, encode_cursor
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1", tags=["segments", "campaigns"])
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class SegmentRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    industries: list[Word] | None = Field(None, max_length=100)
    tiers: list[Word] | None = Field(None, max_length=20)
    statuses: list[Word] | None = Field(None, max_length=10)
    min_lifetime_revenue: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=4)
    max_lifetime_revenue: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=4)


class SegmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    rules: SegmentRules
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None


class SegmentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    rules: SegmentRules | None = None


class SegmentPublic(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    rules: dict[str, Any]
    version: int
    created_at: datetime

    @classmethod
    def of(cls, s: Segment) -> SegmentPublic:
        return cls.model_validate(s, from_attributes=True)


class Member(BaseModel):
    customer_id: uuid.UUID
    name: str
    lifetime_revenue: MoneyOut | None = None


class MemberPage(BaseModel):
    items: list[Member]
    next: str | None = None


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


def _rules(rules: SegmentRules) -> dict[str, Any]:
    return rules.model_dump(exclude_none=True)


def _seg(status: int = 200):
    return lambda s: (status, SegmentPublic.of(s).model_dump(mode="json"))


def _camp(status: int = 200):
    return lambda c: (status, CampaignPublic.of(c).model_dump(mode="json"))


SEG_R, SEG_W = require("segments", "read"), require("segments", "write")
CAM_R, CAM_W = require("campaigns", "read"), require("campaigns", "write")


@router.post("/segments", status_code=201, response_model=SegmentPublic, dependencies=[SEG_W])
async def define_segment(
    body: SegmentCreate, request: Request, keyed: IdempotencyKey
) -> JSONResponse:
    status, payload = await execute(
        uow_of(request),
        lambda uow: handlers.define_segment(
            uow, name=body.name, rules=_rules(body.rules), description=body.description
        ),
        _seg(201),
        keyed,
    )
    return respond(status, payload)


@router.get("/segments", dependencies=[SEG_R])
async def list_segments(request: Request, limit: PageLimit = 50, cursor: Cursor = None) -> dict:
    async with uow_of(request) as uow:
        rows = await uow.segments.list(limit=limit + 1, keyset=keyset(segments.c.name, cursor))
    items, nxt = page(rows, limit, lambda s: (s.name, s.id))
    return {"items": [SegmentPublic.of(s).model_dump(mode="json") for s in items], "next": nxt}


@router.get("/segments/{segment_id}", response_model=SegmentPublic, dependencies=[SEG_R])
async def get_segment(segment_id: uuid.UUID, request: Request) -> JSONResponse:
    async with uow_of(request) as uow:
        return respond(
            200, SegmentPublic.of(await load(uow, "segment", segment_id)).model_dump(mode="json")
        )


@router.patch("/segments/{segment_id}", response_model=SegmentPublic, dependencies=[SEG_W])
async def redefine_segment(
    segment_id: uuid.UUID, body: SegmentUpdate, request: Request, if_match: IfMatch
) -> JSONResponse:
    rules = _rules(body.rules) if body.rules is not None else None
    status, payload = await execute(
        uow_of(request),
        lambda uow: handlers.redefine_segment(
            uow, segment_id, name=body.name, rules=rules, expected=if_match
        ),
        _seg(),
    )
    return respond(status, payload)


@router.get("/segments/{segment_id}/members", response_model=MemberPage, dependencies=[SEG_R])
async def segment_members(
    segment_id: uuid.UUID, request: Request, limit: PageLimit = 50, cursor: Cursor = None
) -> MemberPage:
    """The customers matching the segment's rules now (computed on read)."""
    async with uow_of(request) as uow:
        segment = await load(uow, "segment", segment_id)
        rows = await uow.values.segment_members(
            segment.rules, limit=limit + 1, keyset=keyset(customers.c.created_at, cursor)
        )
        currency = uow.rules.currency
    items, nxt = page(rows, limit, lambda r: (r[0].created_at, r[0].id))
    return MemberPage(
        items=[
            Member(customer_id=c.id, name=c.name, lifetime_revenue=MoneyOut.of(rev, currency))
            for c, rev in items
        ],
        next=nxt,
    )


@router.post("/campaigns", status_code=201, response_model=CampaignPublic, dependencies=[CAM_W])
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


@router.get("/campaigns", dependencies=[CAM_R])
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


@router.get("/campaigns/{campaign_id}", response_model=CampaignPublic, dependencies=[CAM_R])
async def get_campaign(campaign_id: uuid.UUID, request: Request) -> JSONResponse:
    async with uow_of(request) as uow:
        return respond(
            200, CampaignPublic.of(await load(uow, "campaign", campaign_id)).model_dump(mode="json")
        )


@router.post(
    "/campaigns/{campaign_id}/members", response_model=CampaignPublic, dependencies=[CAM_W]
)
async def add_members(campaign_id: uuid.UUID, body: Members, request: Request) -> JSONResponse:
    status, payload = await execute(
        uow_of(request),
        lambda uow: handlers.add_campaign_members(uow, campaign_id, body.customer_ids),
        _camp(),
    )
    return respond(status, payload)


@router.delete(
    "/campaigns/{campaign_id}/members/{customer_id}",
    response_model=CampaignPublic,
    dependencies=[CAM_W],
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


@router.get("/campaigns/{campaign_id}/members", response_model=MemberPage, dependencies=[CAM_R])
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
    async def act(campaign_id: uuid.UUID, request: Request, if_match: IfMatch) -> JSONResponse:
        status, payload = await execute(
            uow_of(request),
            lambda uow: handlers.act_on_campaign(uow, campaign_id, action, if_match),
            _camp(),
        )
        return respond(status, payload)

    act.__name__ = f"{action}_campaign"
    router.add_api_route(
        f"/campaigns/{{campaign_id}}/{action}",
        act,
        methods=["POST"],
        response_model=CampaignPublic,
        dependencies=[CAM_W],
        summary=f"{action.capitalize()} a campaign",
        responses={409: {"description": "illegal transition"}, 412: {"description": "stale"}},
    )


for _action in CAMPAIGN_TRANSITIONS:
    _campaign_action(_action)
