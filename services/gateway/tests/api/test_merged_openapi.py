"""The merged OpenAPI document: every service's public paths plus the gateway's own."""

import asyncio


async def test_one_document_describes_the_whole_public_api(world, gateway_client):
    gw = await gateway_client(openapi_cache_s=0)
    doc = (await gw.get("/openapi.json")).json()
    paths = doc["paths"]
    for path in (
        "/api/v1/contacts",  # customer service
        "/api/v1/forecast",  # sales service
        "/api/v1/suppliers/{sid}/scorecard",  # supplier service
        "/api/v1/demand/orders/{oid}",  # procurement service
        "/api/v1/customers/{customer_id}/360",  # the gateway's own
        "/api/v1/dashboard",
        "/auth/token",
    ):
        assert path in paths, path
    assert not any(p.startswith("/openapi") or p == "/metrics" for p in paths)
    assert doc["x-tandem-sources"] == {
        s: "ok" for s in ("customer", "procurement", "sales", "supplier")
    }
    assert "429" in paths["/api/v1/forecast"]["get"]["responses"]


async def test_a_service_that_goes_down_keeps_its_last_good_part_of_the_document(
    world, gateway_client
):
    gw = await gateway_client(openapi_cache_s=0)
    assert "/api/v1/forecast" in (await gw.get("/openapi.json")).json()["paths"]
    world.down.add("sales")
    doc = (await gw.get("/openapi.json")).json()
    assert "/api/v1/forecast" in doc["paths"]
    assert doc["x-tandem-sources"]["sales"] == "unavailable: ConnectError; last good document kept"


async def test_a_service_never_reached_is_left_out_and_named(world, gateway_client):
    world.down.add("procurement")
    gw = await gateway_client()
    response = await gw.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert "/api/v1/demand/orders/{oid}" not in doc["paths"]
    assert doc["x-tandem-sources"]["procurement"] == "unavailable: ConnectError"
    docs = await gw.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text


async def test_a_service_that_comes_back_is_in_the_document_without_waiting_out_the_cache(
    world, gateway_client, monkeypatch
):
    from tandem_gateway import openapi

    monkeypatch.setattr(openapi, "RETRY_MISSING_S", 0.0)
    world.down.add("supplier")
    gw = await gateway_client(openapi_cache_s=3600)
    assert "/api/v1/suppliers/{sid}" not in (await gw.get("/openapi.json")).json()["paths"]
    world.down.discard("supplier")
    doc = (await gw.get("/openapi.json")).json()
    assert "/api/v1/suppliers/{sid}" in doc["paths"]
    assert doc["x-tandem-sources"]["supplier"] == "ok"


async def test_the_document_is_built_at_start_without_a_reader(world, gateway_client):
    await gateway_client(openapi_warm_up=True)

    async def fetched():
        while sorted(world.spec_fetches) != ["customer", "procurement", "sales", "supplier"]:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(fetched(), timeout=10)
