"""The topic registry: a topic is never named without its key type and its event types."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from tandem_contracts.events import Event

K = TypeVar("K", uuid.UUID, str)
E = TypeVar("E", bound=Event)

_TOPIC_NAME = re.compile(r"^[a-z]+\.[a-z][a-z0-9-]*\.v[0-9]+$")


@dataclass(frozen=True)
class Topic(Generic[K, E]):
    """A Kafka topic with the type of its key and the closed set of event types on it."""

    name: str
    key: type[K]
    events: tuple[type[E], ...]
    partitions: int = 6
    retention_ms: int = 7 * 24 * 3600 * 1000
    description: str = ""
    compacted: bool = False
    _by_type: dict[str, type[E]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _TOPIC_NAME.match(self.name):
            raise ValueError(f"topic name {self.name!r} is not <service>.<aggregate>.v<N>")
        if not self.events:
            raise ValueError(f"topic {self.name} has no event types")
        by_type: dict[str, type[E]] = {}
        for event in self.events:
            if event.event_type in by_type:
                raise ValueError(f"{event.event_type} twice on {self.name}")
            by_type[event.event_type] = event
        object.__setattr__(self, "_by_type", by_type)

    @property
    def service(self) -> str:
        return self.name.split(".", 1)[0]

    def event_class(self, event_type: str) -> type[E] | None:
        return self._by_type.get(event_type)

    def carries(self, event: Event) -> bool:
        return type(event).event_type in self._by_type and isinstance(
            event, self._by_type[type(event).event_type]
        )

    def encode_key(self, key: K) -> bytes:
        if not isinstance(key, self.key):
            raise TypeError(
                f"{self.name} is keyed by {self.key.__name__}, got {type(key).__name__}"
            )
        return str(key).encode()


class TopicRegistry:
    """Every topic Tandem publishes; deployment (Strimzi) and docs are generated from it."""

    def __init__(self, topics: Iterable[Topic] = ()) -> None:
        self._topics: dict[str, Topic] = {}
        for topic in topics:
            self.add(topic)

    def add(self, topic: Topic) -> Topic:
        if topic.name in self._topics:
            raise ValueError(f"topic {topic.name} registered twice")
        self._topics[topic.name] = topic
        return topic

    def __iter__(self) -> Iterator[Topic]:
        return iter(sorted(self._topics.values(), key=lambda t: t.name))

    def __getitem__(self, name: str) -> Topic:
        return self._topics[name]

    def __contains__(self, name: object) -> bool:
        return name in self._topics

    def topic_for(self, event_type: str) -> Topic | None:
        for topic in self._topics.values():
            if topic.event_class(event_type) is not None:
                return topic
        return None

    def event_classes(self) -> list[type[Event]]:
        return [e for topic in self for e in topic.events]


def _build_registry() -> TopicRegistry:
    from tandem_contracts import customer, procurement, sales, supplier

    return TopicRegistry(
        t for module in (customer, sales, supplier, procurement) for t in module.TOPICS
    )


REGISTRY: TopicRegistry = _build_registry()
