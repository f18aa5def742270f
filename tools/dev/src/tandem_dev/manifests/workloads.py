"""Deployments (HTTP and worker), the migration Job, Services, autoscalers and disruption
budgets of each service and the gateway."""

from __future__ import annotations

import hashlib
import json

from tandem_contracts.consumers import GROUPS
from tandem_dev.manifests.common import (
    DATA_DIR,
    PART_OF,
    SERVICES,
    WORKER_PORT,
    app_name,
    image,
    labels,
    selector,
)

KAFKA_CA_DIR = "/etc/tandem/kafka-ca"
COMMON_CONFIG = "tandem-common"


def consumer_bound(service: str) -> int | None:
    """Most worker replicas that all get partitions: each member of every group needs one."""
    bounds = [sum(t.partitions for t in g.topics) for g in GROUPS if g.service == service]
    return min(bounds) if bounds else None


def common_config(values: dict) -> dict:
    """Kafka and auth settings every service shares (no secrets)."""
    kafka, auth = values["kafka"], values["auth"]
    data = {"KAFKA_BOOTSTRAP_SERVERS": kafka["bootstrapServers"],
            "KAFKA_SECURITY_PROTOCOL": kafka["securityProtocol"]}
    if kafka["securityProtocol"].startswith("SASL"):
        data["KAFKA_SASL_MECHANISM"] = kafka["saslMechanism"]
    if kafka["securityProtocol"].endswith("SSL") and kafka.get("caSecret"):
        data["KAFKA_SSL_CAFILE"] = f"{KAFKA_CA_DIR}/ca.crt"
    data.update({k: str(v) for k, v in kafka.get("env", {}).items()})
    data.update({"TANDEM_AUTH_DEVELOPMENT": "false", "TANDEM_AUTH_ISSUER": auth["issuer"],
                 "TANDEM_AUTH_AUDIENCE": auth["audience"]})
    if auth.get("jwksUrl"):
        data.update({"TANDEM_AUTH_JWKS_URL": auth["jwksUrl"],
                     "TANDEM_AUTH_ALGORITHMS": '["RS256"]'})
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": COMMON_CONFIG, "labels": {"app.kubernetes.io/part-of": PART_OF}},
            "data": data}


def _config_hash(*maps: dict) -> str:
    return hashlib.sha256(json.dumps(maps, sort_keys=True).encode()).hexdigest()[:16]


def _secret_env(name: str, secret: str, key: str) -> dict:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _auth_env(values: dict) -> list[dict]:
    auth = values["auth"]
    if auth.get("jwksUrl") or not auth.get("existingSecret"):
        return []
    return [_secret_env("TANDEM_AUTH_SECRET", auth["existingSecret"], "secret")]


def _probes(port: str) -> dict:
    def probe(path: str, **timing: int) -> dict:
        return {"httpGet": {"path": path, "port": port}, "timeoutSeconds": 3, **timing}
    return {"startupProbe": probe("/health/live", periodSeconds=2, failureThreshold=60),
            "livenessProbe": probe("/health/live", periodSeconds=10, failureThreshold=3),
            "readinessProbe": probe("/health/ready", periodSeconds=5, failureThreshold=3)}


