"""Helpers for tests that drive the demand join: a reproducible order history and its truth."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from tandem_contracts import Envelope, Money, sales

PRICE = Money(amount=Decimal("10"), currency="EUR")


def order_history(orders: int = 20, seed: int = 11) -> list[sales.OrderSnapshot]:
    """Confirmations, changes (quantities, removed lines), cancellations and fulfilments.

    Versions of one order are in order; some events are sent twice (redelivery by the producer).
    """
    rng = random.Random(seed)
    skus = [f"SKU-{c}" for c in "ABCDE"]
    out: list[sales.OrderSnapshot] = []
    for _ in range(orders):
        order_id, customer = uuid.UUID(int=rng.getrandbits(128)), uuid.UUID(int=1)
        lines = [
            sales.OrderLine(
                line_id=uuid.UUID(int=rng.getrandbits(128)),
                sku=rng.choice(skus),
                quantity=Decimal(rng.randint(1, 20)),
                unit_price=PRICE,
                requested_date=date(2027, 6, 1) + timedelta(days=rng.randint(0, 30)),
            )
            for _ in range(rng.randint(1, 3))
        ]
        events: list[sales.OrderSnapshot] = [
            sales.OrderConfirmed(
                order_id=order_id,
                customer_id=customer,
                version=2,
                status="confirmed",
                lines=lines,
                total=PRICE,
            )
        ]
        roll = rng.random()
        if roll < 0.3:
            changed = [
                line.model_copy(update={"quantity": line.quantity + rng.randint(-1, 5)})
                for line in lines[: max(1, len(lines) - 1)]  # the last line may be removed
            ]
            events.append(
                sales.OrderChanged(
                    order_id=order_id,
                    customer_id=customer,
                    version=3,
                    status="confirmed",
                    lines=[ln for ln in changed if ln.quantity > 0] or changed[:1],
                    total=PRICE,
                )
            )
        elif roll < 0.5:
            events.append(
                sales.OrderCancelled(
                    order_id=order_id,
                    customer_id=customer,
                    version=3,
                    status="cancelled",
                    lines=lines,
                    total=PRICE,
                    reason="customer withdrew",
                )
            )
        elif roll < 0.6:
            events.append(
                sales.OrderFulfilled(
                    order_id=order_id,
                    customer_id=customer,
                    version=3,
                    status="fulfilled",
                    lines=lines,
                    total=PRICE,
                )
            )
        for ev in events:
            out.append(ev)
            if rng.random() < 0.2:
                out.append(ev)  # redelivered
    return out


def expected_open(history: Iterable[sales.OrderSnapshot]) -> dict[str, Decimal]:
    """Open ordered quantity per SKU from the latest version of every order."""
    latest: dict[uuid.UUID, sales.OrderSnapshot] = {}
    for ev in history:
        if ev.order_id not in latest or ev.version >= latest[ev.order_id].version:
            latest[ev.order_id] = ev
    totals: dict[str, Decimal] = {}
    for ev in latest.values():
        for line in ev.lines:
            qty = line.quantity if ev.status == "confirmed" else Decimal(0)
            totals[line.sku] = totals.get(line.sku, Decimal(0)) + qty
    return totals


def record(event: sales.OrderSnapshot) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of the sales.orders.v1 record carrying ``event``."""
    envelope = Envelope.wrap(event, subject=str(event.order_id))
    return str(event.order_id).encode(), envelope.value(), envelope.headers()
