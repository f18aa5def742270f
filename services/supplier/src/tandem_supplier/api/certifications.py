"""Certification routes: record a supplier's certificates and read their expiry state."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from tandem_kit.api import IdempotencyKey, PageLimit, respond
from tandem_kit.idempotency import execute
from tandem_kit.pagination import Page
from tandem_kit.permissions import require
from tandem_supplier.api import deps
from tandem_supplier.api.deps import Cursor, SupplierId
from tandem_supplier.api.schemas import CertificationCreate, CertificationPublic
from tandem_supplier.application import handlers
from tandem_supplier.application.commands import RecordCertification
from tandem_supplier.domain.errors import CertificationNotFound, SupplierNotFound

router = APIRouter(prefix="/api/v1", tags=["certifications"])
WRITE = require("certifications", "write")
READ = require("certifications", "read")


def _public(request: Request, cert, categories: list[str]) -> dict:
    settings = deps.settings(request)
    return CertificationPublic.of(
        cert,
        today=deps.today(request),
        horizon_days=settings.certificate_expiry_horizon_days,
        mandatory=request.app.state.qualification.is_mandatory(cert.kind, categories),
    ).model_dump(mode="json")


@router.post(
    "/suppliers/{supplier_id}/certifications",
    status_code=201,
    response_model=CertificationPublic,
    dependencies=[WRITE],
    responses={404: {"description": "no such supplier"}, 422: {"description": "invalid field"}},
)
async def record_certification(
    supplier_id: SupplierId, body: CertificationCreate, request: Request, keyed: IdempotencyKey
) -> JSONResponse:
    """Record a certificate (publishes tandem.supplier.certification.recorded.v1)."""
    cmd = RecordCertification(supplier_id=supplier_id, **body.model_dump())
    policy = request.app.state.qualification

    async def handle(uow):
        cert = await handlers.record_certification(cmd, uow, policy=policy)
        supplier = await uow.suppliers.get(supplier_id)
        return cert, supplier.categories

    status, payload = await execute(
        deps.uow(request), handle, lambda r: (201, _public(request, r[0], r[1])), keyed
    )
    return respond(status, payload)


@router.get(
    "/suppliers/{supplier_id}/certifications",
    response_model=Page[CertificationPublic],
    dependencies=[READ],
    responses={404: {"description": "no such supplier"}},
)
async def list_certifications(
    supplier_id: SupplierId, request: Request, limit: PageLimit = 50, cursor: Cursor = None
) -> Page[CertificationPublic]:
    """A supplier's certificates (oldest recorded first) with their state today."""
    async with deps.uow(request) as uow:
        supplier = await uow.suppliers.get(supplier_id)
        if supplier is None:
            raise SupplierNotFound(supplier_id)
        rows = await uow.certifications.for_supplier(
            supplier_id, limit=limit + 1, after=deps.after(cursor)
        )
    items = [CertificationPublic(**_public(request, c, supplier.categories)) for c in rows[:limit]]
    return Page(items=items, next=deps.next_cursor(rows, limit))


@router.get(
    "/certifications/{certification_id}",
    response_model=CertificationPublic,
    dependencies=[READ],
    responses={404: {"description": "no such certification"}},
)
async def get_certification(
    certification_id: Annotated[uuid.UUID, Path()], request: Request
) -> JSONResponse:
    async with deps.uow(request) as uow:
        cert = await uow.certifications.get(certification_id)
        if cert is None:
            raise CertificationNotFound(certification_id)
        supplier = await uow.suppliers.get(cert.supplier_id)
    return respond(200, _public(request, cert, supplier.categories if supplier else []))
