"""Sales order use cases: draft, change lines, confirm (credit rule), fulfil, close, cancel."""

from __future__ import annotations

import uuid

from tandem_sales.application.commands import ChangeOrderLines, DraftOrder, OrderAction
from tandem_sales.application.common import check_version, owner_for, priced_lines, visible
from tandem_sales.application.customers import credit_holder
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.customers import CustomerAccount, merged_open_total
from tandem_sales.domain.errors import InvalidInput
from tandem_sales.domain.orders import OrderLine, OrderStatus, SalesOrder


async def draft_order(cmd: DraftOrder, uow: SalesUnitOfWork) -> SalesOrder:
    """A draft order (no credit check yet: that happens on confirmation)."""
    owner = owner_for(cmd.actor, cmd.owner)
    currency, lines = await _lines(uow, cmd.lines, cmd.currency)
    order = SalesOrder.draft(
        customer_id=cmd.customer_id, currency=currency, lines=lines, owner=owner
    )
    uow.orders.add(order)
    return order


async def change_order_lines(cmd: ChangeOrderLines, uow: SalesUnitOfWork) -> SalesOrder:
    """Replace the lines of a draft or confirmed order (a confirmed one is re-checked)."""
    order = await _load(uow, cmd.actor, cmd.order_id, cmd.expected_version)
    currency, lines = await _lines(uow, cmd.lines, order.currency)
    if currency != order.currency:
        raise InvalidInput(f"the order is in {order.currency}", field="lines.0.unit_price.currency")
    if order.status == OrderStatus.CONFIRMED:
        account, merged = await credit_holder(uow, order.customer_id)
        holder = await _holder(uow, order) or account
        merged_open = merged_open_total(account, merged)
        if holder is not account and any(m is holder for m in merged):
            merged_open -= order.total  # moved off the holder by the change itself
        order.change_lines(lines, holder=holder, account=account, merged_open=merged_open)
    else:
        order.change_lines(lines)
    return order


async def order_action(cmd: OrderAction, uow: SalesUnitOfWork) -> SalesOrder:
    order = await _load(uow, cmd.actor, cmd.order_id, cmd.expected_version)
    if cmd.action == "confirm":
        order.require("confirm")  # before the customer lookup: a 409 names what is allowed
        account, merged = await credit_holder(uow, order.customer_id)
        order.confirm(account, merged_open=merged_open_total(account, merged))
    elif cmd.action == "fulfil":
        order.fulfil()
    elif cmd.action == "close":
        order.close(await _holder(uow, order) if order.is_open else None)
    elif cmd.action == "cancel":
        holder = await _holder(uow, order) if order.status == OrderStatus.CONFIRMED else None
        order.cancel(cmd.reason or "", holder)
    else:
        raise ValueError(cmd.action)
    return order


async def _load(uow: SalesUnitOfWork, actor, order_id: uuid.UUID, expected: int | None):
    order = visible(await uow.orders.get(order_id, for_update=True), actor, "order", order_id)
    check_version(order, expected)
    return order


async def _holder(uow: SalesUnitOfWork, order: SalesOrder) -> CustomerAccount | None:
    if order.credit_account_id is None:
        return None
    return await uow.customers.get(order.credit_account_id, for_update=True)


async def _lines(uow: SalesUnitOfWork, lines, currency: str | None):
    currency, priced = await priced_lines(uow, lines, currency)
    return currency, [
        OrderLine(uuid.uuid4(), line.sku, line.quantity, price, line.requested_date)
        for line, price in priced
    ]
