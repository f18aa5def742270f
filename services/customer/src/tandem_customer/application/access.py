"""Record-level access: a sales rep sees and changes only the customers and leads they own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tandem_customer.domain.errors import Forbidden, RecordNotFound

OVERSEERS = frozenset({"sales_manager", "admin"})


@dataclass(frozen=True)
class Actor:
    """Who runs a command: token subject, and whether they are limited to what they own."""

    subject: str
    own_records_only: bool = False

    @classmethod
    def of(cls, subject: str, roles: Iterable[str]) -> Actor:
        roles = frozenset(roles)
        return cls(subject, "sales_rep" in roles and not roles & OVERSEERS)

    @property
    def owner_filter(self) -> str | None:
        """The owner a list must be limited to (None: everyone's)."""
        return self.subject if self.own_records_only else None

    def check(self, kind: str, record_id: object, owner: str | None) -> None:
        """Refuse (as not found, so nothing leaks) a record the actor may not see."""
        if self.own_records_only and owner != self.subject:
            raise RecordNotFound(kind, record_id)

    def check_assignment(self, owner: str | None) -> None:
        if self.own_records_only and owner not in (None, self.subject):
            raise Forbidden("a sales rep can only own records themselves", field="owner")


SYSTEM = Actor("system")
