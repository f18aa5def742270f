"""Every generated Kubernetes manifest and the example overlay validate against the
Kubernetes schemas; the deployment shape (probes, autoscaling, policies) is as documented."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tandem_dev.manifests.validate import kubernetes_errors, kustomize, load_documents, yaml_lint

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy/kubernetes"
SCHEMAS = ROOT / "deploy/schemas"
SERVICES = ("customer", "sales", "supplier", "procurement")


def manifest_files(base: Path = BASE) -> list[Path]:
    return sorted(p for p in base.rglob("*.yaml") if p.name != "kustomization.yaml")


def tree_errors(base: Path) -> list[str]:
    """What CI checks for a manifest tree: lint, schemas and a Kustomize render."""
    files = manifest_files(base)
    errors = yaml_lint(ROOT, files)
    for path in files:
        errors += [f"{path.name}: {e}" for e in kubernetes_errors(load_documents(path), SCHEMAS)]
    try:
        kustomize(base)
    except ValueError as exc:
        errors.append(str(exc))
    return errors


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    return kustomize(BASE)


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_every_generated_manifest_is_valid() -> None:
    assert manifest_files(), "no manifests found"
    assert tree_errors(BASE) == []


def test_the_production_overlay_renders_valid_manifests() -> None:
    docs = kustomize(ROOT / "deploy/overlays/production")
    assert kubernetes_errors(docs, SCHEMAS) == []
    assert {d["metadata"].get("namespace") for d in docs} == {"tandem"}
    hpa = by_kind(docs, "HorizontalPodAutoscaler")["tandem-sales-api"]
    assert hpa["spec"]["maxReplicas"] == 10


def test_a_broken_manifest_fails_validation(tmp_path: Path) -> None:
    broken = tmp_path / "kubernetes"
    shutil.copytree(BASE, broken)
    target = broken / "sales/deployment-worker.yaml"
    target.write_text(target.read_text().replace("readinessProbe:", "readinessProbes:", 1))
    errors = tree_errors(broken)
    assert any("deployment-worker.yaml" in e and "readinessProbes" in e for e in errors)


def test_a_wrong_type_and_bad_yaml_fail_validation(tmp_path: Path) -> None:
    broken = tmp_path / "kubernetes"
    shutil.copytree(BASE, broken)
    service = broken / "customer/service.yaml"
    service.write_text(service.read_text().replace("port: 8001", "port: eight-thousand-one"))
    hpa = broken / "gateway/hpa.yaml"
    hpa.write_text(hpa.read_text() + "spec: {}\n")  # duplicate key
    errors = tree_errors(broken)
    assert any("service.yaml" in e and "port" in e for e in errors)
    assert any("hpa.yaml" in e and "duplication" in e for e in errors)


def test_a_missing_resource_fails_the_kustomize_render(tmp_path: Path) -> None:
    broken = tmp_path / "kubernetes"
    shutil.copytree(BASE, broken)
    (broken / "supplier/pdb.yaml").unlink()
    assert any("kustomize" in e for e in tree_errors(broken))


def test_http_and_worker_deployments_probe_the_health_endpoints(rendered: list[dict]) -> None:
    deployments = by_kind(rendered, "Deployment")
    expected = {f"tandem-{s}-{c}" for s in SERVICES for c in ("api", "worker")} | {"tandem-gateway"}
    assert set(deployments) == expected
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["startupProbe"]["httpGet"]["path"] == "/health/live", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready", name
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert container["readinessProbe"]["httpGet"]["port"] in ports
        if name.endswith("-worker"):
            assert container["args"] == ["worker"] and ports == {"health": 8081}
        elif name.endswith("-api"):
            assert container["args"] == ["api"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_each_service_has_a_migration_job(rendered: list[dict]) -> None:
    jobs = by_kind(rendered, "Job")
    assert set(jobs) == {f"tandem-{s}-migrate" for s in SERVICES}
    for job in jobs.values():
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["migrate"]


def test_every_deployment_has_an_autoscaler_and_a_disruption_budget(rendered: list[dict]) -> None:
    deployments = by_kind(rendered, "Deployment")
    hpas = by_kind(rendered, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == set(deployments)
    budgets = by_kind(rendered, "PodDisruptionBudget")
    for deployment in deployments.values():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(set(b["spec"]["selector"]["matchLabels"].items()) <= set(labels.items())
                   for b in budgets.values()), deployment["metadata"]["name"]


def test_worker_autoscaling_is_bounded_by_the_partitions_it_consumes(
        rendered: list[dict]) -> None:
    from tandem_contracts.consumers import GROUPS

    hpas = by_kind(rendered, "HorizontalPodAutoscaler")
    for service in SERVICES:
        groups = [g for g in GROUPS if g.service == service]
        if groups:
            bound = min(sum(t.partitions for t in g.topics) for g in groups)
            assert hpas[f"tandem-{service}-worker"]["spec"]["maxReplicas"] <= bound


def test_network_policies_deny_by_default_and_admit_only_the_gateway_to_services(
        rendered: list[dict]) -> None:
    policies = by_kind(rendered, "NetworkPolicy")
    deny = policies["default-deny-all"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert deny["ingress"] == [] and deny["egress"] == []
    for service in SERVICES:
        api = policies[f"tandem-{service}-api"]["spec"]
        sources = [peer for rule in api["ingress"] for peer in rule.get("from", [])]
        assert {"podSelector": {"matchLabels": {
            "app.kubernetes.io/name": "tandem-gateway",
            "app.kubernetes.io/component": "gateway"}}} in sources
        assert all("podSelector" not in p or "tandem-gateway" in str(p) for p in sources)
        migrate = policies[f"tandem-{service}-migrate"]["spec"]
        assert migrate["ingress"] == []


def test_no_secret_is_in_a_manifest_or_values_file(rendered: list[dict]) -> None:
    assert not by_kind(rendered, "Secret")
    secret_names = ("PASSWORD", "SECRET", "DATABASE_URL")
    for doc in rendered:
        for key in (doc.get("data") or {}) if doc["kind"] == "ConfigMap" else ():
            assert not any(s in key for s in secret_names), key
        pod = (doc.get("spec") or {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            for env in container.get("env", []):
                if any(s in env["name"] for s in secret_names):
                    assert "valueFrom" in env and "value" not in env, env["name"]


def test_deployments_roll_by_starting_a_new_pod_before_stopping_an_old_one(
    rendered: list[dict],
) -> None:
    for deployment in by_kind(rendered, "Deployment").values():
        rolling = deployment["spec"]["strategy"]["rollingUpdate"]
        assert rolling == {"maxSurge": 1, "maxUnavailable": 0}


def test_every_variable_given_to_a_process_is_a_real_setting(rendered: list[dict]) -> None:
    from tandem_dev.settings_doc import variables

    known = variables()
    configmaps = by_kind(rendered, "ConfigMap")
    for name, configmap in configmaps.items():
        unknown = set(configmap["data"]) - known
        assert not unknown, f"ConfigMap {name}: {sorted(unknown)} are not settings"
    workloads = [*by_kind(rendered, "Deployment").values(), *by_kind(rendered, "Job").values()]
    for workload in workloads:
        for container in workload["spec"]["template"]["spec"]["containers"]:
            unknown = {e["name"] for e in container.get("env", [])} - known
            assert not unknown, f"{workload['metadata']['name']}: {sorted(unknown)}"
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in configmaps
