"""Which service owns which top-level resource under /api/v1/."""

from __future__ import annotations

ROUTES: dict[str, str] = {
    # customer service
    "customers": "customer",
    "contacts": "customer",
    "activities": "customer",
    "leads": "customer",
    "tickets": "customer",
    "segments": "customer",
    "campaigns": "customer",
    # sales service
    "products": "sales",
    "opportunities": "sales",
    "forecast": "sales",
    "quotes": "sales",
    "orders": "sales",
    "customer-credit": "sales",
    "customer-sales": "sales",
    # supplier service
    "suppliers": "supplier",
    "certifications": "supplier",
    "offers": "supplier",
    "scorecards": "supplier",
    # procurement service
    "demand": "procurement",
    "requisitions": "procurement",
    "purchase-orders": "procurement",
    "receipts": "procurement",
    "contracts": "procurement",
    "approval-rules": "procurement",
}


def owner_of(path: str) -> str | None:
    """The service that owns ``/api/v1/<resource>/...`` (path given without the prefix)."""
    return ROUTES.get(path.split("/", 1)[0])
