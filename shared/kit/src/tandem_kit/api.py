"""Helpers for routes: Idempotency-Key, If-Match / ETag, page limits."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from tandem_kit.auth import CurrentPrincipal
from tandem_kit.errors import DomainError
from tandem_kit.idempotency import IdempotencyRequest


def etag(version: int) -> str:
    return f'"{version}"'


async def if_match_version(
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", description='ETag of the version you changed, e.g. "3"'),
    ] = None,
) -> int | None:
    """The version named by If-Match (None when absent); malformed values are a 422."""
    if if_match is None or if_match.strip() == "*":
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise DomainError('If-Match must be an ETag this API returned, like "3"', field="If-Match")
    return int(raw)


IfMatch = Annotated[int | None, Depends(if_match_version)]


async def idempotency_request(
    request: Request,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
    ] = None,
) -> IdempotencyRequest | None:
    if idempotency_key is None:
        return None
    try:
        body: Any = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = (await request.body()).decode(errors="replace")
    return IdempotencyRequest.of(
        principal.subject, idempotency_key, request.method, request.url.path, body
    )


IdempotencyKey = Annotated[IdempotencyRequest | None, Depends(idempotency_request)]


# Page sizes are bounded everywhere: 1..200, default chosen per route.
PageLimit = Annotated[int, Query(ge=1, le=200, description="page size (1..200)")]


def respond(status: int, body: Any, version: int | None = None) -> JSONResponse:
    headers = {"ETag": etag(version)} if version is not None else None
    if version is None and isinstance(body, dict) and isinstance(body.get("version"), int):
        headers = {"ETag": etag(body["version"])}
    return JSONResponse(status_code=status, content=body, headers=headers)
