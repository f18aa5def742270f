"""Every service request: a correlation id in and out, metrics, and one access log line."""

import logging
import uuid

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY

from tandem_kit import context
from tandem_kit.http import CORRELATION_HEADER, install_error_handlers, install_observability
from tandem_kit.testing.plugin import service_client


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_observability(app, "observed")

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict:
        return {"id": thing_id, "correlation_id": context.correlation_id.get()}

    @app.get("/broken")
    async def broken() -> dict:
        raise RuntimeError("boom")

    @app.get("/health/live")
    async def live() -> dict:
        return {"status": "ok"}

    return app


async def test_the_given_correlation_id_is_seen_by_the_route_and_sent_back():
    async with service_client(_app()) as client:
        response = await client.get("/things/7", headers={CORRELATION_HEADER: "corr-given"})
    assert response.json() == {"id": "7", "correlation_id": "corr-given"}
    assert response.headers[CORRELATION_HEADER] == "corr-given"


async def test_a_request_without_one_gets_a_fresh_correlation_id():
    async with service_client(_app()) as client:
        first = await client.get("/things/1")
        second = await client.get("/things/2")
    ids = {first.headers[CORRELATION_HEADER], second.headers[CORRELATION_HEADER]}
    assert len(ids) == 2
    for value in ids:
        uuid.UUID(value)
    assert first.json()["correlation_id"] == first.headers[CORRELATION_HEADER]


async def test_each_request_logs_one_line_with_its_route_and_status_and_counts(caplog):
    def served(status: str) -> float:
        labels = {"service": "observed", "method": "GET", "route": "/things/{thing_id}"}
        return (
            REGISTRY.get_sample_value("tandem_http_requests_total", labels | {"status": status})
            or 0.0
        )

    before = served("200")
    caplog.set_level(logging.INFO, logger="tandem.http")
    app = _app()
    # Starlette re-raises after answering 500; let the client see the answer instead.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        await client.get("/things/9", headers={CORRELATION_HEADER: "corr-log"})
        await client.get("/health/live")
        assert (await client.get("/broken")).status_code == 500
    lines = [r for r in caplog.records if r.getMessage() == "request"]
    assert [(r.path, r.route, r.status) for r in lines] == [
        ("/things/9", "/things/{thing_id}", 200),
        ("/broken", "/broken", 500),
    ]
    assert lines[0].duration_ms >= 0
    assert served("200") == before + 1
