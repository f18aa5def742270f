"""Qualification: which certifications each category requires, and whether a supplier has them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from tandem_supplier.domain.certification import Certification


def _kind(value: str) -> str:
    return value.strip().upper()


@dataclass(frozen=True)
class QualificationPolicy:
    """Required certification kinds per category ("*" applies to every category)."""

    required: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, required: Mapping[str, Iterable[str]]) -> QualificationPolicy:
        return cls(
            {k.strip().lower(): frozenset(_kind(v) for v in vs) for k, vs in required.items()}
        )

    def required_for(self, categories: Iterable[str]) -> frozenset[str]:
        kinds: set[str] = set(self.required.get("*", frozenset()))
        for category in categories:
            kinds |= self.required.get(category.strip().lower(), frozenset())
        return frozenset(kinds)

    def is_mandatory(self, kind: str, categories: Iterable[str]) -> bool:
        return _kind(kind) in self.required_for(categories)

    def missing(
        self, categories: Iterable[str], certifications: Iterable[Certification], today: date
    ) -> list[str]:
        """Required kinds without a certificate valid today (sorted, for a stable message)."""
        valid = {c.kind for c in certifications if c.is_valid_on(today)}
        return sorted(self.required_for(categories) - valid)
