"""One OpenAPI document for the whole public API: the gateway's routes plus each service's.

Each service's ``/openapi.json`` is fetched on demand and kept ``openapi_cache_s`` seconds.
A service that cannot be reached keeps its last good document (or is left out), the document
says so under ``x-tandem-sources`` and is rebuilt within seconds; it is never refused for it.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import httpx

from tandem_gateway.routing import ROUTES

GATEWAY_ERRORS: dict[str, str] = {
    "401": "missing, expired or invalid bearer token",
    "403": "the caller's roles do not allow this",
    "413": "request body too large",
    "429": "rate limit exceeded (see Retry-After)",
    "503": "the owning service is unavailable (named in the body)",
    "504": "the owning service did not answer in time (named in the body)",
}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_REF = "#/components/schemas/"
RETRY_MISSING_S = 5.0


class MergedOpenAPI:
    """Builds and caches the merged document."""

    def __init__(
        self,
        gateway_doc: Any,
        service_urls: dict[str, str],
        client: httpx.AsyncClient,
        *,
        ttl_s: float,
        fetch_timeout_s: float,
    ) -> None:
        self._gateway_doc = gateway_doc  # a callable returning the gateway's own document
        self._urls = service_urls
        self._client = client
        self._ttl = ttl_s
        self._timeout = fetch_timeout_s
        self._docs: dict[str, dict[str, Any]] = {}
        self._status: dict[str, str] = {}
        self._merged: dict[str, Any] | None = None
        self._fresh_until = 0.0
        self._lock = asyncio.Lock()

    async def document(self) -> dict[str, Any]:
        async with self._lock:
            if self._merged is None or time.monotonic() >= self._fresh_until:
                await self._refresh()
                self._merged = merge(self._gateway_doc(), self._docs, self._status)
                whole = all(v == "ok" for v in self._status.values())
                # Missing a service: look again soon rather than a whole cache period later.
                ttl = self._ttl if whole else min(self._ttl, RETRY_MISSING_S)
                self._fresh_until = time.monotonic() + ttl
            return self._merged

    async def _refresh(self) -> None:
        async def fetch(service: str, url: str) -> None:
            try:
                response = await self._client.get(f"{url}/openapi.json", timeout=self._timeout)
                response.raise_for_status()
                doc = response.json()
                if not isinstance(doc, dict) or "paths" not in doc:
                    raise ValueError("not an OpenAPI document")
            except (httpx.HTTPError, ValueError) as exc:
                kept = "; last good document kept" if service in self._docs else ""
                self._status[service] = f"unavailable: {type(exc).__name__}{kept}"
                return
            self._docs[service] = doc
            self._status[service] = "ok"

        await asyncio.gather(*(fetch(s, u) for s, u in self._urls.items()))


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF):
                name = value[len(_REF) :]
                out[key] = _REF + renames.get(name, name)
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, renames) for v in node]
    return node


def _public_path(path: str) -> bool:
    if not path.startswith("/api/v1/"):
        return False
    return path[len("/api/v1/") :].split("/", 1)[0] in ROUTES


def merge(
    gateway: dict[str, Any], services: dict[str, dict[str, Any]], status: dict[str, str]
) -> dict[str, Any]:
    """The gateway's document with each service's public paths and schemas folded in."""
    doc = copy.deepcopy(gateway)
    paths: dict[str, Any] = doc.setdefault("paths", {})
    components = doc.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    security = components.setdefault("securitySchemes", {})
    tags = {t["name"]: t for t in doc.get("tags", [])}
    for service in sorted(services):
        source = services[service]
        theirs = source.get("components", {}).get("schemas", {})
        # Same name, different shape: the service's schema gets the service's name in front.
        renames = {
            name: f"{service.capitalize()}{name}"
            for name, schema in theirs.items()
            if name in schemas and schemas[name] != schema
        }
        for name, schema in theirs.items():
            schemas[renames.get(name, name)] = _rewrite_refs(schema, renames)
        for name, scheme in source.get("components", {}).get("securitySchemes", {}).items():
            security.setdefault(name, scheme)
        for t in source.get("tags", []):
            tags.setdefault(t["name"], t)
        for path, item in source.get("paths", {}).items():
            if not _public_path(path):
                continue
            target = paths.setdefault(path, {})
            for method, operation in _rewrite_refs(item, renames).items():
                # The gateway's own route (e.g. an aggregated read) wins over a service's.
                target.setdefault(method, operation)
    paths_out: dict[str, Any] = {}
    for path in sorted(paths):
        item = paths[path]
        if path.startswith("/api/v1/"):
            for method in _METHODS:
                if method in item:
                    _add_gateway_errors(item[method], schemas)
        paths_out[path] = item
    doc["paths"] = paths_out
    if tags:
        doc["tags"] = list(tags.values())
    doc["x-tandem-sources"] = {s: status.get(s, "not fetched") for s in sorted(status)}
    return doc


def _add_gateway_errors(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    schemas.setdefault(
        "GatewayError",
        {
            "title": "GatewayError",
            "type": "object",
            "properties": {
                "detail": {"title": "Detail"},
                "service": {"title": "Service", "type": "string"},
                "field": {"title": "Field", "type": "string"},
            },
            "required": ["detail"],
        },
    )
    schemas.setdefault(
        "DomainError",
        {
            "title": "DomainError",
            "description": "a rule refused the request (kit DomainError): reason and field",
            "type": "object",
            "properties": {
                "detail": {"title": "Detail", "type": "string"},
                "code": {"title": "Code", "type": "string"},
                "field": {"title": "Field", "type": "string"},
            },
            "required": ["detail"],
        },
    )
    responses = operation.setdefault("responses", {})
    # A 422 is either request validation (a list of field errors) or a domain rule's refusal.
    invalid = responses.get("422", {}).get("content", {}).get("application/json", {})
    if "schema" in invalid and "anyOf" not in invalid["schema"]:
        invalid["schema"] = {"anyOf": [invalid["schema"], {"$ref": _REF + "DomainError"}]}
    for code, description in GATEWAY_ERRORS.items():
        responses.setdefault(
            code,
            {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": _REF + "GatewayError"}}},
            },
        )
    operation.setdefault("security", [{"HTTPBearer": []}])
