"""Record-level access: a sales rep sees and changes only the records they own."""

from __future__ import annotations

from dataclasses import dataclass

# Roles that see every sales record; a sales_rep without one of them sees only their own.
SEES_ALL = frozenset({"admin", "sales_manager"})


@dataclass(frozen=True)
class Actor:
    """Who acts: the token subject, and whether they are limited to records they own."""

    subject: str
    own_records_only: bool = False

    @classmethod
    def of(cls, subject: str, roles: frozenset[str]) -> Actor:
        return cls(subject, own_records_only="sales_rep" in roles and not roles & SEES_ALL)

    def may_see(self, owner: str | None) -> bool:
        return not self.own_records_only or owner == self.subject

    @property
    def owner_filter(self) -> str | None:
        """The owner a listing must be restricted to, if any."""
        return self.subject if self.own_records_only else None


SYSTEM = Actor("system")
