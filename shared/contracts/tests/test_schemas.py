"""Exported schemas are up to date, and published versions only change compatibly."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from tandem_contracts.schema import all_schemas, asyncapi, incompatibilities

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
CURRENT = all_schemas()


def test_exported_schemas_match_the_models():
    exported = {p.stem: json.loads(p.read_text()) for p in (SCHEMAS / "current").glob("*.json")}
    assert exported == CURRENT, "run `make schemas` and commit shared/contracts/schemas"


@pytest.mark.parametrize(
    "path", sorted((SCHEMAS / "published").glob("*.json")), ids=lambda p: p.stem
)
def test_published_event_types_change_only_compatibly(path):
    event_type = path.stem
    assert event_type in CURRENT, f"{event_type} was published and may not disappear"
    problems = incompatibilities(json.loads(path.read_text()), CURRENT[event_type])
    assert not problems, f"{event_type}: breaking change needs a new version: {problems}"


def test_every_event_type_is_published():
    published = {p.stem for p in (SCHEMAS / "published").glob("*.json")}
    assert set(CURRENT) <= published, "run `make schemas` to publish new event types"


def test_every_schema_is_valid_json_schema():
    for schema in CURRENT.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_removing_a_field_or_changing_its_type_is_detected():
    old = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    }
    assert incompatibilities(old, {**old, "properties": {"a": {"type": "string"}}})
    assert incompatibilities(
        old, {**old, "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}}
    )
    assert incompatibilities(old, {**old, "required": ["a"]})
    added = {**old, "properties": {**old["properties"], "c": {"type": "string"}}}
    assert incompatibilities(old, added) == []


def test_the_asyncapi_document_describes_every_topic():
    document = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text())
    assert document == json.loads(json.dumps(asyncapi()))
    assert document["asyncapi"].startswith("3.")
    addresses = {c["address"] for c in document["channels"].values()}
    from tandem_contracts import REGISTRY

    assert addresses == {t.name for t in REGISTRY}
