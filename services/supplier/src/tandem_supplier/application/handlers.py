"""Supplier command handlers: load, decide in the domain, commit state and events together."""

from __future__ import annotations

from datetime import date

from tandem_kit.errors import Conflict, PreconditionFailed
from tandem_supplier.application.commands import (
    ChangeSupplierStatus,
    PublishOffer,
    RecordCertification,
    RegisterSupplier,
    ReviseOffer,
    ReviseSupplier,
    WithdrawOffer,
)
from tandem_supplier.application.unit_of_work import SupplierUnitOfWork
from tandem_supplier.domain.certification import Certification
from tandem_supplier.domain.errors import (
    DuplicateSupplier,
    OfferNotFound,
    SupplierNotFound,
)
from tandem_supplier.domain.offer import Offer
from tandem_supplier.domain.qualification import QualificationPolicy
from tandem_supplier.domain.supplier import (
    QUALIFYING,
    Supplier,
    SupplierStatus,
    normalise_legal_id,
    normalise_name,
)

NO_OFFERS_FROM = frozenset({SupplierStatus.REJECTED, SupplierStatus.BLOCKED})


def _check_version(entity: str, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"{entity} is at version {current}, not {expected}", field="If-Match"
        )


async def _supplier(uow: SupplierUnitOfWork, supplier_id, *, for_update: bool = False) -> Supplier:
    supplier = await uow.suppliers.get(supplier_id, for_update=for_update)
    if supplier is None:
        raise SupplierNotFound(supplier_id)
    return supplier


async def register_supplier(cmd: RegisterSupplier, uow: SupplierUnitOfWork) -> Supplier:
    """Register an applicant unless its legal id or normalised name is already known."""
    duplicate = await uow.suppliers.find_duplicate(
        legal_id=normalise_legal_id(cmd.legal_id), normalized_name=normalise_name(cmd.name)
    )
    if duplicate is not None:
        field = "legal_id" if duplicate.legal_id == normalise_legal_id(cmd.legal_id) else "name"
        raise DuplicateSupplier(field, duplicate.id)
    supplier = Supplier.register(
        name=cmd.name,
        legal_id=cmd.legal_id,
        categories=cmd.categories,
        risk_level=cmd.risk_level,
        contacts=list(cmd.contacts),
    )
    uow.suppliers.add(supplier)
    return supplier


async def revise_supplier(cmd: ReviseSupplier, uow: SupplierUnitOfWork) -> Supplier:
    """Change name, categories, risk level or contacts (full state published)."""
    supplier = await _supplier(uow, cmd.supplier_id, for_update=True)
    _check_version("supplier", supplier.version, cmd.expected_version)
    if cmd.name is not None:
        duplicate = await uow.suppliers.find_duplicate(
            normalized_name=normalise_name(cmd.name), exclude=supplier.id
        )
        if duplicate is not None:
            raise DuplicateSupplier("name", duplicate.id)
    supplier.revise(
        name=cmd.name,
        categories=cmd.categories,
        risk_level=cmd.risk_level,
        contacts=list(cmd.contacts) if cmd.contacts is not None else None,
    )
    return supplier


async def change_supplier_status(
    cmd: ChangeSupplierStatus,
    uow: SupplierUnitOfWork,
    *,
    policy: QualificationPolicy,
    today: date,
) -> Supplier:
    """Lifecycle action; approval and reinstatement pass the qualification guard."""
    supplier = await _supplier(uow, cmd.supplier_id, for_update=True)
    _check_version("supplier", supplier.version, cmd.expected_version)
    missing = None
    if cmd.action in QUALIFYING:
        certificates = await uow.certifications.for_supplier(supplier.id)
        missing = policy.missing(supplier.categories, certificates, today)
    supplier.change_status(cmd.action, cmd.reason, missing_certifications=missing)
    return supplier


async def record_certification(
    cmd: RecordCertification, uow: SupplierUnitOfWork, *, policy: QualificationPolicy
) -> Certification:
    """Record a certificate; whether it is mandatory follows the supplier's categories."""
    supplier = await _supplier(uow, cmd.supplier_id)
    certification = Certification.record(
        supplier_id=supplier.id,
        kind=cmd.kind,
        issuer=cmd.issuer,
        number=cmd.number,
        valid_from=cmd.valid_from,
        valid_until=cmd.valid_until,
        mandatory=policy.is_mandatory(cmd.kind, supplier.categories),
    )
    uow.certifications.add(certification)
    return certification


async def publish_offer(cmd: PublishOffer, uow: SupplierUnitOfWork) -> Offer:
    """Publish what a supplier sells; refused for rejected or blocked suppliers."""
    supplier = await _supplier(uow, cmd.supplier_id)
    if supplier.status in NO_OFFERS_FROM:
        raise Conflict(f"a {supplier.status} supplier cannot publish offers", field="supplier_id")
    offer = Offer.publish(
        supplier_id=supplier.id,
        sku=cmd.sku,
        unit_price=cmd.unit_price,
        currency=cmd.currency,
        lead_time_days=cmd.lead_time_days,
        minimum_order_quantity=cmd.minimum_order_quantity,
        valid_from=cmd.valid_from,
        valid_until=cmd.valid_until,
    )
    uow.offers.add(offer)
    return offer


async def _offer(uow: SupplierUnitOfWork, offer_id, expected_version: int | None) -> Offer:
    offer = await uow.offers.get(offer_id, for_update=True)
    if offer is None:
        raise OfferNotFound(offer_id)
    _check_version("offer", offer.version, expected_version)
    return offer


async def revise_offer(cmd: ReviseOffer, uow: SupplierUnitOfWork) -> Offer:
    """New terms for an offer (republished with the next version)."""
    offer = await _offer(uow, cmd.offer_id, cmd.expected_version)
    offer.revise(
        unit_price=cmd.unit_price,
        currency=cmd.currency,
        lead_time_days=cmd.lead_time_days,
        minimum_order_quantity=cmd.minimum_order_quantity,
        valid_from=cmd.valid_from,
        valid_until=cmd.valid_until,
    )
    return offer


async def withdraw_offer(cmd: WithdrawOffer, uow: SupplierUnitOfWork) -> Offer:
    """Withdraw an offer so procurement stops sourcing from it."""
    offer = await _offer(uow, cmd.offer_id, cmd.expected_version)
    offer.withdraw()
    return offer
