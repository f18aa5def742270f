"""Certificate expiry: warn once, expire once, suspend approved suppliers on mandatory expiry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from tandem_supplier.application.unit_of_work import SupplierUnitOfWork
from tandem_supplier.domain.certification import ExpiryState
from tandem_supplier.domain.qualification import QualificationPolicy


@dataclass(frozen=True)
class ExpiryOutcome:
    warned: int = 0
    expired: int = 0
    suspended: int = 0


async def check_certificate_expiry(
    uow: SupplierUnitOfWork,
    *,
    policy: QualificationPolicy,
    today: date,
    horizon_days: int,
    batch_size: int = 200,
) -> ExpiryOutcome:
    """One batch in one transaction; notices are recorded on the certificate with their events."""
    warned = expired = suspended = 0
    certificates = await uow.certifications.needing_notice(
        today=today, warn_until=today + timedelta(days=horizon_days), limit=batch_size
    )
    for certificate in certificates:
        supplier = await uow.suppliers.get(certificate.supplier_id, for_update=True)
        categories = supplier.categories if supplier is not None else []
        mandatory = policy.is_mandatory(certificate.kind, categories)
        already_expired = certificate.expired_notified_on is not None
        state = certificate.check_expiry(today, horizon_days, mandatory=mandatory)
        if state is ExpiryState.EXPIRING:
            warned += 1
        elif state is ExpiryState.EXPIRED and not already_expired:
            expired += 1
            if mandatory and supplier is not None:
                # A valid renewal of the same kind keeps the supplier qualified.
                others = await uow.certifications.for_supplier(supplier.id)
                renewed = any(c.kind == certificate.kind and c.is_valid_on(today) for c in others)
                if not renewed and supplier.suspend_for_expired(
                    certificate.kind, certificate.valid_until
                ):
                    suspended += 1
    return ExpiryOutcome(warned, expired, suspended)


Clock = Callable[[], date]
