"""Certificate expiry: warn once, expire once, suspend approved suppliers on mandatory expiry."""

from __future__ import annotations

import asyncio
import contextlib
import logging
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
log = logging.getLogger("tandem.supplier.expiry")


class CertificateExpiryMonitor:
    """Worker task: checks certificates every ``interval`` seconds until ``stop`` is set.

    Each notice is recorded on its certificate in the transaction that stages its outbox row,
    so a restart (or a second worker) never publishes a warning or an expiry twice.
    """

    def __init__(
        self,
        uow_factory: Callable[[], SupplierUnitOfWork],
        *,
        policy: QualificationPolicy,
        horizon_days: int,
        interval: float,
        clock: Clock,
        batch_size: int = 200,
    ) -> None:
        self._uow = uow_factory
        self._policy = policy
        self._horizon = horizon_days
        self._interval = interval
        self._clock = clock
        self._batch = batch_size

    async def run_once(self) -> ExpiryOutcome:
        """Work through every due certificate, one committed batch at a time."""
        total = ExpiryOutcome()
        while True:
            async with self._uow() as uow:
                outcome = await check_certificate_expiry(
                    uow,
                    policy=self._policy,
                    today=self._clock(),
                    horizon_days=self._horizon,
                    batch_size=self._batch,
                )
                await uow.commit()
            total = ExpiryOutcome(
                total.warned + outcome.warned,
                total.expired + outcome.expired,
                total.suspended + outcome.suspended,
            )
            if outcome.warned + outcome.expired < self._batch:
                return total

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                outcome = await self.run_once()
                if outcome.warned or outcome.expired:
                    log.info("certificate notices", extra=outcome.__dict__)
            except Exception:
                # A database hiccup must not stop the worker; the next round retries.
                log.exception("certificate expiry check failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)
