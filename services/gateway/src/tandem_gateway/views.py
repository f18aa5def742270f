"""Aggregated reads: customer 360, supplier 360, order trace, dashboard.

Each calls exactly the read endpoints agreed in the cross-service interfaces, in parallel.
Parts are the services' own JSON, unchanged, so a client sees the same data either way.
The customer 360 reads each service's parts through that service's one bundle endpoint.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from tandem_gateway import aggregate
from tandem_gateway.aggregate import Budget, Bundle, Gathered, MissingPart, Part, Read
from tandem_gateway.trace import TraceLine, compose_lines
from tandem_gateway.upstream import identity_headers
from tandem_gateway.viewcache import VIEW_CACHE, ViewCache
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1", tags=["aggregated reads"])

Json = dict[str, Any] | list[Any] | None
PARTIAL = {
    403: {"description": "the caller may not read the subject"},
    404: {"description": "no such subject"},
}


class Partial(BaseModel):
    complete: bool = Field(description="true when no part is missing")
    missing: list[MissingPart] = Field(description="parts left out, the owning service and why")
    elapsed_ms: float


class Customer360(Partial):
    customer_id: uuid.UUID
    customer: Json
    contacts: Json
    activities: Json = Field(description="most recent first")
    open_tickets: Json
    opportunities: Json
    orders: Json = Field(description="most recent first")
    value: Json = Field(description="lifetime revenue, order count, last order, tier")


class Supplier360(Partial):
    supplier_id: uuid.UUID
    supplier: Json
    certifications: Json
    offers: Json
    scorecard: Json = Field(description="score, standing, criteria and the events behind them")
    contracts: Json
    open_purchase_orders: Json


class OrderTrace(Partial):
    order_id: uuid.UUID
    order: Json
    lines: list[TraceLine] = Field(description="per line: demand, requisitions, POs, receipts")
    at_risk: bool | None = Field(description="any line at risk; null when demand is missing")


class Dashboard(Partial):
    pipeline: Json = Field(description="forecast: pipeline by stage, weighted value")
    orders_today: Json
    tickets: Json = Field(description="by status, breaching SLA")
    requisitions: Json = Field(description="by status, awaiting approval")
    purchase_orders: Json = Field(description="spend by supplier, open count")
    suppliers: Json = Field(description="suppliers by standing")


async def _gather(request: Request, principal, view: str, parts: list[Read]) -> Gathered:
    settings = request.app.state.settings
    return await aggregate.gather(
        view,
        parts,
        upstreams=request.app.state.upstreams,
        principal=principal,
        headers=identity_headers(request, principal),
        budget=Budget(settings.aggregate_part_timeout_s, settings.aggregate_deadline_s),
        breakers=request.app.state.breakers,
    )


def _partial(g: Gathered) -> dict[str, Any]:
    return {"complete": not g.missing, "missing": g.missing, "elapsed_ms": g.elapsed_ms}


def customer_parts(customer_id: str, recent: int) -> list[Read]:
    # Two calls, one per service, each part as its own endpoint answers it. Customer:
    # customers/{id}, contacts?customer_id, activities?customer_id&limit=recent,
    # tickets?customer_id&open=true, customers/{id}/value. Sales: opportunities?customer_id,
    # orders?customer_id&limit=recent.
    account = Bundle(
        "customer",
        f"/api/v1/customers/{customer_id}/bundle",
        (
            Part("customer", "customer", "customers", primary=True),
            Part("contacts", "customer", "contacts"),
            Part("activities", "customer", "activities"),
            Part("open_tickets", "customer", "tickets"),
            Part("value", "customer", "customers"),
        ),
        params={"recent": str(recent)},
    )
    sales = Bundle(
        "sales",
        f"/api/v1/customer-sales/{customer_id}",
        (Part("opportunities", "sales", "opportunities"), Part("orders", "sales", "orders")),
        params={"recent": str(recent)},
    )
    return [account, sales]


def supplier_parts(supplier_id: str) -> list[Part]:
    base = f"/api/v1/suppliers/{supplier_id}"
    by = {"supplier_id": supplier_id}
    return [
        Part("supplier", "supplier", "suppliers", base, primary=True),
        Part("certifications", "supplier", "certifications", f"{base}/certifications"),
        Part("offers", "supplier", "offers", f"{base}/offers"),
        Part("scorecard", "supplier", "scorecards", f"{base}/scorecard"),
        Part("contracts", "procurement", "contracts", "/api/v1/contracts", by),
        Part(
            "open_purchase_orders",
            "procurement",
            "purchase-orders",
            "/api/v1/purchase-orders",
            by | {"open": "true"},
        ),
    ]


def trace_parts(order_id: str) -> list[Part]:
    return [
        Part("order", "sales", "orders", f"/api/v1/orders/{order_id}", primary=True),
        Part("demand", "procurement", "demand", f"/api/v1/demand/orders/{order_id}"),
    ]


PO = "/api/v1/purchase-orders"


def dashboard_parts() -> list[Part]:
    return [
        Part("pipeline", "sales", "forecast", "/api/v1/forecast"),
        Part("orders_today", "sales", "orders", "/api/v1/orders/summary"),
        Part("tickets", "customer", "tickets", "/api/v1/tickets/summary"),
        Part("requisitions", "procurement", "requisitions", "/api/v1/requisitions/summary"),
        Part("purchase_orders", "procurement", "purchase-orders", f"{PO}/summary"),
        Part("suppliers", "supplier", "scorecards", "/api/v1/scorecards/summary"),
    ]


@router.get(
    "/customers/{customer_id}/360",
    response_model=Customer360,
    dependencies=[require("customers", "read")],
    responses=PARTIAL,
    summary="Customer 360: account, contacts, activities, tickets, pipeline, orders, value",
)
async def customer_360(
    customer_id: Annotated[uuid.UUID, Path()], request: Request, principal: CurrentPrincipal
) -> Response:
    """Served from the gateway's view cache while no event or write says the customer changed
    (header ``X-Cache: hit``, ``Age`` in seconds; ``elapsed_ms`` is then the composition's);
    ``Cache-Control: no-cache`` composes it afresh."""
    recent = request.app.state.settings.aggregate_recent_limit
    cache: ViewCache = request.app.state.view_cache
    # What a caller sees is the services' decision: one answer per subject and roles.
    key = ("customer_360", customer_id, recent, principal.subject, tuple(sorted(principal.roles)))
    if not cache.usable:
        outcome = "off"
    elif "no-cache" in request.headers.get("cache-control", "").lower():
        outcome = "bypass"
    elif (hit := cache.lookup(key)) is not None:
        VIEW_CACHE.labels("customer_360", "hit").inc()
        return Response(
            hit.body,
            media_type="application/json",
            headers={"X-Cache": "hit", "Age": str(int(hit.age_s))},
        )
    else:
        outcome = "miss"
    VIEW_CACHE.labels("customer_360", outcome).inc()
    ticket = cache.ticket()
    g = await _gather(request, principal, "customer_360", customer_parts(str(customer_id), recent))
    view = Customer360(customer_id=customer_id, **g.parts, **_partial(g))
    body = view.model_dump_json().encode()
    if view.complete:
        cache.store(key, customer_id, ticket, body)
    return Response(body, media_type="application/json", headers={"X-Cache": outcome})


@router.get(
    "/suppliers/{supplier_id}/360",
    response_model=Supplier360,
    dependencies=[require("suppliers", "read")],
    responses=PARTIAL,
    summary="Supplier 360: supplier, certifications, offers, scorecard, contracts, open POs",
)
async def supplier_360(
    supplier_id: Annotated[uuid.UUID, Path()], request: Request, principal: CurrentPrincipal
) -> Supplier360:
    g = await _gather(request, principal, "supplier_360", supplier_parts(str(supplier_id)))
    return Supplier360(supplier_id=supplier_id, **g.parts, **_partial(g))


@router.get(
    "/orders/{order_id}/trace",
    response_model=OrderTrace,
    dependencies=[require("orders", "read")],
    responses=PARTIAL,
    summary="Order trace: per line demand -> requisitions -> purchase orders -> receipts",
)
async def order_trace(
    order_id: Annotated[uuid.UUID, Path()], request: Request, principal: CurrentPrincipal
) -> OrderTrace:
    g = await _gather(request, principal, "order_trace", trace_parts(str(order_id)))
    order, demand = g.get("order"), g.get("demand")
    lines = compose_lines(order, demand)
    at_risk = any(bool(line.at_risk) for line in lines) if demand is not None else None
    return OrderTrace(order_id=order_id, order=order, lines=lines, at_risk=at_risk, **_partial(g))


@router.get(
    "/dashboard",
    response_model=Dashboard,
    dependencies=[require("dashboard", "read")],
    summary="Dashboard: pipeline, orders today, SLA breaches, approvals, spend, standings",
)
async def dashboard(request: Request, principal: CurrentPrincipal) -> Dashboard:
    g = await _gather(request, principal, "dashboard", dashboard_parts())
    return Dashboard(**g.parts, **_partial(g))
