"""Who may read and write each public resource: one table for the gateway and the services.

``admin`` may do everything; ``auditor`` only reads. A route names its resource and whether it
reads or writes; the gateway checks the same table by path and method before forwarding.
Record-level rules (a sales rep changes only what they own) are the owning service's.
"""

from __future__ import annotations

from typing import Literal

from fastapi import Depends, HTTPException, status

from tandem_kit.auth import CurrentPrincipal, Principal

Access = Literal["read", "write"]

SALES = frozenset({"sales_rep", "sales_manager"})
PROCUREMENT = frozenset({"buyer", "procurement_manager"})


def _p(read: set[str], write: set[str]) -> dict[Access, frozenset[str]]:
    # Whoever may write may read; auditors read everything.
    return {"read": frozenset(read | write | {"auditor"}), "write": frozenset(write)}


POLICY: dict[str, dict[Access, frozenset[str]]] = {
    "customers": _p({"service_agent", "buyer", "procurement_manager"}, set(SALES)),
    "contacts": _p(set(), {"sales_rep", "sales_manager", "service_agent"}),
    "activities": _p(set(), {"sales_rep", "sales_manager", "service_agent"}),
    "leads": _p(set(), set(SALES)),
    "tickets": _p(set(SALES), {"service_agent"}),
    "segments": _p({"sales_rep"}, {"sales_manager"}),
    "campaigns": _p({"sales_rep"}, {"sales_manager"}),
    # Sales reps quote and order from the catalog, so they read it.
    "products": _p(
        {"sales_rep", "service_agent", "buyer", "procurement_manager", "supplier_manager"},
        {"sales_manager"},
    ),
    "opportunities": _p(set(), set(SALES)),
    "forecast": _p(set(SALES), set()),
    "quotes": _p(set(), set(SALES)),
    "orders": _p({"service_agent", "buyer", "procurement_manager"}, set(SALES)),
    "customer-credit": _p(set(SALES), set()),
    # A customer's opportunities and orders in one read (the customer 360's sales share);
    # whoever reads either may ask, and each part is checked against its own resource.
    "customer-sales": _p({"service_agent", "buyer", "procurement_manager"} | SALES, set()),
    "suppliers": _p(set(PROCUREMENT), {"supplier_manager"}),
    "certifications": _p(set(PROCUREMENT), {"supplier_manager"}),
    "offers": _p(set(PROCUREMENT), {"supplier_manager"}),
    "scorecards": _p(set(PROCUREMENT), {"supplier_manager"}),
    "demand": _p({"sales_manager", "buyer", "procurement_manager"}, set()),
    "requisitions": _p(set(), set(PROCUREMENT)),
    "purchase-orders": _p({"supplier_manager"}, set(PROCUREMENT)),
    "receipts": _p({"supplier_manager"}, set(PROCUREMENT)),
    "contracts": _p({"buyer", "supplier_manager"}, {"procurement_manager"}),
    "approval-rules": _p({"buyer"}, {"procurement_manager"}),
    "dashboard": _p({"sales_manager", "procurement_manager", "supplier_manager"}, set()),
}


def allowed(principal: Principal, resource: str, access: Access) -> bool:
    if "admin" in principal.roles:
        return True
    roles = POLICY.get(resource, {}).get(access, frozenset())
    return bool(principal.roles & roles)


def access_for_method(method: str) -> Access:
    return "read" if method.upper() in ("GET", "HEAD", "OPTIONS") else "write"


def require(resource: str, access: Access):
    """Route dependency: 403 unless the caller's roles may ``access`` ``resource``."""
    if resource not in POLICY:
        raise KeyError(f"{resource} has no entry in tandem_kit.permissions.POLICY")

    # async: FastAPI runs a plain ``def`` dependency in a worker thread, a hop per request.
    async def check(principal: CurrentPrincipal) -> Principal:
        if not allowed(principal, resource, access):
            needed = sorted(POLICY[resource][access] | {"admin"})
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"{access} on {resource} needs one of the roles: {', '.join(needed)}",
            )
        return principal

    return Depends(check)
