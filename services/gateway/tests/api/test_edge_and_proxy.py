"""Rate limits, request ids, bounded bodies, access logs, metrics and the proxy's failure modes."""

import json
import logging

import httpx
import pytest

from tandem_gateway.main import create_app
from tandem_gateway.settings import GatewaySettings
from tandem_kit.auth import TokenVerifier
from tandem_kit.settings import AuthSettings

SEEN: list[httpx.Request] = []


def _upstream(request: httpx.Request) -> httpx.Response:
    SEEN.append(request)
    if request.url.port == 8003:
        raise httpx.ConnectError("refused", request=request)
    if request.url.port == 8004:
        raise httpx.ReadTimeout("slow", request=request)
    if request.url.path.endswith("/a-bug"):
        raise RuntimeError("a bug on the gateway's side")
    return httpx.Response(
        201 if request.method == "POST" else 200,
        json={"ok": True},
        headers={"ETag": '"4"', "Location": "/api/v1/customers/x", "Set-Cookie": "a=b"},
    )


async def _client(**overrides):
    settings = GatewaySettings(
        auth=AuthSettings(development=True), **{"openapi_warm_up": False, **overrides}
    )
    app = create_app(settings, transport=httpx.MockTransport(_upstream))
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")
    return client, lifespan


@pytest.fixture
async def make():
    opened = []

    async def build(**overrides):
        client, lifespan = await _client(**overrides)
        opened.append((client, lifespan))
        return client

    yield build
    for client, lifespan in opened:
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


def auth(subject="rate-tester", roles=("admin",)):
    token = TokenVerifier(AuthSettings(development=True)).issue(subject, list(roles))
    return {"Authorization": f"Bearer {token}"}


