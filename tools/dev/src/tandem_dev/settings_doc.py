"""docs/configuration.md: the table of every environment variable, from the Settings classes."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings

from tandem_kit.settings import AuthSettings, KafkaSettings

DOC = "docs/configuration.md"
SERVICE_SETTINGS = {
    "customer": "tandem_customer.settings:CustomerSettings",
    "sales": "tandem_sales.settings:SalesSettings",
    "supplier": "tandem_supplier.settings:SupplierSettings",
    "procurement": "tandem_procurement.settings:ProcurementSettings",
    "gateway": "tandem_gateway.settings:GatewaySettings",
}
INTRO = """# Configuration

Every setting is an environment variable; nothing else is read. This file is generated from
the Settings classes by `make settings-doc` (a test fails when it is out of date).

- Service variables carry the service's prefix: `CUSTOMER_`, `SALES_`, `SUPPLIER_`,
  `PROCUREMENT_`, `GATEWAY_`. The broker (`KAFKA_`) and token (`TANDEM_AUTH_`) settings are
  shared by every service.
- Secrets (`*_DATABASE_URL` with a password, `KAFKA_SASL_PASSWORD`, `TANDEM_AUTH_SECRET`)
  come from Kubernetes Secrets or the compose `.env` file, never from images or values files.
- Lists are JSON (`TANDEM_AUTH_ALGORITHMS='["RS256"]'`); booleans are `true`/`false`.
- Outside development `TANDEM_AUTH_SECRET` must be a real secret of at least 32 characters,
  or `TANDEM_AUTH_JWKS_URL` must be set; the development secret is refused.
