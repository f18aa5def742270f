"""Contract use cases: draft, activate, terminate, and the expiry check the worker runs."""

from __future__ import annotations

from tandem_procurement.application.commands import ContractAction, DraftContract
from tandem_procurement.application.requisitions import check_version
from tandem_procurement.application.unit_of_work import ProcurementUnitOfWork
from tandem_procurement.domain.contract import Contract
from tandem_procurement.domain.errors import Missing


async def draft_contract(cmd: DraftContract, uow: ProcurementUnitOfWork) -> Contract:
    contract = Contract.draft(
        supplier_id=cmd.supplier_id,
        currency=cmd.currency,
        lines=cmd.lines,
        valid_from=cmd.valid_from,
        valid_until=cmd.valid_until,
        created_by=cmd.actor.subject,
        title=cmd.title,
        volume_commitment=cmd.volume_commitment,
        notice_days=cmd.notice_days,
    )
    uow.contracts.add(contract)
    return contract


async def act_on_contract(cmd: ContractAction, uow: ProcurementUnitOfWork) -> Contract:
    contract = await uow.contracts.get(cmd.contract_id, for_update=True)
    if contract is None:
        raise Missing("contract", cmd.contract_id, field="contract_id")
    check_version("contract", contract.version, cmd.expected_version)
    if cmd.action == "activate":
        contract.activate(uow.today())
    elif cmd.action == "terminate":
        contract.terminate()
    else:  # pragma: no cover
        raise ValueError(cmd.action)
    return contract


async def check_contract_expiry(uow: ProcurementUnitOfWork) -> list[Contract]:
    """Move due contracts to expiring / expired (each move is published once)."""
    today = uow.today()
    return [c for c in await uow.contracts.due_for_expiry_check() if c.check_expiry(today)]