async def test_each_client_gets_its_own_bucket_and_429_says_when_to_retry(make):
    gw = await make(rate_limit_per_second=0.5, rate_limit_burst=3)
    alice, bob = auth("alice"), auth("bob")
    statuses = [(await gw.get("/api/v1/customers", headers=alice)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = await gw.get("/api/v1/customers", headers=alice)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "rate limit" in refused.json()["detail"]
    assert (await gw.get("/api/v1/customers", headers=bob)).status_code == 200
    # Health probes are never limited.
    assert (await gw.get("/health/live")).status_code == 200
    # Anonymous callers are keyed by address and limited too (then refused 401 or 429).
    anon = [(await gw.get("/api/v1/customers")).status_code for _ in range(4)]
    assert anon == [401, 401, 401, 429]


async def test_bodies_over_the_bound_are_413_before_reaching_a_service(make):
    gw = await make(max_body_bytes=2048)
    SEEN.clear()
    big = {"name": "x" * 5000}
    response = await gw.post("/api/v1/customers", headers=auth(), json=big)
    assert response.status_code == 413 and response.json()["field"] == "body"
    assert SEEN == []

    async def chunks():
        for _ in range(5):
            yield b"x" * 1000

    streamed = await gw.post(
        "/api/v1/customers",
        headers={**auth(), "Content-Type": "application/json"},
        content=chunks(),
    )
    assert streamed.status_code == 413
    assert SEEN == []
    # The gateway's own routes are bounded too, declared length or not.
    token = await gw.post(
        "/auth/token", headers={"Content-Type": "application/json"}, content=chunks()
    )
    assert token.status_code == 413 and token.json()["field"] == "body"


async def test_request_and_correlation_ids_and_command_headers_reach_the_service(make):
    gw = await make()
    SEEN.clear()
    response = await gw.post(
        "/api/v1/customers/abc/block",
        headers={
            **auth("carol"),
            "Idempotency-Key": "key-1",
            "If-Match": '"3"',
            "X-Request-ID": "req-123",
            "X-Correlation-ID": "corr-9",
            "Cookie": "session=secret",
        },
        json={"reason": "fraud"},
    )
    assert response.status_code == 201
    assert response.headers["X-Request-ID"] == "req-123"
    assert response.headers["X-Correlation-ID"] == "corr-9"
    assert response.headers["ETag"] == '"4"' and "set-cookie" not in response.headers
    sent = SEEN[-1]
    assert sent.url.path == "/api/v1/customers/abc/block"
    assert sent.headers["Idempotency-Key"] == "key-1"
    assert sent.headers["If-Match"] == '"3"'
    assert sent.headers["X-Request-ID"] == "req-123"
    assert sent.headers["X-Correlation-ID"] == "corr-9"
    assert sent.headers["X-Forwarded-User"] == "carol"
    assert sent.headers.get_list("Authorization") == [auth_header_of(sent)]
    assert "cookie" not in sent.headers
    assert json.loads(sent.content) == {"reason": "fraud"}
    # A request id that is not a plain token is replaced by a fresh one.
    other = await gw.get("/api/v1/customers", headers={**auth(), "X-Request-ID": "bad id\n"})
    assert other.headers["X-Request-ID"] != "bad id\n" and len(other.headers["X-Request-ID"]) == 36


async def test_an_unexpected_error_is_a_500_carrying_the_request_and_correlation_ids():
    client, lifespan = await _client()
    app = client._transport.app  # type: ignore[attr-defined]
    # As a server does: the error is answered, not raised into the client.
    bare = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://gw"
    )
    try:
        answer = await bare.get(
            "/api/v1/customers/a-bug",
            headers={**auth(), "X-Request-ID": "req-500", "X-Correlation-ID": "corr-500"},
        )
    finally:
        await bare.aclose()
        await client.aclose()
        await lifespan.__aexit__(None, None, None)
    assert answer.status_code == 500
    assert answer.json() == {"detail": "internal error", "correlation_id": "corr-500"}
    assert answer.headers["X-Request-ID"] == "req-500"
    assert answer.headers["X-Correlation-ID"] == "corr-500"


def auth_header_of(request: httpx.Request) -> str:
    value = request.headers["Authorization"]
    assert value.startswith("Bearer ")
    return value


async def test_a_down_service_is_503_and_a_slow_one_504_each_naming_the_service(make):
    gw = await make()
    down = await gw.get("/api/v1/suppliers", headers=auth())
    assert down.status_code == 503
    assert down.json()["service"] == "supplier" and "supplier" in down.json()["detail"]
    slow = await gw.get("/api/v1/requisitions", headers=auth())
    assert slow.status_code == 504
    assert slow.json()["service"] == "procurement"


async def test_access_logs_are_one_structured_record_per_request(make, caplog):
    gw = await make()
    caplog.set_level(logging.INFO, logger="tandem.gateway.access")
    await gw.get("/api/v1/customers", headers={**auth("dave"), "X-Request-ID": "log-1"})
    records = [r for r in caplog.records if r.name == "tandem.gateway.access"]
    assert len(records) == 1
    r = records[0]
    assert (r.request_id, r.method, r.path, r.status, r.subject, r.upstream) == (
        "log-1",
        "GET",
        "/api/v1/customers",
        200,
        "dave",
        "customer",
    )
    assert r.route == "/api/v1/{path:path}" and r.duration_ms >= 0 and r.bytes_out > 0


async def test_metrics_count_requests_upstream_calls_and_refusals(make):
    gw = await make(rate_limit_per_second=0.1, rate_limit_burst=1)
    await gw.get("/api/v1/customers", headers=auth("erin"))
    await gw.get("/api/v1/customers", headers=auth("erin"))
    text = (await gw.get("/metrics")).text
    assert 'tandem_gateway_upstream_calls_total{outcome="2xx",service="customer"}' in text
    assert "tandem_gateway_rate_limited_total" in text
    assert (
        'tandem_http_requests_total{method="GET",route="/api/v1/{path:path}",service="gateway"'
        in text
    )


async def test_health_reports_each_service(make):
    gw = await make()
    assert (await gw.get("/health/ready")).status_code == 200
    services = (await gw.get("/health/upstreams")).json()["services"]
    assert services["customer"] == "ok"
    assert services["supplier"].startswith("unavailable")
    assert services["procurement"].startswith("unavailable")
