"""Raw baseline for the demand stream: a Faust agent that only forwards each order event.

Same Faust settings as the procurement demand join (at_least_once, memory store, commit
interval, session and fetch wait from KafkaSettings), an input topic shaped as sales.orders.v1
(same partitions, same records), one output record per input record.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_kafka

from tandem_contracts import sales
from tandem_kit.settings import KafkaSettings

OUTPUT_TOPIC = "bench.passthrough.v1"
# Its own copy of the backlog, so that it can run beside the join on one broker.
INPUT_TOPIC = "bench.passthrough-in.v1"


def _transport(fetch_max_wait_ms: int) -> type:
    """Faust fixes fetch_max_wait_ms at 1500 ms; use the broker's setting, as procurement does."""

    class ConsumerThread(faust_kafka.AIOKafkaConsumerThread):
        def _create_worker_consumer(self, transport):  # type: ignore[no-untyped-def]
            consumer = super()._create_worker_consumer(transport)
            consumer._fetch_max_wait_ms = fetch_max_wait_ms
            return consumer

    class Consumer(faust_kafka.Consumer):
        def _new_consumer_thread(self):  # type: ignore[no-untyped-def]
            return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    class Transport(faust_kafka.Transport):
        pass

    Transport.Consumer = Consumer
    return Transport


class PassthroughApp(faust.App):
    fetch_max_wait_ms: int = 10

    def _new_transport(self):  # type: ignore[no-untyped-def]
        return _transport(self.fetch_max_wait_ms)(self.conf.broker_consumer, self)


def build_passthrough(
    kafka: KafkaSettings, app_id: str = "bench-passthrough", source_topic: str = INPUT_TOPIC
) -> faust.App:
    session = kafka.session_timeout_ms / 1000
    app = PassthroughApp(
        app_id,
        broker=[f"kafka://{s.strip()}" for s in kafka.bootstrap_servers.split(",")],
        broker_client_id=f"{kafka.client_id_prefix}-{app_id}",
        broker_session_timeout=session,
        broker_rebalance_timeout=session,
        broker_heartbeat_interval=kafka.heartbeat_interval_ms / 1000,
        broker_request_timeout=max(kafka.request_timeout_ms / 1000, session + 1),
        # As the demand join: sends leave at commit, commits every 50 ms.
        stream_publish_on_commit=True,
        broker_commit_interval=0.05,
        processing_guarantee="at_least_once",
        producer_acks=-1,
        store="memory://",
        topic_partitions=sales.ORDERS.partitions,
        topic_replication_factor=kafka.replication_factor,
        topic_allow_declare=kafka.create_topics,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        stream_wait_empty=False,
    )
    app.fetch_max_wait_ms = kafka.fetch_max_wait_ms
    raw: dict[str, Any] = {
        "key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"
    }
    source = app.topic(source_topic, partitions=sales.ORDERS.partitions, **raw)
    sink = app.topic(OUTPUT_TOPIC, partitions=sales.ORDERS.partitions, **raw)

    @app.agent(source)
    async def forward(stream: faust.StreamT) -> None:
        async for event in stream.events():
            headers = event.headers
            if isinstance(headers, dict):
                headers = list(headers.items())
            await sink.send(key=event.key, value=event.value, headers=headers)

    return app
