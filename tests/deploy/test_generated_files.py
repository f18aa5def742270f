"""The committed deployment files and the settings table are what their sources generate."""

from __future__ import annotations

from pathlib import Path

from tandem_dev import manifests, settings_doc

ROOT = Path(__file__).resolve().parents[2]


def test_kubernetes_base_strimzi_resources_and_compose_topics_are_current() -> None:
    rendered = manifests.render(manifests.load_values(ROOT / "deploy/values.yaml"))
    stale = manifests.diff(ROOT, rendered)
    assert not stale, f"out of date: {stale}; run `make deploy-manifests` and commit the result"


def test_configuration_table_is_current() -> None:
    stale = settings_doc.diff(ROOT, settings_doc.render())
    assert not stale, f"out of date: {stale}; run `make settings-doc` and commit the result"


def test_a_changed_input_is_reported_as_stale(tmp_path: Path) -> None:
    values = manifests.load_values(ROOT / "deploy/values.yaml")
    manifests.write(tmp_path, manifests.render(values))
    assert manifests.diff(tmp_path, manifests.render(values)) == []
    values["services"]["sales"]["port"] = 9002
    assert "deploy/kubernetes/sales/service.yaml" in manifests.diff(
        tmp_path, manifests.render(values))
    (tmp_path / "deploy/kubernetes/sales/leftover.yaml").write_text("---\n")
    assert "deploy/kubernetes/sales/leftover.yaml" in manifests.diff(
        tmp_path, manifests.render(values))


def test_every_setting_of_every_service_is_in_the_table() -> None:
    table = (ROOT / settings_doc.DOC).read_text()
    for target in settings_doc.SERVICE_SETTINGS.values():
        cls = settings_doc._load(target)
        prefix = str(cls.model_config.get("env_prefix", "")).upper()
        for name in cls.model_fields:
            if name in ("kafka", "auth"):
                continue
            assert f"`{prefix}{name.upper()}`" in table
