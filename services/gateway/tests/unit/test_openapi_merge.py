"""Merging the services' OpenAPI documents into one."""

from tandem_gateway.openapi import merge

GATEWAY = {
    "openapi": "3.1.0",
    "info": {"title": "Tandem API", "version": "0.1.0"},
    "paths": {"/api/v1/customers/{customer_id}/360": {"get": {"responses": {}}}},
    "components": {"schemas": {"MoneyOut": {"type": "object", "title": "gateway"}}},
}


def _doc(path, schema_title, extra_paths=None):
    return {
        "paths": {
            path: {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/MoneyOut"}
                                }
                            }
                        }
                    }
                }
            },
            **(extra_paths or {}),
        },
        "components": {
            "schemas": {"MoneyOut": {"type": "object", "title": schema_title}},
            "securitySchemes": {"HTTPBearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def test_service_paths_are_folded_in_and_internal_ones_left_out():
    customer = _doc(
        "/api/v1/customers",
        "gateway",
        {"/health/ready": {"get": {}}, "/internal/x": {"get": {}}, "/api/v1/unknown": {"get": {}}},
    )
    merged = merge(GATEWAY, {"customer": customer}, {"customer": "ok"})
    assert set(merged["paths"]) == {"/api/v1/customers", "/api/v1/customers/{customer_id}/360"}
    assert merged["x-tandem-sources"] == {"customer": "ok"}
    assert merged["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_schemas_with_one_name_and_two_shapes_are_kept_apart():
    merged = merge(
        GATEWAY,
        {"sales": _doc("/api/v1/orders", "sales"), "supplier": _doc("/api/v1/offers", "supp")},
        {},
    )
    schemas = merged["components"]["schemas"]
    assert schemas["MoneyOut"]["title"] == "gateway"
    assert schemas["SalesMoneyOut"]["title"] == "sales"
    assert schemas["SupplierMoneyOut"]["title"] == "supp"
    ref = merged["paths"]["/api/v1/orders"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    assert ref == "#/components/schemas/SalesMoneyOut"


def test_the_gateways_own_route_wins_and_every_operation_documents_gateway_errors():
    clash = {"paths": {"/api/v1/customers/{customer_id}/360": {"get": {"summary": "service"}}}}
    merged = merge(GATEWAY, {"customer": clash}, {})
    operation = merged["paths"]["/api/v1/customers/{customer_id}/360"]["get"]
    assert "summary" not in operation
    assert {"401", "403", "413", "429", "503", "504"} <= set(operation["responses"])
    assert merged["components"]["schemas"]["GatewayError"]["required"] == ["detail"]
    assert GATEWAY["paths"]["/api/v1/customers/{customer_id}/360"]["get"]["responses"] == {}


def test_a_422_is_documented_as_field_errors_or_a_domain_refusal():
    validation = {"$ref": "#/components/schemas/HTTPValidationError"}
    service = {
        "paths": {
            "/api/v1/customers": {
                "post": {
                    "responses": {"422": {"content": {"application/json": {"schema": validation}}}}
                }
            }
        }
    }
    merged = merge(GATEWAY, {"customer": service}, {})
    schema = merged["paths"]["/api/v1/customers"]["post"]["responses"]["422"]["content"][
        "application/json"
    ]["schema"]
    assert schema == {"anyOf": [validation, {"$ref": "#/components/schemas/DomainError"}]}
