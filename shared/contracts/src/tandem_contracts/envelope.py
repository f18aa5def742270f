"""CloudEvents 1.0 in Kafka binary content mode: attributes in headers, event JSON as value."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from pydantic import ValidationError

from tandem_contracts.events import Event

E = TypeVar("E", bound=Event)

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
CORRELATION_HEADER = "correlation_id"
CAUSATION_HEADER = "causation_id"
REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type")


class ContractViolation(ValueError):
    """A record that does not honour its topic's contract; it can never be processed."""


@dataclass(frozen=True)
class Envelope(Generic[E]):
    """One decoded (or to-be-encoded) event with its CloudEvents attributes."""

    id: uuid.UUID
    source: str
    type: str
    time: datetime
    subject: str
    data: E
    correlation_id: str | None = None
    causation_id: str | None = None

    @classmethod
    def wrap(
        cls,
        event: E,
        *,
        subject: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        id: uuid.UUID | None = None,
        time: datetime | None = None,
    ) -> Envelope[E]:
        return cls(
            id=id or uuid.uuid4(),
            source=f"/tandem/{event.service()}",
            type=event.event_type,
            time=time or datetime.now(UTC),
            subject=subject,
            data=event,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )

    def headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("ce_specversion", SPEC_VERSION),
            ("ce_id", str(self.id)),
            ("ce_source", self.source),
            ("ce_type", self.type),
            ("ce_time", self.time.isoformat()),
            ("ce_subject", self.subject),
            ("content-type", CONTENT_TYPE),
        ]
        if self.correlation_id:
            headers.append((CORRELATION_HEADER, self.correlation_id))
        if self.causation_id:
            headers.append((CAUSATION_HEADER, self.causation_id))
        return [(k, v.encode()) for k, v in headers]

    def value(self) -> bytes:
        return self.data.model_dump_json().encode()


def encode(envelope: Envelope[Event]) -> tuple[list[tuple[str, bytes]], bytes]:
    """Headers and value of the Kafka record carrying ``envelope``."""
    return envelope.headers(), envelope.value()


def header_map(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, raw in headers or ():
        try:
            out[key] = raw.decode() if raw is not None else ""
        except UnicodeDecodeError as exc:
            raise ContractViolation(f"header {key} is not UTF-8") from exc
    return out


def decode(
    event_class: type[E] | None,
    headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...],
    value: bytes | None,
) -> Envelope[E]:
    """Parse a record; raises ContractViolation naming what is wrong."""
    attrs = header_map(headers)
    missing = [h for h in REQUIRED_HEADERS if not attrs.get(h)]
    if missing:
        raise ContractViolation(f"missing CloudEvents headers: {', '.join(missing)}")
    if attrs["ce_specversion"] != SPEC_VERSION:
        raise ContractViolation(f"ce_specversion {attrs['ce_specversion']!r} is not {SPEC_VERSION}")
    if attrs["content-type"].split(";")[0].strip() != CONTENT_TYPE:
        raise ContractViolation(f"content-type {attrs['content-type']!r} is not {CONTENT_TYPE}")
    if event_class is None or event_class.event_type != attrs["ce_type"]:
        raise ContractViolation(f"ce_type {attrs['ce_type']!r} is not known on this topic")
    try:
        event_id = uuid.UUID(attrs["ce_id"])
    except ValueError as exc:
        raise ContractViolation(f"ce_id {attrs['ce_id']!r} is not a UUID") from exc
    try:
        time = datetime.fromisoformat(attrs["ce_time"])
    except ValueError as exc:
        raise ContractViolation(f"ce_time {attrs['ce_time']!r} is not RFC 3339") from exc
    if value is None:
        raise ContractViolation("record has no value")
    try:
        data = event_class.model_validate_json(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ContractViolation(
            f"{attrs['ce_type']} payload breaks its contract: {problems}"
        ) from exc
    return Envelope(
        id=event_id,
        source=attrs["ce_source"],
        type=attrs["ce_type"],
        time=time,
        subject=attrs.get("ce_subject", ""),
        data=data,
        correlation_id=attrs.get(CORRELATION_HEADER) or None,
        causation_id=attrs.get(CAUSATION_HEADER) or None,
    )
