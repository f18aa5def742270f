"""Loading an order to change it: the order and its lines, in order, in one statement."""

import uuid
from decimal import Decimal

from sqlalchemy import event

from tandem_sales.application import catalog, orders
from tandem_sales.application.commands import CreateProduct, DraftOrder, LineInput
from tandem_sales.domain.access import SYSTEM


async def test_an_order_loaded_for_update_comes_with_its_lines_in_one_statement(uow_factory):
    skus = ["SKU-C", "SKU-A", "SKU-B"]
    async with uow_factory() as uow:
        for sku in skus:
            await catalog.create_product(
                CreateProduct(sku=sku, name=sku, unit="pcs", list_price=Decimal(1), currency="EUR"),
                uow,
            )
        order = await orders.draft_order(
            DraftOrder(
                SYSTEM,
                uuid.uuid4(),
                tuple(LineInput(sku, Decimal(i + 1)) for i, sku in enumerate(skus)),
            ),
            uow,
        )
        await uow.commit()

    statements: list[str] = []
    async with uow_factory() as uow:
        engine = uow.session.bind.sync_engine

        def record(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            loaded = await uow.orders.get(order.id, for_update=True)
            missing = await uow.orders.get(uuid.uuid4(), for_update=True)
        finally:
            event.remove(engine, "before_cursor_execute", record)

    assert missing is None
    assert loaded is not None
    assert [(line.sku, line.quantity, line.position) for line in loaded.lines] == [
        ("SKU-C", Decimal(1), 0),
        ("SKU-A", Decimal(2), 1),
        ("SKU-B", Decimal(3), 2),
    ]
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2  # one per get, lines included
    if uow.session.bind.dialect.name == "postgresql":
        assert all("FOR UPDATE OF orders" in s for s in selects)
