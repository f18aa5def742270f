"""The proxy over real sockets, through the production upstream client (aiohttp)."""

import asyncio
import contextlib
import json
import time

import httpx
import pytest

from tandem_gateway.main import create_app
from tandem_kit.embedded import free_port

SERVICES = ("customer", "sales", "supplier", "procurement")


class Recorder:
    """A service that answers every request with what it received, and keeps a log of them."""

    def __init__(self) -> None:
        self.seen: list[dict] = []
        self.connections: set[tuple[str, int]] = set()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode(),
            "headers": [(k.decode(), v.decode()) for k, v in scope["headers"]],
            "body": body.decode(),
        }
        self.seen.append(seen)
        self.connections.add(tuple(scope["client"]))
        status = 500 if scope["path"].endswith("/broken") else 201
        extra = []
        if scope["path"].endswith("/busy"):  # as the kit answers a transaction kept waiting
            status, extra = 503, [(b"retry-after", b"1")]
        payload = json.dumps({"ok": True}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"etag", b'"7"'),
                    (b"location", b"/api/v1/customers/abc"),
                    (b"set-cookie", b"a=b"),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


@pytest.fixture
def ports():
    return {s: free_port() for s in SERVICES}


@contextlib.asynccontextmanager
async def gateway_over(settings_for, ports, **overrides):
    settings = settings_for(
        **{f"{s}_url": f"http://127.0.0.1:{p}" for s, p in ports.items()}, **overrides
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as gw,
    ):
        yield gw


async def test_a_proxied_write_carries_body_query_and_headers_and_answers_as_the_service(
    settings_for, ports, bearer, serving
):
    service = Recorder()
    async with (
        serving(service, ports["customer"]),
        gateway_over(settings_for, ports) as gw,
    ):
        answer = await gw.post(
            "/api/v1/customers/abc/block?x=1&x=2&y=%C3%A9",
            headers={
                **bearer("sales_manager", subject="carol"),
                "Idempotency-Key": "key-1",
                "X-Request-ID": "req-1",
                "X-Correlation-ID": "corr-1",
                "Cookie": "session=secret",
            },
            json={"reason": "fraud"},
        )
        assert answer.status_code == 201
        assert answer.json() == {"ok": True}
        assert answer.headers["etag"] == '"7"'
        assert answer.headers["location"] == "/api/v1/customers/abc"
        assert "set-cookie" not in answer.headers
        assert answer.headers["x-request-id"] == "req-1"

        seen = service.seen[-1]
        headers = dict(seen["headers"])
        assert (seen["method"], seen["path"]) == ("POST", "/api/v1/customers/abc/block")
        assert seen["query"] == "x=1&x=2&y=%C3%A9"
        assert json.loads(seen["body"]) == {"reason": "fraud"}
        assert headers["content-type"] == "application/json"
        assert headers["idempotency-key"] == "key-1"
        assert headers["x-request-id"] == "req-1"
        assert headers["x-correlation-id"] == "corr-1"
        assert headers["x-forwarded-user"] == "carol"
        assert headers["authorization"].startswith("Bearer ")
        assert "cookie" not in headers

        # A read carries no body and no invented content type.
        await gw.get("/api/v1/customers", headers=bearer())
        seen = service.seen[-1]
        assert seen["method"] == "GET" and seen["body"] == ""
        assert "content-type" not in dict(seen["headers"])


async def test_a_service_error_over_the_socket_is_passed_on_and_counts_against_it(
    settings_for, ports, bearer, serving
):
    async with (
        serving(Recorder(), ports["customer"]),
        gateway_over(settings_for, ports, circuit_failure_threshold=2) as gw,
    ):
        for _ in range(2):
            assert (await gw.get("/api/v1/customers/broken", headers=bearer())).status_code == 500
        paused = await gw.get("/api/v1/customers", headers=bearer())
        assert paused.status_code == 503 and "paused" in paused.json()["detail"]


async def test_a_service_that_answers_busy_is_passed_on_and_not_counted_as_failing(
    settings_for, ports, bearer, serving
):
    """A 503 with Retry-After is the service answering that a concurrent change held what the
    request needed: the client is told when to retry, and calls keep going to the service."""
    service = Recorder()
    async with (
        serving(service, ports["customer"]),
        gateway_over(settings_for, ports, circuit_failure_threshold=2) as gw,
    ):
        for _ in range(3):
            busy = await gw.post("/api/v1/customers/abc/busy", headers=bearer("sales_manager"))
            assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        answer = await gw.get("/api/v1/customers", headers=bearer())
        assert answer.status_code == 201 and len(service.seen) == 4


async def test_calls_reuse_connections_and_one_the_service_closed_while_idle_is_not_reused(
    settings_for, ports, bearer, serving
):
    service = Recorder()
    # The service drops idle connections after 0.3 s, sooner than the gateway's own expiry.
    async with (
        serving(service, ports["customer"], keep_alive_s=0.3) as server,
        gateway_over(settings_for, ports) as gw,
    ):
        for _ in range(5):
            assert (await gw.get("/api/v1/customers", headers=bearer())).status_code == 201
        assert len(service.connections) == 1  # one kept-alive connection served all five

        deadline = time.monotonic() + 5.0
        while server.server_state.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not server.server_state.connections, "the service kept the idle connection"

        answer = await gw.get("/api/v1/customers", headers=bearer())
        assert answer.status_code == 201, answer.text
        assert len(service.connections) == 2
