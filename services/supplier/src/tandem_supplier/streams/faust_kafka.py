"""Faust wired to KafkaSettings: broker URLs, credentials and the consumer's latency knobs.

Faust hard-codes ``fetch_max_wait_ms=1500`` for its consumer; the embedded broker holds every
fetch for the full wait, so the transport below applies ``KAFKA_FETCH_MAX_WAIT_MS`` instead.
"""

from __future__ import annotations

import ssl
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from tandem_kit.settings import KafkaSettings


def broker_urls(settings: KafkaSettings) -> list[str]:
    return [
        f"kafka://{host.strip()}" for host in settings.bootstrap_servers.split(",") if host.strip()
    ]


def credentials(settings: KafkaSettings) -> Any:
    context = None
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(
            cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None
        )
        if settings.ssl_certfile:
            context.load_cert_chain(
                str(settings.ssl_certfile),
                str(settings.ssl_keyfile) if settings.ssl_keyfile else None,
            )
    if settings.security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password.get_secret_value() if settings.sasl_password else None,
            mechanism=settings.sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def faust_options(settings: KafkaSettings) -> dict[str, Any]:
    """Faust settings from KafkaSettings; at-least-once (no transactions, no idempotence)."""
    session = settings.session_timeout_ms / 1000
    return {
        "broker": broker_urls(settings),
        "broker_credentials": credentials(settings),
        "broker_session_timeout": session,
        "broker_heartbeat_interval": settings.heartbeat_interval_ms / 1000,
        "broker_request_timeout": max(settings.request_timeout_ms / 1000, session + 1),
        "broker_rebalance_timeout": max(session * 2, 10.0),
        "processing_guarantee": "at_least_once",
        "producer_acks": -1,
        "consumer_auto_offset_reset": "earliest",
        "topic_replication_factor": settings.replication_factor,
        "topic_allow_declare": True,
        "broker_client_id": f"{settings.client_id_prefix}-supplier-performance",
    }


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = self.app.conf.tandem_fetch_max_wait_ms  # read at start()
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class KafkaApp(faust.App):
    """A Faust app whose consumer honours the configured fetch wait."""

    def __init__(self, app_id: str, *, kafka: KafkaSettings, **options: Any) -> None:
        super().__init__(app_id, **{**faust_options(kafka), **options})
        self.conf.tandem_fetch_max_wait_ms = kafka.fetch_max_wait_ms

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)
