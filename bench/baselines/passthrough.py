"""Raw baseline for the demand stream: a Faust agent that only forwards each order event.

Same Faust app and settings as the procurement demand join (the kit's KafkaApp: at_least_once,
memory store, commit interval, session and fetch wait from KafkaSettings), an input topic shaped
as sales.orders.v1 (same partitions, same records), one output record per input record.
"""

from __future__ import annotations

from typing import Any

import faust

from tandem_contracts import sales
from tandem_kit.settings import KafkaSettings
from tandem_kit.streams import KafkaApp

OUTPUT_TOPIC = "bench.passthrough.v1"
# Its own copy of the backlog, so that it can run beside the join on one broker.
INPUT_TOPIC = "bench.passthrough-in.v1"


def build_passthrough(
    kafka: KafkaSettings, app_id: str = "bench-passthrough", source_topic: str = INPUT_TOPIC
) -> faust.App:
    app = KafkaApp(
        app_id,
        kafka=kafka,
        # As the demand join: the kit's Faust wiring, sends leave at commit, commits every 50 ms.
        stream_publish_on_commit=True,
        broker_commit_interval=0.05,
        store="memory://",
        topic_partitions=sales.ORDERS.partitions,
        web_enabled=False,
        stream_wait_empty=False,
    )
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
