"""The few Tandem API calls the benchmarks make, through the gateway, as a client would."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date, timedelta
from typing import Any

import httpx


class ApiError(RuntimeError):
    def __init__(self, what: str, response: httpx.Response) -> None:
        super().__init__(f"{what}: HTTP {response.status_code} {response.text[:300]}")
        self.status_code = response.status_code


def http_client(base_url: str, connections: int, timeout: float = 30.0) -> httpx.AsyncClient:
    # uvicorn closes idle connections after 5 s, httpx's default expiry: reusing one at that
    # moment fails the request. Expire ours well before the server does.
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2.0
    )
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits)


def _ok(response: httpx.Response, what: str, *codes: int) -> dict[str, Any]:
    if response.status_code not in (codes or (200, 201)):
        raise ApiError(what, response)
    return response.json() if response.content else {}


async def token(gateway: httpx.AsyncClient, subject: str = "bench", roles=("admin",)) -> str:
    response = await gateway.post("/auth/token", json={"subject": subject, "roles": list(roles)})
    return str(_ok(response, "issue a development token")["access_token"])


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def client_headers(gateway: httpx.AsyncClient, clients: int) -> list[dict[str, str]]:
    """Authorization headers for ``clients`` load clients, each its own subject."""
    tokens = await asyncio.gather(
        *(token(gateway, subject=f"bench-client-{i}") for i in range(clients))
    )
    return [bearer(t) for t in tokens]


async def create_active_customer(
    gateway: httpx.AsyncClient, headers: dict[str, str], name: str
) -> dict[str, Any]:
    """A customer with a credit limit no benchmark can exhaust, activated."""
    created = _ok(
        await gateway.post(
            "/api/v1/customers",
            headers=headers,
            json={
                "name": name,
                "email": f"{uuid.uuid4().hex[:12]}@bench.example",
                "credit_limit": {"amount": "999999999999.00", "currency": "EUR"},
            },
        ),
        "create a customer",
    )
    return _ok(
        await gateway.post(
            f"/api/v1/customers/{created['id']}/activate",
            headers={**headers, "If-Match": f'"{created["version"]}"'},
        ),
        "activate a customer",
    )


async def wait_sales_knows_active(
    gateway: httpx.AsyncClient, headers: dict[str, str], customer_id: str, timeout: float = 60.0
) -> float:
    """Wait until the sales read model shows the customer active; return the seconds waited."""
    started = time.perf_counter()
    deadline = started + timeout
    last = ""
    while time.perf_counter() < deadline:
        response = await gateway.get(f"/api/v1/customer-credit/{customer_id}", headers=headers)
        if response.status_code == 200 and response.json().get("status") == "active":
            return time.perf_counter() - started
        last = f"HTTP {response.status_code} {response.text[:200]}"
        await asyncio.sleep(0.05)
    raise TimeoutError(f"sales did not learn of customer {customer_id} in {timeout}s ({last})")


async def create_product(gateway: httpx.AsyncClient, headers: dict[str, str], sku: str) -> None:
    """A catalog product (orders take only known SKUs); an existing SKU is fine."""
    response = await gateway.post(
        "/api/v1/products",
        headers=headers,
        json={
            "sku": sku,
            "name": f"Bench item {sku}",
            "unit": "pcs",
            "list_price": {"amount": "12.50", "currency": "EUR"},
        },
    )
    if response.status_code not in (200, 201, 409):
        raise ApiError(f"create product {sku}", response)


def order_body(customer_id: str, sku: str, quantity: int = 10) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "currency": "EUR",
        "lines": [
            {
                "sku": sku,
                "quantity": str(quantity),
                "unit_price": {"amount": "12.50", "currency": "EUR"},
                "requested_date": (date.today() + timedelta(days=30)).isoformat(),
            }
        ],
    }


async def create_order(
    gateway: httpx.AsyncClient, headers: dict[str, str], customer_id: str, sku: str
) -> dict[str, Any]:
    return _ok(
        await gateway.post(
            "/api/v1/orders", headers=headers, json=order_body(customer_id, sku)
        ),
        "create an order",
    )


async def confirm_order(
    gateway: httpx.AsyncClient, headers: dict[str, str], order: dict[str, Any]
) -> dict[str, Any]:
    return _ok(
        await gateway.post(
            f"/api/v1/orders/{order['id']}/confirm",
            headers={**headers, "If-Match": f'"{order["version"]}"'},
        ),
        "confirm an order",
    )
