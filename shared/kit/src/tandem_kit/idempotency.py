"""Idempotency-Key on POST: the first response is stored in the command's own transaction."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.db import concurrent_conflict, idempotency_table, utcnow
from tandem_kit.errors import DomainError

if TYPE_CHECKING:
    from tandem_kit.uow import SqlUnitOfWork

T = TypeVar("T")

log = logging.getLogger(__name__)


class IdempotencyKeyReused(DomainError):
    status_code = 422

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was used with a different request body", field="Idempotency-Key"
        )


@dataclass(frozen=True)
class IdempotencyRequest:
    """One keyed request: who sent it, the key, and a hash of what was asked."""

    principal: str
    key: str
    request_hash: str

    @classmethod
    def of(cls, principal: str, key: str, method: str, path: str, body: Any) -> IdempotencyRequest:
        digest = hashlib.sha256(
            json.dumps([method, path, body], sort_keys=True, default=str).encode()
        ).hexdigest()
        return cls(principal=principal, key=key, request_hash=digest)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


async def recall(session: AsyncSession, request: IdempotencyRequest) -> StoredResponse | None:
    """The response already given to this key, or None; raises if the body differs."""
    row = (
        await session.execute(
            select(
                idempotency_table.c.request_hash,
                idempotency_table.c.status_code,
                idempotency_table.c.response_body,
            ).where(
                idempotency_table.c.principal == request.principal,
                idempotency_table.c.idempotency_key == request.key,
            )
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != request.request_hash:
        raise IdempotencyKeyReused()
    return StoredResponse(row.status_code, row.response_body)


async def remember(
    session: AsyncSession, request: IdempotencyRequest, status_code: int, body: Any
) -> None:
    """Store the response in the caller's transaction (a concurrent twin fails on the key)."""
    await session.execute(
        insert(idempotency_table).values(
            principal=request.principal,
            idempotency_key=request.key,
            request_hash=request.request_hash,
            status_code=status_code,
            response_body=body,
            created_at=utcnow(),
        )
    )


# How often a command runs when PostgreSQL refuses its transaction for a concurrent one (a
# deadlock, a serialization failure): each refusal rolled everything back, so it runs afresh.
CONFLICT_ATTEMPTS = 3
CONFLICT_PAUSE_S = 0.02  # before each new attempt, times the attempt, with jitter


async def execute(
    uow: SqlUnitOfWork,
    handler: Callable[[Any], Awaitable[T]],
    render: Callable[[T], tuple[int, Any]],
    keyed: IdempotencyRequest | None = None,
) -> tuple[int, Any]:
    """Run one command in one transaction and render its response.

    With an Idempotency-Key the rendered response is stored in the same transaction; a repeat
    (even a concurrent one, which loses the race on the key) gets the first response back.
    A transaction PostgreSQL refused for a concurrent one (``concurrent_conflict``) runs again,
    up to ``CONFLICT_ATTEMPTS`` times in all; then the refusal is raised (a 503 to retry).
    """
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            return await _execute_once(uow, handler, render, keyed)
        except DBAPIError as exc:
            if attempt == CONFLICT_ATTEMPTS or not concurrent_conflict(exc):
                raise
            log.info(
                "transaction refused for a concurrent one; running the command again",
                extra={"attempt": attempt, "error": str(exc.orig)},
            )
            await asyncio.sleep(CONFLICT_PAUSE_S * attempt * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


async def _execute_once(
    uow: SqlUnitOfWork,
    handler: Callable[[Any], Awaitable[T]],
    render: Callable[[T], tuple[int, Any]],
    keyed: IdempotencyRequest | None,
) -> tuple[int, Any]:
    for _ in range(2):
        async with uow:
            if keyed is not None and (stored := await recall(uow.session, keyed)):
                return stored.status_code, stored.body
            status, body = render(await handler(uow))
            try:
                if keyed is not None:
                    # On PostgreSQL a concurrent twin makes this insert wait, then fail.
                    await remember(uow.session, keyed, status, body)
                await uow.commit()
            except IntegrityError:
                if keyed is None:
                    raise
                continue  # a twin request committed first: answer with its response
            return status, body
    raise RuntimeError("idempotent command neither committed nor found its twin")
