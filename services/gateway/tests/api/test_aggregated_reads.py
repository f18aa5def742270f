"""Aggregated reads against fake services that serve the agreed shapes, healthy and not."""

import time
import uuid

import pytest

CUSTOMER_PARTS = {
    "customer": "customer",
    "contacts": "customer",
    "activities": "customer",
    "open_tickets": "customer",
    "value": "customer",
    "opportunities": "sales",
    "orders": "sales",
}
SUPPLIER_PARTS = {
    "supplier": "supplier",
    "certifications": "supplier",
    "offers": "supplier",
    "scorecard": "supplier",
    "contracts": "procurement",
    "open_purchase_orders": "procurement",
}
DASHBOARD_PARTS = {
    "pipeline": "sales",
    "orders_today": "sales",
    "tickets": "customer",
    "requisitions": "procurement",
    "purchase_orders": "procurement",
    "suppliers": "supplier",
}


def views(world):
    return {
        "customer_360": (f"/api/v1/customers/{world.customer_id}/360", CUSTOMER_PARTS),
        "supplier_360": (f"/api/v1/suppliers/{world.supplier_id}/360", SUPPLIER_PARTS),
        "order_trace": (
            f"/api/v1/orders/{world.order_id}/trace",
            {"order": "sales", "demand": "procurement"},
        ),
        "dashboard": ("/api/v1/dashboard", DASHBOARD_PARTS),
    }


