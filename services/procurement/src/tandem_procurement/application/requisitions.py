"""Requisition use cases: raise, submit, approve, reject, cancel, re-source; approval rules."""

from __future__ import annotations

from tandem_kit.errors import PreconditionFailed
from tandem_procurement.application.commands import (
    PublishApprovalPolicy,
    RaiseRequisition,
    RequisitionAction,
)
from tandem_procurement.application.sourcing import choices_for
from tandem_procurement.application.unit_of_work import ProcurementUnitOfWork
from tandem_procurement.domain.approval import ApprovalPolicy, ApprovalTier
from tandem_procurement.domain.errors import Missing
from tandem_procurement.domain.requisition import Requisition


def check_version(entity: str, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"{entity} is at version {current}, not {expected}", field="If-Match"
        )


async def raise_requisition(cmd: RaiseRequisition, uow: ProcurementUnitOfWork) -> Requisition:
    """A requisition by hand (draft, or submitted at once when asked)."""
    req = Requisition.raise_new(
        requester=cmd.actor.subject,
        lines=cmd.lines,
        category=cmd.category,
        needed_by=cmd.needed_by,
    )
    uow.requisitions.add(req)
    if cmd.submit:
        req.submit(await uow.policies.current(), await choices_for(req, uow))
    return req


async def _load(uow: ProcurementUnitOfWork, cmd: RequisitionAction) -> Requisition:
    req = await uow.requisitions.get(cmd.requisition_id, for_update=True)
    if req is None:
        raise Missing("requisition", cmd.requisition_id, field="requisition_id")
    check_version("requisition", req.version, cmd.expected_version)
    return req


async def _policy_of(req: Requisition, uow: ProcurementUnitOfWork) -> ApprovalPolicy:
    policy = await uow.policies.get(req.rule_version or 1)
    if policy is None:  # pragma: no cover - versions are never deleted
        raise Missing("approval rule version", req.rule_version)
    return policy


async def act_on_requisition(cmd: RequisitionAction, uow: ProcurementUnitOfWork) -> Requisition:
    """Submit, approve, reject, cancel or re-source one requisition."""
    req = await _load(uow, cmd)
    roles = cmd.actor.roles
    if cmd.action == "submit":
        req.submit(await uow.policies.current(), await choices_for(req, uow))
    elif cmd.action == "approve":
        req.approve(cmd.actor.subject, roles, await _policy_of(req, uow), cmd.comment)
    elif cmd.action == "reject":
        req.reject(cmd.actor.subject, roles, await _policy_of(req, uow), cmd.comment)
    elif cmd.action == "cancel":
        req.cancel(cmd.comment or f"cancelled by {cmd.actor.subject}")
    elif cmd.action == "resource":
        req.resource(await uow.policies.current(), await choices_for(req, uow))
    else:  # pragma: no cover - routes only send the actions above
        raise ValueError(cmd.action)
    return req


async def publish_approval_policy(
    cmd: PublishApprovalPolicy, uow: ProcurementUnitOfWork
) -> ApprovalPolicy:
    """A new version of the approval rules; requisitions already submitted keep theirs."""
    current = await uow.policies.current()
    policy = ApprovalPolicy(
        version=current.version + 1,
        currency=cmd.currency,
        tiers=tuple(
            ApprovalTier(levels=levels, below=below, category=category)
            for category, below, levels in cmd.tiers
        ),
        level_roles=tuple(frozenset(r) for r in cmd.level_roles),
        created_by=cmd.actor.subject,
        created_at=uow.now(),
    )
    await uow.policies.add(policy)
    return policy
