"""The image: built by uv from the lock, slim, non-root, `tandem-<service>` as entry point.
No Docker engine here, so the Dockerfile is checked statically (hadolint and our rules)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tandem_dev.manifests.validate import dockerfile_errors

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy/Dockerfile"


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).parent / "hadolint"
    return subprocess.run([str(binary), "--no-color", str(path)], capture_output=True, text=True,
                          timeout=60)


def test_dockerfile_passes_hadolint() -> None:
    result = hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_meets_the_image_rules() -> None:
    assert dockerfile_errors(DOCKERFILE.read_text()) == []


def test_a_root_image_or_an_unlocked_build_is_rejected(tmp_path: Path) -> None:
    text = DOCKERFILE.read_text()
    assert any("USER" in e for e in dockerfile_errors(text.replace("USER 10001:10001\n", "")))
    assert any("USER" in e for e in dockerfile_errors(text.replace("USER 10001:10001",
                                                                   "USER root")))
    assert any("--frozen" in e for e in dockerfile_errors(text.replace("--frozen ", "")))
    bad = tmp_path / "Dockerfile"
    bad.write_text(text.replace("WORKDIR /var/lib/tandem", "WORKDIR var/lib/tandem"))
    assert hadolint(bad).returncode != 0  # DL3000: relative WORKDIR


def test_every_image_target_has_its_entry_point() -> None:
    for service in ("customer", "sales", "supplier", "procurement", "gateway"):
        project = tomllib.loads((ROOT / f"services/{service}/pyproject.toml").read_text())
        assert project["project"]["name"] == f"tandem-{service}"
        assert f"tandem-{service}" in project["project"]["scripts"]


def test_build_context_leaves_out_data_caches_and_secrets() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".git", ".venv", ".data", ".env", "**/tests"):
        assert entry in ignored
