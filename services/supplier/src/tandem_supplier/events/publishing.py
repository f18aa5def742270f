"""Translate supplier domain events into contract events on their topics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tandem_contracts import Envelope, Money
from tandem_contracts import supplier as contract
from tandem_contracts.events import Event
from tandem_contracts.topics import Topic
from tandem_supplier.domain import events
from tandem_supplier.domain.certification import Certification
from tandem_supplier.domain.offer import Offer
from tandem_supplier.domain.scorecard import Scorecard
from tandem_supplier.domain.supplier import Supplier


def supplier_snapshot(supplier: Supplier) -> dict[str, Any]:
    return {
        "supplier_id": supplier.id,
        "version": supplier.version,
        "name": supplier.name,
        "legal_id": supplier.legal_id,
        "status": supplier.status.value,
        "categories": list(supplier.categories),
        "risk_level": supplier.risk_level.value,
        "contacts": [contract.SupplierContact(**c) for c in supplier.contacts],
        "status_reason": supplier.status_reason,
    }


def _supplier_events(supplier: Supplier, event: Any) -> Iterator[Event]:
    if isinstance(event, events.SupplierRegistered):
        yield contract.SupplierRegistered(**supplier_snapshot(supplier))
    elif isinstance(event, events.SupplierChanged):
        yield contract.SupplierChanged(
            **supplier_snapshot(supplier), changed_fields=list(event.fields)
        )
    elif isinstance(event, events.SupplierStatusChanged):
        yield contract.SupplierStatusChanged(
            **supplier_snapshot(supplier),
            previous_status=event.previous_status,
            reason=event.reason,
        )


def _certification_events(cert: Certification, event: Any) -> Iterator[Event]:
    common = {
        "certification_id": cert.id,
        "supplier_id": cert.supplier_id,
        "kind": cert.kind,
        "valid_until": cert.valid_until,
    }
    if isinstance(event, events.CertificationRecorded):
        yield contract.CertificationRecorded(
            **common,
            version=cert.version,
            issuer=cert.issuer,
            number=cert.number,
            valid_from=cert.valid_from,
            mandatory=event.mandatory,
        )
    elif isinstance(event, events.CertificationExpiring):
        yield contract.CertificationExpiring(
            **common, days_left=event.days_left, mandatory=event.mandatory
        )
    elif isinstance(event, events.CertificationExpired):
        yield contract.CertificationExpired(**common, mandatory=event.mandatory)


def _offer_events(offer: Offer, event: Any) -> Iterator[Event]:
    if isinstance(event, events.OfferPublished):
        yield contract.OfferPublished(
            offer_id=offer.id,
            supplier_id=offer.supplier_id,
            version=offer.version,
            sku=offer.sku,
            unit_price=Money(amount=offer.unit_price, currency=offer.currency),
            lead_time_days=offer.lead_time_days,
            minimum_order_quantity=offer.minimum_order_quantity,
            valid_from=offer.valid_from,
            valid_until=offer.valid_until,
        )
    elif isinstance(event, events.OfferWithdrawn):
        yield contract.OfferWithdrawn(
            offer_id=offer.id, supplier_id=offer.supplier_id, version=offer.version, sku=offer.sku
        )


def _scorecard_events(card: Scorecard, event: Any) -> Iterator[Event]:
    if isinstance(event, events.ScorecardUpdated):
        yield contract.ScorecardUpdated(
            supplier_id=card.supplier_id,
            version=card.version,
            score=card.score,
            standing=card.standing,
            period_start=card.period_start,
            period_end=card.period_end,
            computed_at=card.computed_at,
            criteria=[
                contract.ScorecardCriterion(**{k: v for k, v in c.items() if k != "evidence"})
                for c in card.criteria
            ],
            effect=card.effect,
        )
    elif isinstance(event, events.StandingChanged):
        yield contract.StandingChanged(
            supplier_id=card.supplier_id,
            version=card.version,
            previous_standing=event.previous_standing,
            standing=event.standing,
            score=card.score,
            effect=card.effect,
        )


_ROUTES = (
    (Supplier, contract.SUPPLIERS, _supplier_events, lambda a: a.id),
    (Certification, contract.CERTIFICATIONS, _certification_events, lambda a: a.supplier_id),
    (Offer, contract.OFFERS, _offer_events, lambda a: a.id),
    (Scorecard, contract.SCORECARDS, _scorecard_events, lambda a: a.supplier_id),
)


def translate(aggregate: Any, event: Any) -> Iterator[tuple[Topic, Envelope]]:
    """Each domain event as the contract event(s) on the aggregate's topic, keyed as declared."""
    for kind, topic, build, key in _ROUTES:
        if isinstance(aggregate, kind):
            published = list(build(aggregate, event))
            if not published:
                raise TypeError(f"no contract for {type(event).__name__}")
            for message in published:
                yield topic, Envelope.wrap(message, subject=str(key(aggregate)))
            return
    raise TypeError(f"no contract for {type(aggregate).__name__}")
