"""Why the supplier domain refuses a command."""

from __future__ import annotations

from tandem_kit.errors import Conflict, DomainError, IllegalTransition, NotFound


class SupplierNotFound(NotFound):
    def __init__(self, supplier_id: object) -> None:
        super().__init__(f"supplier {supplier_id} not found", field="supplier_id")


class CertificationNotFound(NotFound):
    def __init__(self, certification_id: object) -> None:
        super().__init__(f"certification {certification_id} not found", field="certification_id")


class OfferNotFound(NotFound):
    def __init__(self, offer_id: object) -> None:
        super().__init__(f"offer {offer_id} not found", field="offer_id")


class InvalidSupplier(DomainError):
    pass


class DuplicateSupplier(Conflict):
    """Another supplier already has this legal id or (normalised) name."""

    def __init__(self, field: str, existing_id: object) -> None:
        self.existing_id = existing_id
        super().__init__(f"supplier {existing_id} already has this {field}", field=field)


class QualificationIncomplete(Conflict):
    """Approval refused: mandatory certificates are missing or not valid today."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            "mandatory certifications missing or not valid: " + ", ".join(missing),
            field="certifications",
        )


class InvalidScoringPolicy(ValueError):
    """A scorecard configuration that cannot score (weights, bands, period)."""


__all__ = [
    "CertificationNotFound",
    "DuplicateSupplier",
    "IllegalTransition",
    "InvalidScoringPolicy",
    "InvalidSupplier",
    "OfferNotFound",
    "QualificationIncomplete",
    "SupplierNotFound",
]