_CONTAINER_SECURITY = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                       "capabilities": {"drop": ["ALL"]}}
_POD_SECURITY = {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                 "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}}


def _pod(values: dict, service: str, component: str, container: dict, *, kafka: bool,
         config_hash: str, restart: str = "Always") -> dict:
    volumes = [{"name": "data", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]
    mounts = [{"name": "data", "mountPath": DATA_DIR}, {"name": "tmp", "mountPath": "/tmp"}]
    kafka_values = values["kafka"]
    if kafka and kafka_values["securityProtocol"].endswith("SSL") and kafka_values.get("caSecret"):
        volumes.append({"name": "kafka-ca", "secret": {"secretName": kafka_values["caSecret"],
                                                        "items": [{"key": "ca.crt",
                                                                   "path": "ca.crt"}]}})
        mounts.append({"name": "kafka-ca", "mountPath": KAFKA_CA_DIR, "readOnly": True})
    container = {"name": component, "image": image(values, service),
                 "imagePullPolicy": values["image"]["pullPolicy"], **container,
                 "securityContext": _CONTAINER_SECURITY, "volumeMounts": mounts}
    spec = {"serviceAccountName": app_name(service), "automountServiceAccountToken": False,
            "securityContext": _POD_SECURITY, "terminationGracePeriodSeconds": 30,
            "restartPolicy": restart, "containers": [container], "volumes": volumes}
    if restart == "Always":
        spec["topologySpreadConstraints"] = [{
            "maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector(service, component)}}]
    return {"metadata": {"labels": labels(service, component),
                         "annotations": {"tandem.io/config-hash": config_hash}},
            "spec": spec}


def _deployment(service: str, component: str, pod: dict, scaling: dict) -> dict:
    # A new pod is ready before an old one stops. A surge worker beyond the partition count
    # joins its groups with no partitions: ready and idle until the old pod leaves.
    rolling = {"maxSurge": 1, "maxUnavailable": 0}
    spec: dict = {"selector": {"matchLabels": selector(service, component)},
                  "strategy": {"type": "RollingUpdate", "rollingUpdate": rolling},
                  "template": pod}
    if not scaling.get("autoscaling"):
        spec = {"replicas": scaling["replicas"], **spec}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": f"{app_name(service)}-{component}" if component != "gateway"
                         else app_name(service), "labels": labels(service, component)},
            "spec": spec}


def _hpa(target: str, service: str, component: str, autoscaling: dict,
         bound: int | None = None) -> dict:
    high = autoscaling["maxReplicas"] if bound is None else min(autoscaling["maxReplicas"], bound)
    low = min(autoscaling["minReplicas"], high)
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": target, "labels": labels(service, component)},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                        "name": target},
                     "minReplicas": low, "maxReplicas": high,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {
                             "type": "Utilization",
                             "averageUtilization":
                                 autoscaling["targetCPUUtilizationPercentage"]}}}]}}


def _pdb(name: str, service: str, component: str) -> dict:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "labels": labels(service, component)},
            "spec": {"maxUnavailable": 1,
                     "selector": {"matchLabels": selector(service, component)}}}


def _service_account(service: str) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": app_name(service),
                         "labels": {"app.kubernetes.io/name": app_name(service),
                                    "app.kubernetes.io/part-of": PART_OF}},
            "automountServiceAccountToken": False}