async def test_customer_360_calls_exactly_the_agreed_endpoints_and_returns_their_data(
    world, gateway_client, bearer
):
    gw = await gateway_client()
    cid = world.customer_id
    auth = bearer()
    response = await gw.get(
        f"/api/v1/customers/{cid}/360", headers={**auth, "X-Correlation-ID": "corr-360"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["complete"] is True and body["missing"] == []
    assert body["customer"]["name"] == "Initech"
    assert body["value"]["tier"] == "silver"
    assert body["opportunities"]["items"][0]["stage"] == "proposal"
    assert [a["id"] for a in body["activities"]["items"]] == ["a2", "a1"]
    # One bundle read per service (was five customer and two sales calls).
    calls = {(s, p, tuple(sorted(q.multi_items()))) for s, p, q, _ in world.calls}
    bundled = ("activities", "contacts", "open_tickets", "value")
    assert calls == {
        (
            "customer",
            f"/api/v1/customers/{cid}/bundle",
            (*(("parts", p) for p in bundled), ("recent", "20")),
        ),
        (
            "sales",
            f"/api/v1/customer-sales/{cid}",
            (("parts", "opportunities"), ("parts", "orders"), ("recent", "20")),
        ),
    }
    assert body["value"]["tier"] == "silver" and body["contacts"]["items"][0]["name"] == "Ann"
    assert body["open_tickets"]["items"][0]["id"] == "t1"
    # The caller's identity and the correlation id reach every service.
    for _, _, _, headers in world.calls:
        assert headers["authorization"] == auth["Authorization"]
        assert headers["x-correlation-id"] == "corr-360"
        assert headers["x-forwarded-user"] == "tester"
        assert headers["x-request-id"] == response.headers["X-Request-ID"]


async def test_supplier_360_and_dashboard_call_the_agreed_endpoints(world, gateway_client, bearer):
    gw = await gateway_client()
    sid = world.supplier_id
    r = await gw.get(f"/api/v1/suppliers/{sid}/360", headers=bearer())
    assert r.status_code == 200 and r.json()["complete"], r.text
    assert r.json()["scorecard"]["standing"] == "good"
    r = await gw.get("/api/v1/dashboard", headers=bearer())
    assert r.status_code == 200 and r.json()["complete"], r.text
    dash = r.json()
    assert dash["tickets"]["breaching"] == 1
    assert dash["requisitions"]["awaiting_approval"] == 2
    assert dash["suppliers"]["by_standing"]["probation"] == 1
    assert dash["purchase_orders"]["spend_by_supplier"][0]["amount"]["amount"] == "40.00"
    paths = {(s, p, tuple(sorted(q.items()))) for s, p, q, _ in world.calls}
    assert {
        ("supplier", f"/api/v1/suppliers/{sid}", ()),
        ("supplier", f"/api/v1/suppliers/{sid}/certifications", ()),
        ("supplier", f"/api/v1/suppliers/{sid}/offers", ()),
        ("supplier", f"/api/v1/suppliers/{sid}/scorecard", ()),
        ("procurement", "/api/v1/contracts", (("supplier_id", sid),)),
        ("procurement", "/api/v1/purchase-orders", (("open", "true"), ("supplier_id", sid))),
        ("sales", "/api/v1/forecast", ()),
        ("sales", "/api/v1/orders/summary", ()),
        ("customer", "/api/v1/tickets/summary", ()),
        ("procurement", "/api/v1/requisitions/summary", ()),
        ("procurement", "/api/v1/purchase-orders/summary", ()),
        ("supplier", "/api/v1/scorecards/summary", ()),
    } == paths


async def test_the_order_trace_joins_each_line_with_its_demand_and_purchase_orders(
    world, gateway_client, bearer
):
    gw = await gateway_client()
    r = await gw.get(f"/api/v1/orders/{world.order_id}/trace", headers=bearer())
    assert r.status_code == 200, r.text
    trace = r.json()
    assert trace["complete"] and trace["at_risk"] is True
    first, second = trace["lines"]
    assert first["line_id"] == "l1" and first["covered_quantity"] == 10
    assert first["requisitions"][0]["status"] == "ordered"
    po = first["purchase_orders"][0]
    assert (po["promised_date"], po["late_by_days"]) == ("2026-12-14", 4)
    assert first["at_risk_reason"].startswith("promised")
    # Procurement has nothing for the second line yet: nothing covers it, not "unknown".
    assert second["line_id"] == "l2"
    assert (second["requisitions"], second["purchase_orders"]) == ([], [])


@pytest.mark.parametrize("service", ["customer", "sales", "supplier", "procurement"])
async def test_a_service_down_leaves_its_parts_out_and_names_them(
    service, world, gateway_client, bearer
):
    gw = await gateway_client()
    world.down.add(service)
    for view, (path, parts) in views(world).items():
        r = await gw.get(path, headers=bearer())
        assert r.status_code == 200, (view, r.text)
        body = r.json()
        expected = {name for name, owner in parts.items() if owner == service}
        missing = {m["part"]: m for m in body["missing"]}
        assert set(missing) == expected, view
        for name in expected:
            assert missing[name]["service"] == service
            assert missing[name]["reason"] == "unavailable"
            assert service in missing[name]["detail"]
            if name in body:
                assert body[name] is None
        for name in set(parts) - expected:
            assert name not in body or body[name] is not None, (view, name)
        assert body["complete"] is (not expected)


async def test_a_slow_service_is_cut_off_at_the_part_timeout_and_the_rest_is_served(
    world, gateway_client, bearer
):
    gw = await gateway_client(aggregate_part_timeout_s=0.3, aggregate_deadline_s=2.0)
    world.delay_s["sales"] = 5.0
    started = time.monotonic()
    r = await gw.get(f"/api/v1/customers/{world.customer_id}/360", headers=bearer())
    elapsed = time.monotonic() - started
    assert r.status_code == 200
    reasons = {m["part"]: m["reason"] for m in r.json()["missing"]}
    assert reasons == {"opportunities": "timeout", "orders": "timeout"}
    assert r.json()["customer"]["name"] == "Initech"
    assert elapsed < 2.0


async def test_the_overall_deadline_bounds_the_answer_even_with_generous_part_timeouts(
    world, gateway_client, bearer
):
    gw = await gateway_client(aggregate_part_timeout_s=10.0, aggregate_deadline_s=0.4)
    world.delay_s["procurement"] = 5.0
    started = time.monotonic()
    r = await gw.get(f"/api/v1/suppliers/{world.supplier_id}/360", headers=bearer())
    assert time.monotonic() - started < 1.5
    assert r.status_code == 200
    missing = {m["part"]: (m["service"], m["reason"]) for m in r.json()["missing"]}
    assert missing == {
        "contracts": ("procurement", "deadline"),
        "open_purchase_orders": ("procurement", "deadline"),
    }


async def test_parts_a_bundle_leaves_out_are_named_with_the_services_reason(
    world, gateway_client, bearer
):
    gw = await gateway_client()
    world.bundle_leaves_out.update(open_tickets="forbidden", value="sideways")
    r = await gw.get(f"/api/v1/customers/{world.customer_id}/360", headers=bearer())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["missing"] == [
        {
            "part": "open_tickets",
            "service": "customer",
            "reason": "forbidden",
            "detail": "open_tickets left out",
        },
        {"part": "value", "service": "customer", "reason": "rejected", "detail": "value left out"},
    ]
    assert body["open_tickets"] is None and body["value"] is None
    assert body["contacts"]["items"] and body["customer"]["name"] == "Initech"


async def test_a_bundle_answering_without_a_part_names_it_as_invalid(
    world, gateway_client, bearer, monkeypatch
):
    from tandem_gateway import aggregate

    real = aggregate._read

    def drop_contacts(part, response):
        body = real(part, response)
        if isinstance(part, aggregate.Bundle) and part.service == "customer":
            body.pop("contacts")
        return body

    monkeypatch.setattr(aggregate, "_read", drop_contacts)
    gw = await gateway_client()
    r = await gw.get(f"/api/v1/customers/{world.customer_id}/360", headers=bearer())
    assert r.status_code == 200, r.text
    missing = {m["part"]: m["reason"] for m in r.json()["missing"]}
    assert missing == {"contacts": "invalid_response"}


async def test_an_erroring_service_is_named_as_an_upstream_error(world, gateway_client, bearer):
    gw = await gateway_client()
    world.broken.add("supplier")
    r = await gw.get("/api/v1/dashboard", headers=bearer())
    assert r.status_code == 200
    assert r.json()["missing"] == [
        {
            "part": "suppliers",
            "service": "supplier",
            "reason": "upstream_error",
            "detail": "the supplier service answered 500",
        }
    ]


async def test_an_unknown_subject_is_404_and_a_refused_one_403(world, gateway_client, bearer):
    gw = await gateway_client()
    r = await gw.get(f"/api/v1/customers/{uuid.uuid4()}/360", headers=bearer())
    assert r.status_code == 404 and "no customer" in r.json()["detail"]
    r = await gw.get(f"/api/v1/customers/{world.foreign_customer_id}/360", headers=bearer())
    assert r.status_code == 403 and "own" in r.json()["detail"]
    r = await gw.get(f"/api/v1/orders/{uuid.uuid4()}/trace", headers=bearer())
    assert r.status_code == 404
    r = await gw.get("/api/v1/customers/not-a-uuid/360", headers=bearer())
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "customer_id"


async def test_parts_the_callers_roles_do_not_cover_are_not_fetched_and_named(
    world, gateway_client, bearer
):
    gw = await gateway_client()
    r = await gw.get(f"/api/v1/customers/{world.customer_id}/360", headers=bearer("buyer"))
    assert r.status_code == 200
    forbidden = {m["part"] for m in r.json()["missing"] if m["reason"] == "forbidden"}
    assert forbidden == {"contacts", "activities", "open_tickets", "opportunities"}
    assert r.json()["customer"]["name"] == "Initech" and r.json()["orders"] is not None
    fetched = {p: q for _, p, q, _ in world.calls}
    bundle = fetched[f"/api/v1/customers/{world.customer_id}/bundle"]
    assert bundle.getlist("parts") == ["value"]  # contacts, activities, tickets: not asked
    sales = fetched[f"/api/v1/customer-sales/{world.customer_id}"]
    assert sales.getlist("parts") == ["orders"]  # opportunities: not asked

    r = await gw.get("/api/v1/dashboard", headers=bearer("sales_manager"))
    forbidden = {m["part"] for m in r.json()["missing"] if m["reason"] == "forbidden"}
    assert forbidden == {"requisitions", "purchase_orders", "suppliers"}


async def test_a_hanging_service_stops_costing_time_once_its_circuit_opens(
    world, gateway_client, bearer
):
    gw = await gateway_client(
        aggregate_part_timeout_s=0.2, circuit_failure_threshold=2, circuit_open_s=30
    )
    world.delay_s["sales"] = 5.0
    path = f"/api/v1/customers/{world.customer_id}/360"
    for _ in range(2):  # the sales bundle times out twice: the circuit opens
        first = await gw.get(path, headers=bearer())
    assert {m["reason"] for m in first.json()["missing"]} == {"timeout"}
    calls_before = len([c for c in world.calls if c[0] == "sales"])
    started = time.monotonic()
    second = await gw.get(path, headers=bearer())
    assert time.monotonic() - started < 0.2
    missing = {m["part"]: m for m in second.json()["missing"]}
    assert set(missing) == {"opportunities", "orders"}
    assert missing["orders"]["reason"] == "unavailable"
    assert "paused" in missing["orders"]["detail"]
    assert len([c for c in world.calls if c[0] == "sales"]) == calls_before
    # The proxy honours the same circuit.
    proxied = await gw.get("/api/v1/orders", headers=bearer())
    assert proxied.status_code == 503 and proxied.json()["service"] == "sales"
    assert proxied.headers["Retry-After"] == "30"
