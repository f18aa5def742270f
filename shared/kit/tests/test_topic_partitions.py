"""A reader that places records by partition itself refuses topics partitioned otherwise than
their contracts say."""

import dataclasses

import pytest

from tandem_kit.kafka import PartitionMismatch, check_partitions, ensure_topics
from tandem_kit.testing.samples import make_topic


async def test_topics_as_their_contracts_say_or_not_there_yet_pass(kafka_settings):
    made, absent = make_topic(), make_topic()
    await ensure_topics(kafka_settings, [made])
    await check_partitions(kafka_settings, [made, absent])


async def test_a_topic_with_another_partition_count_is_refused_by_name(kafka_settings):
    contract, fine = make_topic(), make_topic()  # three partitions each
    deployed = dataclasses.replace(contract, partitions=2)  # as someone created it by hand
    await ensure_topics(kafka_settings, [deployed, fine])
    with pytest.raises(PartitionMismatch) as refused:
        await check_partitions(kafka_settings, [contract, fine])
    assert f"{contract.name} has 2 partitions, its contract 3" in str(refused.value)
    assert fine.name not in str(refused.value)
