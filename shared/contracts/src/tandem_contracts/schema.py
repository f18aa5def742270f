"""JSON Schema and AsyncAPI export, and the backward-compatibility check for published events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tandem_contracts.events import Event
from tandem_contracts.topics import REGISTRY, TopicRegistry

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def event_schema(event: type[Event], topic_name: str) -> dict[str, Any]:
    """The JSON Schema of an event's Kafka value (what a subscriber validates against)."""
    schema = event.model_json_schema(mode="serialization")
    schema["$schema"] = SCHEMA_DIALECT
    schema["$id"] = f"urn:tandem:event:{event.event_type}"
    schema["title"] = event.event_type
    schema["x-topic"] = topic_name
    return schema


def all_schemas(registry: TopicRegistry = REGISTRY) -> dict[str, dict[str, Any]]:
    return {e.event_type: event_schema(e, t.name) for t in registry for e in t.events}


def asyncapi(registry: TopicRegistry = REGISTRY) -> dict[str, Any]:
    """An AsyncAPI 3.0 document describing every topic and message for subscribers."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for topic in registry:
        channel_id = topic.name.replace(".", "_")
        refs = {}
        for event in topic.events:
            msg_id = event.event_type.replace(".", "_").replace("-", "_")
            schemas[msg_id] = event_schema(event, topic.name)
            messages[msg_id] = {
                "name": event.event_type,
                "title": event.__name__,
                "summary": (event.__doc__ or event.__name__).strip().splitlines()[0],
                "contentType": "application/json",
                "bindings": {
                    "kafka": {
                        "key": {"type": "string", "format": "uuid" if topic.key is not str else ""}
                    }
                },
                "headers": {"$ref": "#/components/schemas/CloudEventsHeaders"},
                "payload": {"$ref": f"#/components/schemas/{msg_id}"},
            }
            refs[msg_id] = {"$ref": f"#/components/messages/{msg_id}"}
        channels[channel_id] = {
            "address": topic.name,
            "description": topic.description,
            "messages": refs,
            "bindings": {
                "kafka": {
                    "partitions": topic.partitions,
                    "topicConfiguration": {"retention.ms": topic.retention_ms},
                }
            },
        }
        operations[f"receive_{channel_id}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"Subscribe to {topic.name}",
        }
    schemas["CloudEventsHeaders"] = {
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"],
        "properties": {
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_id": {"type": "string", "format": "uuid"},
            "ce_source": {"type": "string", "description": "/tandem/<service>"},
            "ce_type": {
                "type": "string",
                "description": "tandem.<service>.<aggregate>.<event>.v<N>",
            },
            "ce_time": {"type": "string", "format": "date-time"},
            "ce_subject": {"type": "string", "description": "aggregate id"},
            "content-type": {"type": "string", "const": "application/json"},
            "correlation_id": {"type": "string"},
            "causation_id": {"type": "string"},
        },
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Tandem events",
            "version": "1.0.0",
            "description": "Every Kafka topic Tandem publishes (CloudEvents 1.0, binary mode).",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return root.get("$defs", {})[ref.removeprefix("#/$defs/")]
    return schema


def _types(schema: dict[str, Any], root: dict[str, Any]) -> set[str]:
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        return set().union(*(_types(s, root) for s in schema["anyOf"]))
    if "type" in schema:
        t = schema["type"]
        return set(t) if isinstance(t, list) else {t}
    if "properties" in schema:
        return {"object"}
    if "const" in schema or "enum" in schema:
        return {"enum"}
    return {"any"}


def incompatibilities(
    old: dict[str, Any],
    new: dict[str, Any],
    path: str = "",
    old_root: dict[str, Any] | None = None,
    new_root: dict[str, Any] | None = None,
) -> list[str]:
    """Why data written with ``new`` could break a reader built for ``old`` (empty: compatible)."""
    old_root = old_root or old
    new_root = new_root or new
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    problems: list[str] = []
    if _types(old, old_root) != _types(new, new_root) and "any" not in _types(old, old_root):
        problems.append(
            f"{path or '<root>'}: type {sorted(_types(old, old_root))} became "
            f"{sorted(_types(new, new_root))}"
        )
        return problems
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if old_enum is not None and set(new_enum or []) - set(old_enum):
        problems.append(
            f"{path}: new values {sorted(set(new_enum or []) - set(old_enum))} "
            "that old readers do not know"
        )
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
    for name, old_prop in old_props.items():
        where = f"{path}.{name}" if path else name
        if name not in new_props:
            problems.append(f"{where}: removed")
            continue
        if name in old_req and name not in new_req:
            problems.append(f"{where}: no longer required")
        problems += incompatibilities(old_prop, new_props[name], where, old_root, new_root)
    if "items" in old and "items" in new:
        problems += incompatibilities(old["items"], new["items"], f"{path}[]", old_root, new_root)
    return problems


def export(directory: Path, registry: TopicRegistry = REGISTRY) -> list[str]:
    """Write current schemas and the AsyncAPI document; freeze new types as published.

    ``current/`` always mirrors the models. ``published/`` keeps the first schema of each
    event type and is never rewritten: it is what external readers were promised.
    """
    written = []
    current, published = directory / "current", directory / "published"
    current.mkdir(parents=True, exist_ok=True)
    published.mkdir(parents=True, exist_ok=True)
    for event_type, schema in all_schemas(registry).items():
        text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
        (current / f"{event_type}.json").write_text(text)
        frozen = published / f"{event_type}.json"
        if not frozen.exists():
            frozen.write_text(text)
            written.append(event_type)
    (directory / "asyncapi.yaml").write_text(
        yaml.safe_dump(asyncapi(registry), sort_keys=False, width=100)
    )
    return written