"""

# Meanings of fields whose Settings class gives no description (a description wins).
MEANINGS = {
    "bootstrap_servers": "comma-separated host:port list of the brokers",
    "security_protocol": "how to talk to the brokers; SASL_SSL on a secured Kafka",
    "sasl_mechanism": "SASL mechanism; Strimzi users are SCRAM-SHA-512",
    "sasl_username": "SASL user (the KafkaUser name on Strimzi)",
    "sasl_password": "SASL password (secret)",
    "ssl_cafile": "CA bundle that signed the broker certificates",
    "ssl_certfile": "client certificate for mutual TLS",
    "ssl_keyfile": "client key for mutual TLS",
    "client_id_prefix": "prefix of Kafka client ids (visible in broker logs and quotas)",
    "fetch_max_wait_ms": "longest a fetch waits for data; low for the embedded broker",
    "fetch_idle_max_wait_ms": "an idle consumer waits up to this per fetch (<= the wait: off)",
    "session_timeout_ms": "consumer group session timeout; a join takes about half of it",
    "heartbeat_interval_ms": "consumer heartbeat interval",
    "enable_idempotence": "idempotent producer; true on real Kafka (the embedded broker refuses)",
    "request_timeout_ms": "Kafka request timeout",
    "replication_factor": "replicas of topics the services create themselves (Faust internals)",
    "secret": "HS256 signing secret (secret; at least 32 characters)",
    "algorithms": "accepted JWT algorithms",
    "jwks_url": "JWKS endpoint of the identity provider (RS256 tokens)",
    "issuer": "required `iss` claim",
    "audience": "required `aud` claim",
    "token_ttl_seconds": "lifetime of development tokens",
    "service_name": "name in logs, metrics and the SQLite file name",
    "host": "interface the HTTP process (and worker health server) binds; 0.0.0.0 in containers",
    "port": "HTTP port",
    "data_dir": "folder for the SQLite database and local state",
    "database_pool_size": "connections per process",
    "log_level": "DEBUG, INFO, WARNING or ERROR",
    "log_json": "JSON log lines (false: human-readable)",
    "outbox_batch_size": "outbox rows published per batch",
    "outbox_poll_interval_ms": "outbox poll interval when idle",
    "outbox_max_backoff_ms": "longest wait between retries while the broker is down",
    "consumer_max_attempts": "attempts before a message goes to the dead-letter topic",
    "consumer_retry_backoff_ms": "retry delay, times the attempt number",
    "consumer_batch_size": "consecutive events of one fetch handled in one transaction",
    "page_size_max": "largest page a list endpoint returns",
    "customer_url": "base URL of the customer service",
    "sales_url": "base URL of the sales service",
    "supplier_url": "base URL of the supplier service",
    "procurement_url": "base URL of the procurement service",
    "upstream_timeout_s": "timeout of one call to a service",
    "max_body_bytes": "largest request body forwarded",
}


def _load(target: str) -> type[BaseSettings]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _prefix(cls: type[BaseSettings]) -> str:
    return str(cls.model_config.get("env_prefix", "")).upper()


def _default(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, SecretStr):
        return "(development secret)" if value.get_secret_value() else "(unset)"
    if isinstance(value, list | tuple):
        return f"`{json.dumps(list(value))}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Path):
        return f"`{value}`"
    return f"`{value}`"


def _type(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return " / ".join(f"`{a}`" for a in args)
    if origin in (Union, UnionType) and type(None) in args:
        inner = [a for a in args if a is not type(None)]
        return (_type(inner[0]) if len(inner) == 1 else " or ".join(map(_type, inner))) + \
            " (optional)"
    if origin is list:
        return f"JSON list of {_type(args[0])}" if args else "JSON list"
    return getattr(annotation, "__name__", str(annotation))


def _rows(cls: type[BaseSettings], prefix: str) -> list[str]:
    rows = []
    for name, field in cls.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseSettings):
            continue  # nested settings (KAFKA_*, TANDEM_AUTH_*) have their own table
        default = field.get_default(call_default_factory=True)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            doc = (field.description or annotation.__doc__ or "").strip()
            rows.append(f"| `{prefix}{name.upper()}` | JSON ({annotation.__name__}) | "
                        f"`{default.model_dump_json()}` | {doc.splitlines()[0] if doc else ''} |")
            continue
        meaning = field.description or MEANINGS.get(name, "")
        rows.append(f"| `{prefix}{name.upper()}` | {_type(annotation)} | {_default(default)} "
                    f"| {meaning.replace('|', '/')} |")
    return rows


def _table(title: str, cls: type[BaseSettings], note: str = "") -> str:
    head = [f"## {title}", ""] + ([note, ""] if note else [])
    head += ["| variable | type | default | meaning |", "|---|---|---|---|"]
    return "\n".join(head + _rows(cls, _prefix(cls))) + "\n"


def render() -> dict[str, str]:
    parts = [INTRO,
             _table("Broker (every service)", KafkaSettings,
                    "Production on Kafka: `KAFKA_ENABLE_IDEMPOTENCE=true`, "
                    "`KAFKA_CREATE_TOPICS=false` (Strimzi owns topics), "
                    "`KAFKA_FETCH_MAX_WAIT_MS=500`, `KAFKA_SESSION_TIMEOUT_MS=45000`."),
             _table("Tokens (every service and the gateway)", AuthSettings)]
    for service, target in SERVICE_SETTINGS.items():
        parts.append(_table(f"{service.capitalize()} (`{_prefix(_load(target))}`)",
                            _load(target)))
    return {DOC: "\n".join(parts)}


def write(root: Path, rendered: dict[str, str]) -> list[str]:
    changed = diff(root, rendered)
    for path in changed:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(rendered[path])
    return changed


def diff(root: Path, rendered: dict[str, str]) -> list[str]:
    return [p for p, text in rendered.items()
            if not (root / p).exists() or (root / p).read_text() != text]


def variables() -> set[str]:
    """Every environment variable a Tandem process reads (services, gateway, broker, tokens)."""
    classes = (KafkaSettings, AuthSettings, *(_load(t) for t in SERVICE_SETTINGS.values()))
    return {f"{_prefix(cls)}{name.upper()}" for cls in classes for name in cls.model_fields}
