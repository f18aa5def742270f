"""Strimzi topics and users: exactly the registry plus each consumer group's dead-letter
topic, and least-privilege ACLs derived from the consumer groups."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml

from tandem_contracts import REGISTRY
from tandem_contracts.consumers import GROUPS, READERS
from tandem_dev.manifests.validate import kubernetes_errors, load_documents

ROOT = Path(__file__).resolve().parents[2]
KAFKA = ROOT / "deploy/kubernetes/kafka"
SCHEMAS = ROOT / "deploy/schemas"
VALUES = yaml.safe_load((ROOT / "deploy/values.yaml").read_text())


def expected_topics() -> dict[str, int]:
    """Name -> partitions, straight from the contracts (not from the generator)."""
    topics = {t.name: t.partitions for t in REGISTRY}
    dlq_partitions = VALUES["kafka"]["deadLetterPartitions"]
    topics.update({g.dead_letter_topic: dlq_partitions for g in GROUPS})
    return topics


def strimzi_topics() -> dict[str, dict]:
    docs = load_documents(KAFKA / "topics.yaml")
    assert all(d["kind"] == "KafkaTopic" for d in docs)
    return {d["spec"]["topicName"]: d for d in docs}


def test_topics_are_exactly_the_registry_and_dead_letter_topics_with_their_partitions() -> None:
    actual = {name: doc["spec"]["partitions"] for name, doc in strimzi_topics().items()}
    assert actual == expected_topics()
    assert len(load_documents(KAFKA / "topics.yaml")) == len(actual)  # no duplicates


def test_topic_resources_carry_registry_retention_and_cluster_replication() -> None:
    topics = strimzi_topics()
    for topic in REGISTRY:
        doc = topics[topic.name]
        assert doc["metadata"]["name"] == topic.name
        assert doc["spec"]["config"]["retention.ms"] == topic.retention_ms
        assert doc["spec"]["replicas"] == VALUES["kafka"]["topicReplicas"]
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == VALUES["kafka"]["cluster"]


def test_compose_creates_the_same_topics_with_the_same_partitions() -> None:
    script = (ROOT / "deploy/compose/create-topics.sh").read_text()
    created = {m[0]: int(m[1]) for m in re.findall(r"^create (\S+) (\d+) ", script, re.M)}
    assert created == expected_topics()


def test_strimzi_resources_match_their_schemas() -> None:
    docs = load_documents(KAFKA / "topics.yaml") + load_documents(KAFKA / "users.yaml")
    assert kubernetes_errors(docs, SCHEMAS) == []


def test_a_broken_topic_or_user_is_rejected() -> None:
    topic = load_documents(KAFKA / "topics.yaml")[0]
    no_partitions = copy.deepcopy(topic)
    del no_partitions["spec"]["partitions"]
    user = load_documents(KAFKA / "users.yaml")[0]
    bad_operation = copy.deepcopy(user)
    bad_operation["spec"]["authorization"]["acls"][0]["operations"] = ["Publish"]
    errors = kubernetes_errors([no_partitions, bad_operation], SCHEMAS)
    assert any("partitions" in e for e in errors)
    assert any("Publish" in e for e in errors)


def _acls(service: str) -> list[dict]:
    users = {d["metadata"]["name"]: d for d in load_documents(KAFKA / "users.yaml")}
    # One user per service, and the gateway's (its view cache reads events).
    assert set(users) == {
        f"tandem-{s}" for s in ("customer", "sales", "supplier", "procurement", "gateway")
    }
    return users[f"tandem-{service}"]["spec"]["authorization"]["acls"]


def _literal(acls: list[dict], kind: str, operation: str) -> set[str]:
    return {a["resource"]["name"] for a in acls if a["resource"]["type"] == kind
            and a["resource"].get("patternType") == "literal" and operation in a["operations"]}


def test_each_service_writes_only_its_own_topics_and_dead_letters() -> None:
    for service in ("customer", "sales", "supplier", "procurement"):
        acls = _acls(service)
        own = {t.name for t in REGISTRY if t.service == service}
        dead = {g.dead_letter_topic for g in GROUPS if g.service == service}
        assert _literal(acls, "topic", "Write") == own | dead
        prefixed = {a["resource"]["name"] for a in acls
                    if a["resource"].get("patternType") == "prefix"}
        assert prefixed == {f"{service}-"}  # Faust application ids and internal topics
        assert not any("All" in a["operations"] for a in acls)


def test_the_gateway_only_reads_the_topics_its_view_cache_declares() -> None:
    acls = _acls("gateway")
    declared = {t.name for r in READERS if r.service == "gateway" for t in r.topics}
    assert declared and _literal(acls, "topic", "Read") == declared
    assert {op for a in acls for op in a["operations"]} == {"Read", "Describe"}
    assert all(a["resource"]["type"] == "topic" for a in acls)  # no group: it commits nothing


def test_each_service_reads_only_what_its_consumer_groups_declare() -> None:
    for service in ("customer", "sales", "supplier", "procurement"):
        acls = _acls(service)
        groups = [g for g in GROUPS if g.service == service]
        assert _literal(acls, "topic", "Read") == {t.name for g in groups for t in g.topics}
        assert _literal(acls, "group", "Read") == {g.group_id for g in groups}