def service_resources(values: dict, service: str) -> dict[str, list[dict]]:
    svc = values["services"][service]
    prefix = service.upper()
    name = app_name(service)
    config = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": name, "labels": {"app.kubernetes.io/name": name,
                                                    "app.kubernetes.io/part-of": PART_OF}},
              "data": {f"{prefix}_HOST": "0.0.0.0", f"{prefix}_PORT": str(svc["port"]),
                       f"{prefix}_WORKER_PORT": str(WORKER_PORT),
                       f"{prefix}_DATA_DIR": DATA_DIR, f"{prefix}_LOG_JSON": "true",
                       **{k: str(v) for k, v in svc.get("env", {}).items()}}}
    digest = _config_hash(config["data"], common_config(values)["data"])
    db = svc["database"]
    env = [_secret_env(f"{prefix}_DATABASE_URL", db["existingSecret"], db["key"])]
    kafka_env = [{"name": "KAFKA_SASL_USERNAME", "value": name},
                 _secret_env("KAFKA_SASL_PASSWORD", name, "password")]
    if not values["kafka"]["securityProtocol"].startswith("SASL"):
        kafka_env = []
    env_from = [{"configMapRef": {"name": COMMON_CONFIG}}, {"configMapRef": {"name": name}}]

    def container(command: str, port: int | None, resources: dict) -> dict:
        body: dict = {"args": [command], "envFrom": env_from,
                      "env": env + kafka_env + _auth_env(values), "resources": resources}
        if port is not None:
            port_name = "http" if command == "api" else "health"
            body["ports"] = [{"name": port_name, "containerPort": port, "protocol": "TCP"}]
            body.update(_probes(port_name))
        return body

    api = _deployment(service, "api", _pod(
        values, service, "api", container("api", svc["port"], svc["api"]["resources"]),
        kafka=True, config_hash=digest), svc["api"])
    worker = _deployment(service, "worker", _pod(
        values, service, "worker", container("worker", WORKER_PORT, svc["worker"]["resources"]),
        kafka=True, config_hash=digest), svc["worker"])
    migrate_pod = _pod(values, service, "migrate",
                       container("migrate", None, svc["api"]["resources"]),
                       kafka=False, config_hash=digest, restart="Never")
    migrate = {"apiVersion": "batch/v1", "kind": "Job",
               "metadata": {"name": f"{name}-migrate", "labels": labels(service, "migrate")},
               "spec": {"backoffLimit": 3, "activeDeadlineSeconds": 1800,
                        "ttlSecondsAfterFinished": 600, "template": migrate_pod}}
    http = {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "labels": labels(service, "api")},
            "spec": {"selector": selector(service, "api"),
                     "ports": [{"name": "http", "port": svc["port"], "targetPort": "http",
                                "protocol": "TCP"}]}}
    hpas = [_hpa(f"{name}-api", service, "api", svc["api"]["autoscaling"])
            if svc["api"].get("autoscaling") else None,
            _hpa(f"{name}-worker", service, "worker", svc["worker"]["autoscaling"],
                 consumer_bound(service)) if svc["worker"].get("autoscaling") else None]
    return {"serviceaccount.yaml": [_service_account(service)], "configmap.yaml": [config],
            "deployment-api.yaml": [api], "deployment-worker.yaml": [worker],
            "job-migrate.yaml": [migrate], "service.yaml": [http],
            "hpa.yaml": [h for h in hpas if h is not None],
            "pdb.yaml": [_pdb(f"{name}-api", service, "api"),
                         _pdb(f"{name}-worker", service, "worker")]}


def gateway_resources(values: dict) -> dict[str, list[dict]]:
    gw = values["gateway"]
    name = app_name("gateway")
    data = {"GATEWAY_HOST": "0.0.0.0", "GATEWAY_PORT": str(gw["port"]),
            "GATEWAY_LOG_JSON": "true",
            **{f"GATEWAY_{s.upper()}_URL": f"http://{app_name(s)}:{values['services'][s]['port']}"
               for s in SERVICES},
            **{k: str(v) for k, v in gw.get("env", {}).items()}}
    config = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": name, "labels": {"app.kubernetes.io/name": name,
                                                    "app.kubernetes.io/part-of": PART_OF}},
              "data": data}
    # The view cache's invalidation listener reads the events that change a customer 360.
    kafka_env = [{"name": "KAFKA_SASL_USERNAME", "value": name},
                 _secret_env("KAFKA_SASL_PASSWORD", name, "password")]
    if not values["kafka"]["securityProtocol"].startswith("SASL"):
        kafka_env = []
    body = {"envFrom": [{"configMapRef": {"name": COMMON_CONFIG}},
                        {"configMapRef": {"name": name}}],
            "env": kafka_env + _auth_env(values), "resources": gw["resources"],
            "ports": [{"name": "http", "containerPort": gw["port"], "protocol": "TCP"}],
            **_probes("http")}
    pod = _pod(values, "gateway", "gateway", body, kafka=True,
               config_hash=_config_hash(data, common_config(values)["data"]))
    deployment = _deployment("gateway", "gateway", pod, gw)
    http = {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "labels": labels("gateway", "gateway")},
            "spec": {"selector": selector("gateway", "gateway"),
                     "ports": [{"name": "http", "port": gw["port"], "targetPort": "http",
                                "protocol": "TCP"}]}}
    out = {"serviceaccount.yaml": [_service_account("gateway")], "configmap.yaml": [config],
           "deployment.yaml": [deployment], "service.yaml": [http],
           "pdb.yaml": [_pdb(name, "gateway", "gateway")]}
    if gw.get("autoscaling"):
        out["hpa.yaml"] = [_hpa(name, "gateway", "gateway", gw["autoscaling"])]
    return out
