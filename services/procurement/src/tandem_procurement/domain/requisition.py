"""The requisition aggregate: draft -> submitted -> approved | rejected -> ordered."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from tandem_procurement.domain import events
from tandem_procurement.domain.approval import ApprovalPolicy
from tandem_procurement.domain.base import Aggregate, utcnow
from tandem_procurement.domain.errors import (
    AlreadyDecided,
    IllegalTransition,
    InvalidRequest,
    NotAnApprover,
    SegregationOfDuties,
)
from tandem_procurement.domain.sourcing import Source, Unsourced

AUTO_APPROVER = "system:auto-approval"


class RequisitionStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    ORDERED = "ordered"
    CANCELLED = "cancelled"
    UNSOURCED = "unsourced"


S = RequisitionStatus
# Not yet ordered: may still be re-sourced, reduced or cancelled.
OPEN = frozenset({S.DRAFT, S.SUBMITTED, S.APPROVED, S.UNSOURCED})
# Counts as covering demand (an ordered requisition is covered by its purchase order).
COVERING = OPEN | {S.ORDERED}

ACTIONS: dict[str, frozenset[RequisitionStatus]] = {
    "submit": frozenset({S.DRAFT}),
    "approve": frozenset({S.SUBMITTED}),
    "reject": frozenset({S.SUBMITTED}),
    "order": frozenset({S.APPROVED}),
    "cancel": OPEN,
    "resource": OPEN,
}


def allowed_actions(status: RequisitionStatus) -> list[str]:
    return sorted(a for a, sources in ACTIONS.items() if status in sources)


@dataclass(eq=False)
class RequisitionLine:
    id: uuid.UUID
    sku: str
    quantity: Decimal
    position: int = 0
    suggested_supplier_id: uuid.UUID | None = None
    unit_price: Decimal | None = None
    currency: str | None = None
    lead_time_days: int | None = None
    contract_id: uuid.UUID | None = None
    offer_id: uuid.UUID | None = None
    sourcing_note: str | None = None

    def apply(self, choice: Source | Unsourced) -> bool:
        """Take a sourcing choice; True when the supplier or price changed."""
        before = (self.suggested_supplier_id, self.unit_price, self.currency, self.lead_time_days)
        if isinstance(choice, Source):
            self.suggested_supplier_id = choice.supplier_id
            self.unit_price = choice.unit_price
            self.currency = choice.currency
            self.lead_time_days = choice.lead_time_days
            self.contract_id = choice.contract_id
            self.offer_id = choice.offer_id
            self.sourcing_note = choice.note
        else:
            self.suggested_supplier_id = self.unit_price = self.currency = None
            self.lead_time_days = None
            self.contract_id = self.offer_id = None
            self.sourcing_note = choice.reason
        after = (self.suggested_supplier_id, self.unit_price, self.currency, self.lead_time_days)
        return before != after


@dataclass(eq=False)
class ApprovalDecision:
    id: uuid.UUID
    round: int
    level: int
    decision: str  # approved | rejected
    decided_by: str
    decided_at: datetime
    rule_version: int
    comment: str | None = None


@dataclass(eq=False)
class Requisition(Aggregate):
    id: uuid.UUID
    requester: str
    category: str
    origin: str  # demand | manual
    lines: list[RequisitionLine]
    status: RequisitionStatus = S.DRAFT
    needed_by: date | None = None
    order_id: uuid.UUID | None = None
    order_line_id: uuid.UUID | None = None
    unsourced_reason: str | None = None
    required_levels: int = 0
    rule_version: int | None = None
    approval_round: int = 0
    cancel_reason: str | None = None
    decisions: list[ApprovalDecision] = field(default_factory=list)
    version: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @classmethod
    def raise_new(
        cls,
        *,
        requester: str,
        lines: Sequence[tuple[str, Decimal]],
        category: str = "general",
        needed_by: date | None = None,
        origin: str = "manual",
        order_id: uuid.UUID | None = None,
        order_line_id: uuid.UUID | None = None,
        requisition_id: uuid.UUID | None = None,
    ) -> Requisition:
        """A draft requisition; publishes its state."""
        if not lines:
            raise InvalidRequest("a requisition needs at least one line", field="lines")
        for i, (sku, quantity) in enumerate(lines):
            if not sku.strip():
                raise InvalidRequest("sku must not be blank", field=f"lines.{i}.sku")
            if quantity <= 0:
                raise InvalidRequest("quantity must be positive", field=f"lines.{i}.quantity")
        req = cls(
            id=requisition_id or uuid.uuid4(),
            requester=requester,
            category=category,
            origin=origin,
            needed_by=needed_by,
            order_id=order_id,
            order_line_id=order_line_id,
            lines=[
                RequisitionLine(id=uuid.uuid4(), sku=sku.strip(), quantity=q, position=i)
                for i, (sku, q) in enumerate(lines)
            ],
        )
        req._record(events.RequisitionChanged(), bump=False)
        return req

    # -- derived -------------------------------------------------------------------------
    @property
    def quantity(self) -> Decimal:
        return sum((line.quantity for line in self.lines), Decimal(0))

    @property
    def total(self) -> tuple[Decimal, str] | None:
        """Sum of the priced lines, or None while a line is unpriced or currencies differ."""
        currencies = {line.currency for line in self.lines}
        if any(line.unit_price is None for line in self.lines) or len(currencies) != 1:
            return None
        amount = sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))
        return amount, next(iter(currencies))  # type: ignore[return-value]

    @property
    def approvals_this_round(self) -> list[ApprovalDecision]:
        return [
            d for d in self.decisions if d.round == self.approval_round and d.decision == "approved"
        ]

    def _require(self, action: str) -> None:
        if self.status not in ACTIONS[action]:
            raise IllegalTransition(
                "requisition", self.status, action, allowed_actions(self.status)
            )

    # -- lifecycle -----------------------------------------------------------------------
    def submit(self, policy: ApprovalPolicy, choices: Sequence[Source | Unsourced]) -> None:
        """Source every line, then ask for approval (automatic when the rules need none)."""
        self._require("submit")
        self._source(choices)
        self._enter_approval(policy)

    def resource(self, policy: ApprovalPolicy, choices: Sequence[Source | Unsourced]) -> bool:
        """Source again (e.g. the supplier was suspended); a changed source needs new approval."""
        self._require("resource")
        changed = self._source(choices)
        if not changed and self.status != S.UNSOURCED:
            return False
        if self.status == S.DRAFT:
            self._record(events.RequisitionChanged())
        else:
            self._enter_approval(policy)
        return True

    def _source(self, choices: Sequence[Source | Unsourced]) -> bool:
        if len(choices) != len(self.lines):
            raise ValueError("one sourcing choice per line")
        changed = False
        for line, choice in zip(self.lines, choices, strict=True):
            changed |= line.apply(choice)
        return changed

    def _enter_approval(self, policy: ApprovalPolicy) -> None:
        missing = [line for line in self.lines if line.suggested_supplier_id is None]
        if missing:
            self.status = S.UNSOURCED
            self.unsourced_reason = "; ".join(
                f"{line.sku}: {line.sourcing_note}" for line in missing
            )
            self._record(events.RequisitionChanged())
            return
        self.unsourced_reason = None
        total = self.total
        self.required_levels = policy.levels_for(
            total[0] if total else None, total[1] if total else None, self.category
        )
        self.rule_version = policy.version
        self.approval_round += 1
        self.status = S.SUBMITTED
        if self.required_levels == 0:
            self.decisions.append(
                ApprovalDecision(
                    id=uuid.uuid4(),
                    round=self.approval_round,
                    level=0,
                    decision="approved",
                    decided_by=AUTO_APPROVER,
                    decided_at=utcnow(),
                    rule_version=policy.version,
                    comment="below the automatic approval threshold",
                )
            )
            self.status = S.APPROVED
        self._record(events.RequisitionChanged())

    def _decide(self, subject: str, roles: frozenset[str], policy: ApprovalPolicy, action: str):
        self._require(action)
        if subject == self.requester:
            raise SegregationOfDuties(subject)
        if policy.version != self.rule_version:
            raise ValueError("decide with the rule version the requisition was submitted under")
        if any(d.decided_by == subject for d in self.approvals_this_round):
            raise AlreadyDecided(
                f"{subject} already approved this requisition; the next level needs someone else",
                field="approver",
            )
        level = len(self.approvals_this_round) + 1
        if not policy.may_decide(level, roles):
            needed = (
                sorted(policy.level_roles[level - 1]) if level <= len(policy.level_roles) else []
            )
            raise NotAnApprover(
                f"approval level {level} needs one of the roles: {', '.join([*needed, 'admin'])}",
                field="approver",
            )
        return level

    def approve(
        self,
        subject: str,
        roles: frozenset[str],
        policy: ApprovalPolicy,
        comment: str | None = None,
    ) -> None:
        level = self._decide(subject, roles, policy, "approve")
        self.decisions.append(
            ApprovalDecision(
                id=uuid.uuid4(),
                round=self.approval_round,
                level=level,
                decision="approved",
                decided_by=subject,
                decided_at=utcnow(),
                rule_version=policy.version,
                comment=comment,
            )
        )
        if len(self.approvals_this_round) >= self.required_levels:
            self.status = S.APPROVED
        self._record(events.RequisitionChanged())

    def reject(
        self,
        subject: str,
        roles: frozenset[str],
        policy: ApprovalPolicy,
        comment: str | None = None,
    ) -> None:
        level = self._decide(subject, roles, policy, "reject")
        self.decisions.append(
            ApprovalDecision(
                id=uuid.uuid4(),
                round=self.approval_round,
                level=level,
                decision="rejected",
                decided_by=subject,
                decided_at=utcnow(),
                rule_version=policy.version,
                comment=comment,
            )
        )
        self.status = S.REJECTED
        self._record(events.RequisitionChanged())

    def mark_ordered(self) -> None:
        self._require("order")
        self.status = S.ORDERED
        self._record(events.RequisitionChanged())

    def cancel(self, reason: str | None = None) -> None:
        self._require("cancel")
        self.status = S.CANCELLED
        self.cancel_reason = reason
        self._record(events.RequisitionChanged())

    def release(self, reason: str) -> None:
        """Its purchase order was cancelled before receipt: the demand is uncovered again."""
        if self.status != S.ORDERED:
            raise IllegalTransition("requisition", self.status, "release", ["order"])
        self.status = S.CANCELLED
        self.cancel_reason = reason
        self._record(events.RequisitionChanged())

    def reduce_by(self, quantity: Decimal, reason: str) -> Decimal:
        """Take up to ``quantity`` off a not-yet-ordered requisition; returns what was taken."""
        if self.status not in OPEN or quantity <= 0:
            return Decimal(0)
        taken = Decimal(0)
        for line in sorted(self.lines, key=lambda ln: -ln.position):
            take = min(line.quantity, quantity - taken)
            line.quantity -= take
            taken += take
            if taken == quantity:
                break
        if all(line.quantity == 0 for line in self.lines):
            for line in self.lines:
                line.quantity = Decimal(0)
            self.status = S.CANCELLED
            self.cancel_reason = reason
        self._record(events.RequisitionChanged())
        return taken
