"""The product catalog: what sales sells, at which list price."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tandem_sales.domain.base import Aggregate, money, now
from tandem_sales.domain.errors import InvalidInput


@dataclass(frozen=True)
class ProductChanged:
    product_id: uuid.UUID


@dataclass(eq=False)
class Product(Aggregate):
    id: uuid.UUID
    sku: str
    name: str
    unit: str
    list_price: Decimal
    currency: str
    active: bool = True
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @classmethod
    def create(
        cls,
        *,
        sku: str,
        name: str,
        unit: str,
        list_price: Decimal,
        currency: str,
        active: bool = True,
    ) -> Product:
        """A new catalog entry; raises ProductChanged."""
        _check_price(list_price)
        product = cls(
            id=uuid.uuid4(),
            sku=sku.strip(),
            name=name.strip(),
            unit=unit.strip(),
            list_price=money(list_price),
            currency=currency,
            active=active,
        )
        product._events.append(ProductChanged(product.id))
        return product

    def change(
        self,
        *,
        name: str | None = None,
        unit: str | None = None,
        list_price: Decimal | None = None,
        currency: str | None = None,
        active: bool | None = None,
    ) -> bool:
        """Apply the given fields; records ProductChanged only if something changed."""
        if list_price is not None:
            _check_price(list_price)
            list_price = money(list_price)
        changes = {
            k: v
            for k, v in {
                "name": name,
                "unit": unit,
                "list_price": list_price,
                "currency": currency,
                "active": active,
            }.items()
            if v is not None and getattr(self, k) != v
        }
        if not changes:
            return False
        for key, value in changes.items():
            setattr(self, key, value)
        self._changed(ProductChanged(self.id))
        return True


def _check_price(price: Decimal) -> None:
    if price < 0:
        raise InvalidInput("list price must not be negative", field="list_price")
