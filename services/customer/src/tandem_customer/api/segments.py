"""Segments: rule-defined groups of customers, membership computed on read."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tandem_customer.api.common import Cursor, MoneyOut, keyset, page, uow_of
from tandem_customer.application import segments as handlers
from tandem_customer.application.records import load
from tandem_customer.db.tables import customers, segments
from tandem_customer.domain.segments import Segment
from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.idempotency import execute
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1/segments", tags=["segments"])
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


def _rules(rules: SegmentRules) -> dict[str, Any]:
    return rules.model_dump(exclude_none=True)


def _seg(status: int = 200):
    return lambda s: (status, SegmentPublic.of(s).model_dump(mode="json"))


READ, WRITE = require("segments", "read"), require("segments", "write")


@router.post("", status_code=201, response_model=SegmentPublic, dependencies=[WRITE])
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


@router.get("", dependencies=[READ])
async def list_segments(request: Request, limit: PageLimit = 50, cursor: Cursor = None) -> dict:
    async with uow_of(request) as uow:
        rows = await uow.segments.list(limit=limit + 1, keyset=keyset(segments.c.name, cursor))
    items, nxt = page(rows, limit, lambda s: (s.name, s.id))
    return {"items": [SegmentPublic.of(s).model_dump(mode="json") for s in items], "next": nxt}


@router.get("/{segment_id}", response_model=SegmentPublic, dependencies=[READ])
async def get_segment(segment_id: uuid.UUID, request: Request) -> JSONResponse:
    async with uow_of(request) as uow:
        return respond(
            200, SegmentPublic.of(await load(uow, "segment", segment_id)).model_dump(mode="json")
        )


@router.patch("/{segment_id}", response_model=SegmentPublic, dependencies=[WRITE])
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


@router.get("/{segment_id}/members", response_model=MemberPage, dependencies=[READ])
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
