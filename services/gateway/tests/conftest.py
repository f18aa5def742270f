"""Fake services that serve exactly the agreed read shapes, and a gateway wired to them."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Query, Request

from tandem_gateway.main import create_app
from tandem_gateway.settings import GatewaySettings
from tandem_kit.auth import TokenVerifier
from tandem_kit.settings import AuthSettings

SERVICES = ("customer", "sales", "supplier", "procurement")
PORTS = {"customer": 18001, "sales": 18002, "supplier": 18003, "procurement": 18004}


def money(amount: str, currency: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


@dataclass
class World:
    """What the fake services know, and how each misbehaves."""

    customer_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    foreign_customer_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    supplier_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    order_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    delay_s: dict[str, float] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)  # answer 500
    # (service, path, query, headers); query.items() has one value per name, multi_items() all
    calls: list[tuple[str, str, Any, dict[str, str]]] = field(default_factory=list)
    bundle_leaves_out: dict[str, str] = field(default_factory=dict)  # part -> reason
    spec_fetches: list[str] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)  # opened through the gateway

    def page(self, *items: dict[str, Any]) -> dict[str, Any]:
        return {"items": list(items), "next": None}


def _app(service: str, world: World) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def behave(request: Request, call_next):
        if request.url.path == "/openapi.json":  # the gateway's document, not a read
            world.spec_fetches.append(service)
            return await call_next(request)
        world.calls.append((service, request.url.path, request.query_params, dict(request.headers)))
        if service in world.broken:
            return httpx_json(500, {"detail": "internal error"})
        delay = world.delay_s.get(service, 0.0)
        if delay:
            await asyncio.sleep(delay)
        return await call_next(request)

    @app.get("/openapi.json")
    async def _spec() -> dict[str, Any]:
        return {"openapi": "3.1.0", "info": {"title": service, "version": "1"}, "paths": {}}

    return app


def httpx_json(status: int, body: Any):
    from fastapi.responses import JSONResponse

    return JSONResponse(status_code=status, content=body)


def _require_token(authorization: str | None) -> None:
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401, "missing bearer token")


def customer_app(world: World) -> FastAPI:
    app = _app("customer", world)
    w = world

    @app.get("/api/v1/customers/{cid}")
    async def customer(cid: str, authorization: str | None = Header(None)):
        _require_token(authorization)
        if cid == w.foreign_customer_id:
            raise HTTPException(403, "a sales rep sees only the customers they own")
        if cid != w.customer_id:
            raise HTTPException(404, f"no customer {cid}")
        return {
            "id": cid,
            "name": "Initech",
            "status": "active",
            "version": 3,
            "credit_limit": money("12000.00"),
        }

    @app.get("/api/v1/customers/{cid}/value")
    async def value(cid: str):
        return {
            "customer_id": cid,
            "lifetime_revenue": money("4200.00"),
            "order_count": 2,
            "last_order_at": "2026-11-20T10:00:00Z",
            "tier": "silver",
        }

    @app.get("/api/v1/contacts")
    async def contacts(customer_id: str):
        return w.page({"id": str(uuid.uuid4()), "customer_id": customer_id, "name": "Ann"})

    @app.get("/api/v1/activities")
    async def activities(customer_id: str, limit: int):
        return w.page({"id": "a2", "kind": "call"}, {"id": "a1", "kind": "note"})

    @app.get("/api/v1/tickets")
    async def tickets(customer_id: str, open: bool):
        made = [t for t in w.tickets if t["customer_id"] == customer_id]
        return w.page({"id": "t1", "status": "open", "customer_id": customer_id}, *made)

    @app.post("/api/v1/tickets", status_code=201)
    async def open_ticket(body: dict[str, Any]):
        ticket = {"id": str(uuid.uuid4()), "status": "new", "customer_id": body["customer_id"]}
        w.tickets.append(ticket)
        return ticket

    @app.get("/api/v1/customers/{cid}/bundle")
    async def bundle(
        cid: str,
        recent: int,
        parts: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies it)
        authorization: str | None = Header(None),
    ):
        answers = {
            "customer": await customer(cid, authorization),
            "contacts": await contacts(cid),
            "activities": await activities(cid, recent),
            "open_tickets": await tickets(cid, True),
            "value": await value(cid),
        }
        left_out = [
            {"part": part, "reason": w.bundle_leaves_out[part], "detail": f"{part} left out"}
            for part in parts
            if part in w.bundle_leaves_out
        ]
        named = {m["part"] for m in left_out}
        answered = {p: answers[p] for p in ["customer", *parts] if p not in named}
        return {**answered, "missing": left_out}

    @app.get("/api/v1/tickets/summary")
    async def tickets_summary():
        return {"by_status": {"new": 1, "open": 2}, "breaching": 1, "breaching_ids": ["t9"]}

    return app


def sales_app(world: World) -> FastAPI:
    app = _app("sales", world)
    w = world

    @app.get("/api/v1/opportunities")
    async def opportunities(customer_id: str):
        return w.page({"id": "o1", "stage": "proposal", "amount": money("9000.00")})

    @app.get("/api/v1/orders")
    async def orders(customer_id: str, limit: int):
        return w.page({"id": w.order_id, "status": "confirmed"})

    @app.get("/api/v1/customer-sales/{cid}")
    async def customer_sales(
        cid: str,
        recent: int,
        parts: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies it)
    ):
        answers = {"opportunities": await opportunities(cid), "orders": await orders(cid, recent)}
        return {**{p: answers[p] for p in parts}, "missing": []}

    @app.get("/api/v1/orders/summary")
    async def orders_summary():
        return {"confirmed_today": 3, "confirmed_today_value": [money("1500.00")]}

    @app.get("/api/v1/orders/{oid}")
    async def order(oid: str):
        if oid != w.order_id:
            raise HTTPException(404, f"no order {oid}")
        return {
            "id": oid,
            "status": "confirmed",
            "lines": [
                {
                    "line_id": "l1",
                    "sku": "SKU-1",
                    "quantity": 10,
                    "unit_price": money("5.00"),
                    "requested_date": "2026-12-10",
                },
                {
                    "line_id": "l2",
                    "sku": "SKU-2",
                    "quantity": 1,
                    "unit_price": money("90.00"),
                    "requested_date": "2026-12-01",
                },
            ],
        }

    @app.get("/api/v1/forecast")
    async def forecast():
        return {
            "by_stage": [
                {
                    "stage": "proposal",
                    "count": 1,
                    "amount": money("9000.00"),
                    "weighted_amount": money("4500.00"),
                }
            ]
        }

    return app


def supplier_app(world: World) -> FastAPI:
    app = _app("supplier", world)
    w = world

    @app.get("/api/v1/suppliers/{sid}")
    async def supplier(sid: str):
        if sid != w.supplier_id:
            raise HTTPException(404, f"no supplier {sid}")
        return {"id": sid, "name": "Acme Parts", "status": "approved"}

    @app.get("/api/v1/suppliers/{sid}/certifications")
    async def certifications(sid: str):
        return w.page({"id": "c1", "kind": "ISO 9001", "expires_on": "2027-01-01"})

    @app.get("/api/v1/suppliers/{sid}/offers")
    async def offers(sid: str):
        return w.page({"id": "f1", "sku": "SKU-1", "price": money("4.00"), "lead_time_days": 7})

    @app.get("/api/v1/suppliers/{sid}/scorecard")
    async def scorecard(sid: str):
        return {"supplier_id": sid, "score": "87.5", "standing": "good", "criteria": []}

    @app.get("/api/v1/scorecards/summary")
    async def scorecards_summary():
        return {
            "by_standing": {"excellent": 1, "good": 2, "watch": 0, "probation": 1, "unscored": 4}
        }

    return app


def procurement_app(world: World) -> FastAPI:
    app = _app("procurement", world)
    w = world

    @app.get("/api/v1/contracts")
    async def contracts(supplier_id: str):
        return w.page({"id": "k1", "supplier_id": supplier_id, "status": "active"})

    @app.get("/api/v1/purchase-orders")
    async def purchase_orders(supplier_id: str, open: bool):
        return w.page({"id": "po1", "supplier_id": supplier_id, "status": "issued"})

    @app.get("/api/v1/purchase-orders/summary")
    async def po_summary():
        return {
            "spend_by_supplier": [{"supplier_id": w.supplier_id, "amount": money("40.00")}],
            "open": 1,
        }

    @app.get("/api/v1/requisitions/summary")
    async def requisitions_summary():
        return {"by_status": {"submitted": 2}, "awaiting_approval": 2}

    @app.get("/api/v1/demand/orders/{oid}")
    async def demand(oid: str):
        return [
            {
                "line_id": "l1",
                "sku": "SKU-1",
                "quantity": 10,
                "requested_date": "2026-12-10",
                "covered_quantity": 10,
                "requisitions": [
                    {
                        "id": "r1",
                        "status": "ordered",
                        "quantity": 10,
                        "suggested_supplier_id": w.supplier_id,
                    }
                ],
                "purchase_orders": [
                    {
                        "id": "po1",
                        "status": "issued",
                        "quantity": 10,
                        "promised_date": "2026-12-14",
                        "received_quantity": 0,
                        "receipts": [],
                    }
                ],
                "at_risk": True,
                "at_risk_reason": "promised 4 days after the requested date",
            },
        ]

    return app


class Dispatch(httpx.AsyncBaseTransport):
    """Routes the gateway's calls to the fake apps by port; a 'down' service refuses."""

    def __init__(self, world: World) -> None:
        self.world = world
        apps = {
            "customer": customer_app(world),
            "sales": sales_app(world),
            "supplier": supplier_app(world),
            "procurement": procurement_app(world),
        }
        self.by_port = {PORTS[s]: (s, httpx.ASGITransport(app=a)) for s, a in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        service, transport = self.by_port[request.url.port]
        if service in self.world.down:
            raise httpx.ConnectError("connection refused", request=request)
        return await transport.handle_async_request(request)


def gateway_settings(**overrides: Any) -> GatewaySettings:
    base: dict[str, Any] = {f"{s}_url": f"http://127.0.0.1:{p}" for s, p in PORTS.items()}
    base.update(
        auth=AuthSettings(development=True),
        aggregate_part_timeout_s=0.5,
        aggregate_deadline_s=0.8,
        rate_limit_enabled=False,
        openapi_warm_up=False,
        view_cache_entries=0,  # the view cache's own tests switch it on, with a broker
    )
    base.update(overrides)
    return GatewaySettings(**base)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
async def gateway_client(world: World):
    """Builds a gateway over the fake services; call with setting overrides."""
    stack: list[Any] = []

    async def build(**overrides: Any) -> httpx.AsyncClient:
        app = create_app(gateway_settings(**overrides), transport=Dispatch(world))
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")
        client.gateway_app = app  # type: ignore[attr-defined]  (its state, for some tests)
        stack.append((lifespan, client))
        return client

    yield build
    for lifespan, client in reversed(stack):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
def bearer():
    verifier = TokenVerifier(AuthSettings(development=True))

    def make(*roles: str, subject: str = "tester") -> dict[str, str]:
        return {"Authorization": f"Bearer {verifier.issue(subject, list(roles) or ['admin'])}"}

    return make


@pytest.fixture
def fake_apps():
    """Builders of the fake services' apps, by service name."""
    return {
        "customer": customer_app,
        "sales": sales_app,
        "supplier": supplier_app,
        "procurement": procurement_app,
    }


@pytest.fixture
def settings_for():
    return gateway_settings


@contextlib.asynccontextmanager
async def _serving(app: Any, port: int, keep_alive_s: float = 5.0) -> AsyncIterator[Any]:
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            lifespan="off",
            timeout_keep_alive=keep_alive_s,
            timeout_graceful_shutdown=0.2,
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        yield server
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def serving() -> Any:
    """``serving(app, port)``: an ASGI app on a real loopback socket (uvicorn) while in use."""
    return _serving
