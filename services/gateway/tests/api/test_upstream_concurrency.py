"""Calls to one service are bounded; the rest wait their turn, within their own timeouts."""

import asyncio
import uuid
from collections import Counter

import httpx

from tandem_gateway.main import create_app
from tandem_gateway.settings import GatewaySettings
from tandem_kit.settings import AuthSettings

URLS = {
    "customer_url": "http://customer.test",
    "sales_url": "http://sales.test",
    "supplier_url": "http://supplier.test",
    "procurement_url": "http://procurement.test",
}


class SlowServices(httpx.AsyncBaseTransport):
    """Every service answers after ``delay_s``; records the most calls in flight per service."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.in_flight: Counter[str] = Counter()
        self.most: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host.split(".")[0]
        self.in_flight[host] += 1
        self.most[host] = max(self.most[host], self.in_flight[host])
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.in_flight[host] -= 1
        page = {"items": [], "next": None, "id": "x"}
        parts = request.url.params.get_list("parts")
        if parts:  # a bundle read: each part asked for (and the customer, its subject)
            return httpx.Response(
                200, json={"customer": page, **dict.fromkeys(parts, page), "missing": []}
            )
        return httpx.Response(200, json=page)


def _gateway(transport: httpx.AsyncBaseTransport, **settings):
    config = GatewaySettings(
        **URLS,
        auth=AuthSettings(development=True),
        rate_limit_enabled=False,
        openapi_warm_up=False,
        **settings,
    )
    return create_app(config, transport=transport)


async def _run(app, paths: list[str], token: str) -> list[httpx.Response]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            headers = {"Authorization": f"Bearer {token}"}
            return await asyncio.gather(*(client.get(p, headers=headers) for p in paths))


def _token(app) -> str:
    return app.state.token_verifier.issue("tester", ["admin"])


async def test_no_more_than_the_bound_of_calls_reach_one_service_at_once():
    services = SlowServices(delay_s=0.05)
    app = _gateway(services, upstream_concurrency=3)
    views = [f"/api/v1/customers/{uuid.uuid4()}/360" for _ in range(4)]
    proxied = ["/api/v1/contacts"] * 4
    answers = await _run(app, views + proxied, _token(app))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert all(a.json()["complete"] for a in answers[:4])
    assert services.most["customer"] == 3  # 4 views x 1 bundle + 4 proxied calls, 3 at a time
    assert services.most["sales"] == 3


async def test_waiting_for_a_slot_counts_against_the_part_timeout():
    services = SlowServices(delay_s=0.3)
    app = _gateway(
        services, upstream_concurrency=1, aggregate_part_timeout_s=0.5, aggregate_deadline_s=2.0
    )
    views = [f"/api/v1/customers/{uuid.uuid4()}/360" for _ in range(2)]
    answers = await _run(app, views, _token(app))
    assert all(a.status_code == 200 for a in answers)
    # One call per service at a time, 0.3 s each: the first view's two calls get through,
    # the second's queue behind them and run out of their 0.5 s; each part is named.
    served, queued = sorted((a.json() for a in answers), key=lambda b: len(b["missing"]))
    assert served["complete"] is True
    late = {m["part"] for m in queued["missing"] if m["reason"] == "timeout"}
    assert late == {
        "customer",
        "contacts",
        "activities",
        "open_tickets",
        "value",
        "opportunities",
        "orders",
    }
    assert queued["elapsed_ms"] < 1500
