"""Strimzi KafkaTopic and KafkaUser resources, and the compose topic script, from contracts.

Provisioned here: every registry topic and one dead-letter topic ``<group>.dlq`` per declared
consumer group. Not provisioned here: Faust internal topics (changelogs, repartitions), which
Faust creates under its application id, ``<service>-...``; each service's user may create,
read and write topics with that prefix and no others.
"""

from __future__ import annotations

import shlex
from collections import defaultdict

from tandem_contracts import REGISTRY
from tandem_contracts.consumers import GROUPS, READERS
from tandem_dev.manifests.common import PART_OF, SERVICES, app_name

STRIMZI_API = "kafka.strimzi.io/v1beta2"


def _topic(values: dict, name: str, service: str, partitions: int, config: dict,
           description: str) -> dict:
    kafka = values["kafka"]
    return {
        "apiVersion": STRIMZI_API, "kind": "KafkaTopic",
        "metadata": {"name": name,
                     "labels": {"strimzi.io/cluster": kafka["cluster"],
                                "app.kubernetes.io/part-of": PART_OF,
                                "app.kubernetes.io/name": app_name(service)},
                     "annotations": {"tandem.io/description": description}},
        "spec": {"topicName": name, "partitions": partitions,
                 "replicas": kafka["topicReplicas"],
                 "config": {**config, "min.insync.replicas": kafka["minInsyncReplicas"]}},
    }


def topics(values: dict) -> list[dict]:
    """Registry topics (partitions and retention from the registry) and dead-letter topics."""
    out = [_topic(values, t.name, t.service, t.partitions,
                  {"retention.ms": t.retention_ms,
                   "cleanup.policy": "compact" if t.compacted else "delete"},
                  t.description or f"{t.service} events")
           for t in REGISTRY]
    kafka = values["kafka"]
    out += [_topic(values, g.dead_letter_topic, g.service, kafka["deadLetterPartitions"],
                   {"retention.ms": kafka["deadLetterRetentionMs"], "cleanup.policy": "delete"},
                   f"dead letters of consumer group {g.group_id}")
            for g in sorted(GROUPS, key=lambda g: g.group_id)]
    return out


def _acl(kind: str, name: str, operations: list[str], pattern: str = "literal") -> dict:
    resource = {"type": kind, "name": name, "patternType": pattern}
    return {"resource": resource, "operations": operations, "host": "*"}


def service_acls(service: str) -> list[dict]:
    """Least privilege: write own topics, read consumed ones, own groups and dead letters."""
    acls = [_acl("topic", t.name, ["Write", "Describe"])
            for t in REGISTRY if t.service == service]
    groups = sorted((g for g in GROUPS if g.service == service), key=lambda g: g.group_id)
    consumed = sorted({t.name for g in groups for t in g.topics})
    acls += [_acl("topic", name, ["Read", "Describe"]) for name in consumed]
    for g in groups:
        acls.append(_acl("group", g.group_id, ["Read"]))
        acls.append(_acl("topic", g.dead_letter_topic, ["Write", "Describe"]))
    # Faust applications (ids `<service>-...`): their consumer groups and internal topics.
    acls.append(_acl("group", f"{service}-", ["Read"], "prefix"))
    acls.append(_acl("topic", f"{service}-",
                     ["Create", "Describe", "DescribeConfigs", "Read", "Write"], "prefix"))
    # The idempotent producer (KAFKA_ENABLE_IDEMPOTENCE) on brokers older than 2.8.
    acls.append({"resource": {"type": "cluster"}, "operations": ["IdempotentWrite"],
                 "host": "*"})
    return acls


def reader_acls(deployable: str) -> list[dict]:
    """Readers without a consumer group (the gateway's view cache): Read on their topics."""
    topics = sorted({t.name for r in READERS if r.service == deployable for t in r.topics})
    return [_acl("topic", name, ["Read", "Describe"]) for name in topics]


def users(values: dict) -> list[dict]:
    kafka = values["kafka"]
    mechanism = kafka["saslMechanism"]
    if mechanism != "SCRAM-SHA-512":
        raise ValueError("Strimzi KafkaUser passwords are SCRAM-SHA-512: set "
                         "kafka.saslMechanism to SCRAM-SHA-512")
    acls = {service: service_acls(service) for service in SERVICES}
    acls["gateway"] = reader_acls("gateway")
    return [{
        "apiVersion": STRIMZI_API, "kind": "KafkaUser",
        "metadata": {"name": app_name(name),
                     "labels": {"strimzi.io/cluster": kafka["cluster"],
                                "app.kubernetes.io/part-of": PART_OF,
                                "app.kubernetes.io/name": app_name(name)}},
        "spec": {"authentication": {"type": "scram-sha-512"},
                 "authorization": {"type": "simple", "acls": granted}},
    } for name, granted in acls.items()]


def compose_script(values: dict) -> str:
    """A shell script for the compose `kafka-topics` job: same topics, one broker."""
    lines = ["#!/bin/sh",
             "# Generated by `make deploy-manifests` from tandem_contracts; do not edit.",
             "# Creates every registry topic and dead-letter topic on the compose broker.",
             "set -eu",
             'BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"',
             'TOPICS="${KAFKA_TOPICS_BIN:-/opt/kafka/bin/kafka-topics.sh}"',
             "create() {",
             '  name="$1"; partitions="$2"; shift 2',
             '  "$TOPICS" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \\',
             '    --topic "$name" --partitions "$partitions" --replication-factor 1 "$@"',
             '  echo "topic $name ($partitions partitions) ready"',
             "}"]
    by_service: dict[str, list[str]] = defaultdict(list)
    for doc in topics(values):
        spec = doc["spec"]
        config = spec["config"]
        by_service[doc["metadata"]["labels"]["app.kubernetes.io/name"]].append(
            f"create {shlex.quote(spec['topicName'])} {spec['partitions']} "
            f"--config retention.ms={config['retention.ms']} --config "
            f"cleanup.policy={config['cleanup.policy']}")
    for service in sorted(by_service):
        lines.append(f"# {service}")
        lines.extend(by_service[service])
    return "\n".join(lines) + "\n"
