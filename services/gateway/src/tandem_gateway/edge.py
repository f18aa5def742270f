"""What every request passes first: ids, rate limit, body bound, then metrics and an access log."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from fastapi import HTTPException
from prometheus_client import Counter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem_gateway.ratelimit import TokenBuckets
from tandem_gateway.settings import GatewaySettings
from tandem_gateway.upstream import REQUEST_ID_HEADER
from tandem_kit import context, metrics
from tandem_kit.auth import TokenVerifier
from tandem_kit.http import CORRELATION_HEADER, internal_error

log = logging.getLogger(__name__)
access_log = logging.getLogger("tandem.gateway.access")
RATE_LIMITED = Counter("tandem_gateway_rate_limited_total", "Requests refused with 429", ["kind"])
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_UNLIMITED = ("/health/", "/metrics")


class Edge:
    """Pure ASGI middleware, so that streaming and context variables behave."""

    def __init__(self, app: ASGIApp, settings: GatewaySettings, verifier: TokenVerifier) -> None:
        self.app = app
        self.settings = settings
        self.verifier = verifier
        self.buckets = TokenBuckets(
            settings.rate_limit_per_second,
            settings.rate_limit_burst,
            settings.rate_limit_max_clients,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _SAFE_ID.match(given) else str(uuid.uuid4())
        cid = (headers.get(CORRELATION_HEADER) or "")[:128] or context.new_correlation_id()
        token = context.correlation_id.set(cid)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        sent = {"status": 500, "bytes": 0, "started": 0}

        limit = self.settings.max_body_bytes
        received = {"bytes": 0, "over": 0}

        async def send_wrapper(message: Message) -> None:
            if received["over"]:
                # The app gave up reading an oversized body, whatever it answers: 413.
                if message["type"] == "http.response.start" and not sent["started"]:
                    await _respond(send_wrapper_inner, *self._too_large())
                return
            await send_wrapper_inner(message)

        async def send_wrapper_inner(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                sent["started"] = 1
                extra = [
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                    (CORRELATION_HEADER.encode(), cid.encode()),
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            elif message["type"] == "http.response.body":
                sent["bytes"] += len(message.get("body", b""))
            await send(message)

        async def bounded_receive() -> Message:
            # Chunked bodies declare no length: count what arrives.
            message = await receive()
            if message["type"] == "http.request":
                received["bytes"] += len(message.get("body", b""))
                if received["bytes"] > limit:
                    received["over"] = 1
                    raise _BodyTooLarge()
            return message

        try:
            refusal = await self._refuse(scope, headers, state)
            if refusal is not None:
                await _respond(send_wrapper, *refusal)
            else:
                try:
                    await self.app(scope, bounded_receive, send_wrapper)
                except _BodyTooLarge:
                    if sent["started"]:
                        raise
                    await _respond(send_wrapper_inner, *self._too_large())
        except Exception:
            # Answered here, not by Starlette's outermost handler (which runs once this
            # request's ids are gone): the 500 carries the request and correlation ids.
            if sent["started"]:
                raise
            log.exception("unhandled error", extra={"path": scope["path"]})
            await internal_error()(scope, bounded_receive, send_wrapper_inner)
        finally:
            self._record(scope, headers, state, sent, time.perf_counter() - started)
            context.correlation_id.reset(token)

    async def _refuse(
        self, scope: Scope, headers: Headers, state: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        path: str = scope["path"]
        limited = self.settings.rate_limit_enabled and not path.startswith(_UNLIMITED)
        client = await self._client(scope, headers, state)
        if limited:
            decision = self.buckets.take(client)
            if not decision.allowed:
                RATE_LIMITED.labels(client.split(":", 1)[0]).inc()
                return (
                    429,
                    {
                        "detail": f"rate limit of {self.settings.rate_limit_per_second:g} "
                        f"requests/s (burst {self.settings.rate_limit_burst}) exceeded; "
                        f"retry in {decision.retry_after_s}s"
                    },
                    {"Retry-After": str(decision.retry_after_s)},
                )
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.settings.max_body_bytes:
            return self._too_large()
        return None

    def _too_large(self) -> tuple[int, dict[str, Any], dict[str, str]]:
        detail = f"request body over {self.settings.max_body_bytes} bytes"
        return 413, {"detail": detail, "field": "body"}, {}

    async def _client(self, scope: Scope, headers: Headers, state: dict[str, Any]) -> str:
        """Key the bucket by a verified subject; an unverified token counts as its address."""
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer " and len(auth) > 7:
            try:
                subject = (await self.verifier.authenticate(auth[7:].strip())).subject
            except HTTPException:
                pass
            else:
                state["subject"] = subject
                return f"subject:{subject}"
        address = scope.get("client")[0] if scope.get("client") else "unknown"
        if self.settings.trust_forwarded_for:
            forwarded = headers.get("x-forwarded-for", "").split(",")[-1].strip()
            address = forwarded or address
        state["client"] = address
        return f"address:{address}"

    def _record(
        self,
        scope: Scope,
        headers: Headers,
        state: dict[str, Any],
        sent: dict[str, int],
        elapsed: float,
    ) -> None:
        route = getattr(scope.get("route"), "path", "unmatched")
        status = sent["status"]
        method = scope["method"]
        metrics.HTTP_REQUESTS.labels(self.settings.service_name, method, route, str(status)).inc()
        metrics.HTTP_LATENCY.labels(self.settings.service_name, method, route).observe(elapsed)
        if scope["path"].startswith(_UNLIMITED):
            return
        access_log.info(
            "request",
            extra={
                "request_id": state.get("request_id"),
                "method": method,
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "bytes_out": sent["bytes"],
                "subject": state.get("subject"),
                "client": state.get("client") or (scope.get("client") or ("",))[0],
                "upstream": state.get("upstream"),
                "user_agent": headers.get("user-agent"),
            },
        )


class _BodyTooLarge(Exception):
    pass


async def _respond(send: Send, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
    payload = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
