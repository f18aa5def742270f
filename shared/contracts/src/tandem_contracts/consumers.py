"""Who reads what: every consumer group, its service and topics.

Deployment derives least-privilege ACLs and the dead-letter topics (``<group>.dlq``) from this
list, so a service adds its group here when it starts consuming a topic. Group ids start with
the owning service's name; Faust application ids start with ``<service>-``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tandem_contracts import customer, procurement, sales, supplier
from tandem_contracts.topics import Topic


@dataclass(frozen=True)
class ConsumerGroup:
    group_id: str
    service: str
    topics: tuple[Topic, ...]
    description: str = ""

    def __post_init__(self) -> None:
        # "<service>." for plain consumers, "<service>-" for Faust applications (the app id is
        # the consumer group id; Faust names its internal topics "<app id>-...").
        if not self.group_id.startswith((f"{self.service}.", f"{self.service}-")):
            raise ValueError(
                f"group {self.group_id} must start with '{self.service}.' "
                f"(or '{self.service}-' for a Faust app)"
            )

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.group_id}.dlq"


GROUPS: tuple[ConsumerGroup, ...] = (
    ConsumerGroup(
        "sales.customer-read-model",
        "sales",
        (customer.CUSTOMERS,),
        "customer status and credit limit for order confirmation",
    ),
    ConsumerGroup(
        "sales.lead-conversions",
        "sales",
        (customer.LEADS,),
        "opens one opportunity per converted lead",
    ),
    ConsumerGroup(
        "supplier-performance",
        "supplier",
        (procurement.PURCHASE_ORDERS, procurement.CONTRACTS),
        "Faust app: joins purchase orders, receipts and contract prices per supplier into "
        "scorecards (internal topics supplier-performance-*)",
    ),
    ConsumerGroup(
        "customer.customer-value",
        "customer",
        (sales.ORDERS,),
        "lifetime revenue, order count, last order and tier per customer",
    ),
    ConsumerGroup(
        "procurement.demand",
        "procurement",
        (procurement.ORDER_DEMAND,),
        "order-line demand from the demand join -> requisitions",
    ),
    ConsumerGroup(
        "procurement.net-demand",
        "procurement",
        (procurement.DEMAND,),
        "net demand view per SKU (apart from the requisitions' way, in larger fetches)",
    ),
    ConsumerGroup(
        "procurement.supplier-read-model",
        "procurement",
        (supplier.SUPPLIERS, supplier.OFFERS, supplier.SCORECARDS),
        "supplier status, offers and standing for sourcing; re-sourcing on suspension",
    ),
    ConsumerGroup(
        "procurement-demand-join",
        "procurement",
        (sales.ORDERS, procurement.REQUISITIONS),
        "Faust app: order lines and requisition coverage re-keyed by SKU into net demand "
        "(internal topics procurement-demand-*)",
    ),
)


@dataclass(frozen=True)
class TopicReader:
    """A reader without a consumer group: every instance reads every record from where the
    topics end when it starts, and keeps no offsets (deployment grants it Read only)."""

    name: str
    service: str  # the deployable that reads
    topics: tuple[Topic, ...]
    description: str = ""


READERS: tuple[TopicReader, ...] = (
    TopicReader(
        "gateway.view-cache",
        "gateway",
        (
            customer.CUSTOMERS,
            customer.CONTACTS,
            customer.ACTIVITIES,
            customer.TICKETS,
            customer.VALUES,
            sales.ORDERS,
            sales.OPPORTUNITIES,
        ),
        "every event that changes a part of a customer 360 drops the 360s the gateway kept "
        "for the customers it names",
    ),
)


def reader(name: str) -> TopicReader:
    for r in READERS:
        if r.name == name:
            return r
    raise KeyError(f"topic reader {name} is not declared in tandem_contracts.consumers")


def group(group_id: str) -> ConsumerGroup:
    for g in GROUPS:
        if g.group_id == group_id:
            return g
    raise KeyError(f"consumer group {group_id} is not declared in tandem_contracts.consumers")


__all__ = [
    "GROUPS",
    "READERS",
    "ConsumerGroup",
    "TopicReader",
    "group",
    "procurement",
    "reader",
    "sales",
    "supplier",
]
