"""Tandem's public event contracts: what crosses Kafka between services and to subscribers."""

from tandem_contracts.envelope import ContractViolation, Envelope, decode, encode
from tandem_contracts.events import Event, Money
from tandem_contracts.topics import REGISTRY, Topic, TopicRegistry

__all__ = [
    "REGISTRY",
    "ContractViolation",
    "Envelope",
    "Event",
    "Money",
    "Topic",
    "TopicRegistry",
    "decode",
    "encode",
]
