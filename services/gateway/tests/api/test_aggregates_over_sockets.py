"""The same guarantees over real sockets: a hanging service and a closed port."""

import time

import httpx

from tandem_gateway.main import create_app
from tandem_kit.embedded import free_port


async def test_a_hanging_service_and_a_closed_port_still_give_an_answer_in_time(
    world, fake_apps, settings_for, bearer, serving
):
    ports = {s: free_port() for s in ("customer", "sales", "supplier", "procurement")}
    world.delay_s["sales"] = 30.0  # hangs far longer than any budget
    settings = settings_for(
        **{f"{s}_url": f"http://127.0.0.1:{p}" for s, p in ports.items()},
        aggregate_part_timeout_s=0.5,
        aggregate_deadline_s=1.0,
    )
    gateway = create_app(settings)
    async with (
        serving(fake_apps["customer"](world), ports["customer"]),
        serving(fake_apps["sales"](world), ports["sales"]),
        gateway.router.lifespan_context(gateway),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gw") as gw,
    ):
        # supplier and procurement: nothing listens on their ports.
        started = time.monotonic()
        dashboard = await gw.get("/api/v1/dashboard", headers=bearer())
        assert time.monotonic() - started < 1.5
        assert dashboard.status_code == 200
        reasons = {m["part"]: (m["service"], m["reason"]) for m in dashboard.json()["missing"]}
        assert reasons == {
            "pipeline": ("sales", "timeout"),
            "orders_today": ("sales", "timeout"),
            "requisitions": ("procurement", "unavailable"),
            "purchase_orders": ("procurement", "unavailable"),
            "suppliers": ("supplier", "unavailable"),
        }
        assert dashboard.json()["tickets"]["breaching"] == 1
