"""NetworkPolicies: deny everything, then allow exactly what each process needs."""

from __future__ import annotations

from tandem_dev.manifests.common import PART_OF, SERVICES, WORKER_PORT, app_name, selector


def _policy(name: str, pod_selector: dict, ingress: list | None, egress: list | None,
            label_service: str | None = None) -> dict:
    types = [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None]
    spec: dict = {"podSelector": {"matchLabels": pod_selector} if pod_selector else {},
                  "policyTypes": types}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    meta_labels = {"app.kubernetes.io/part-of": PART_OF}
    if label_service:
        meta_labels["app.kubernetes.io/name"] = app_name(label_service)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "labels": meta_labels}, "spec": spec}


def _port(port: int | str) -> dict:
    return {"protocol": "TCP", "port": port}


def _namespace(name: str) -> dict:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def _monitoring(values: dict, port: int | str) -> list[dict]:
    namespaces = values.get("monitoring", {}).get("namespaces") or []
    if not namespaces:
        return []
    return [{"from": [_namespace(ns) for ns in namespaces], "ports": [_port(port)]}]


def _kafka_egress(values: dict) -> dict:
    kafka = values["kafka"]
    return {"to": [{**_namespace(kafka["namespace"]),
                    "podSelector": {"matchLabels": {"strimzi.io/cluster": kafka["cluster"]}}}],
            "ports": [_port(kafka["port"])]}


def _database_egress(values: dict) -> dict:
    # Databases usually live outside the cluster (managed PostgreSQL): allow the port only.
    return {"ports": [_port(values["databasePort"])]}


def _identity_provider_egress(values: dict) -> list[dict]:
    return [{"ports": [_port(443)]}] if values["auth"].get("jwksUrl") else []


def common_policies(values: dict) -> list[dict]:
    """Default deny for every pod in the namespace, and DNS for Tandem's pods."""
    dns = {"to": [{**_namespace("kube-system"),
                   "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
           "ports": [{"protocol": "UDP", "port": 53}, _port(53)]}
    return [_policy("default-deny-all", {}, [], []),
            _policy("tandem-allow-dns", {"app.kubernetes.io/part-of": PART_OF}, None, [dns])]


def service_policies(values: dict, service: str) -> list[dict]:
    port = values["services"][service]["port"]
    name = app_name(service)
    from_gateway = {"from": [{"podSelector": {"matchLabels": selector("gateway", "gateway")}}],
                    "ports": [_port(port)]}
    api = _policy(f"{name}-api", selector(service, "api"),
                  [from_gateway, *_monitoring(values, port)],
                  [_database_egress(values), _kafka_egress(values),
                   *_identity_provider_egress(values)], service)
    worker = _policy(f"{name}-worker", selector(service, "worker"),
                     _monitoring(values, WORKER_PORT),
                     [_database_egress(values), _kafka_egress(values)], service)
    migrate = _policy(f"{name}-migrate", selector(service, "migrate"), [],
                      [_database_egress(values)], service)
    return [api, worker, migrate]


def gateway_policies(values: dict) -> list[dict]:
    port = values["gateway"]["port"]
    to_services = [{"to": [{"podSelector": {"matchLabels": selector(s, "api")}}],
                    "ports": [_port(values["services"][s]["port"])]} for s in SERVICES]
    # Clients reach the gateway through an ingress controller or a load balancer.
    ingress = [{"ports": [_port(port)]}]
    # Kafka: the view cache's invalidation listener (tandem_contracts.consumers.READERS).
    return [_policy(app_name("gateway"), selector("gateway", "gateway"), ingress,
                    [*to_services, _kafka_egress(values), *_identity_provider_egress(values)],
                    "gateway")]

