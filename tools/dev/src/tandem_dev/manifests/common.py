"""Shared pieces of the generated manifests: names, labels, YAML output."""

from __future__ import annotations

from typing import Any

import yaml

SERVICES = ("customer", "sales", "supplier", "procurement")
PART_OF = "tandem"
WORKER_PORT = 8081
DATA_DIR = "/var/lib/tandem"


def app_name(service: str) -> str:
    return f"tandem-{service}"


def labels(service: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app_name(service),
            "app.kubernetes.io/component": component,
            "app.kubernetes.io/part-of": PART_OF}


def selector(service: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app_name(service),
            "app.kubernetes.io/component": component}


def image(values: dict, service: str) -> str:
    img = values["image"]
    return f"{img['repository']}-{service}:{img['tag']}"


class _Dumper(yaml.SafeDumper):
    """Indents sequences under their key, as yamllint and most editors expect."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_documents(docs: list[dict]) -> str:
    return "".join("---\n" + yaml.dump(d, Dumper=_Dumper, sort_keys=False, width=120)
                   for d in docs)


def kustomization(resources: list[str]) -> dict:
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "resources": resources}
