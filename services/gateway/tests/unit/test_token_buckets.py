"""Token buckets: burst, refill, Retry-After, and a bounded number of clients."""

from tandem_gateway.ratelimit import TokenBuckets


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_client_gets_its_burst_then_waits_for_refill():
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=3, clock=clock)
    assert [buckets.take("a").allowed for _ in range(4)] == [True, True, True, False]
    refused = buckets.take("a")
    assert refused.retry_after_s == 1 and refused.remaining == 0
    clock.now += 0.5  # one token back at 2/s
    assert buckets.take("a").allowed
    assert not buckets.take("a").allowed


def test_refill_never_exceeds_the_burst():
    clock = Clock()
    buckets = TokenBuckets(rate=100.0, burst=2, clock=clock)
    buckets.take("a")
    clock.now += 3600
    assert [buckets.take("a").allowed for _ in range(3)] == [True, True, False]


def test_slow_rates_ask_for_a_longer_wait():
    buckets = TokenBuckets(rate=0.1, burst=1, clock=Clock())
    buckets.take("a")
    assert buckets.take("a").retry_after_s == 10


def test_clients_do_not_share_buckets_and_the_oldest_idle_ones_are_dropped():
    clock = Clock()
    buckets = TokenBuckets(rate=1.0, burst=1, max_clients=2, clock=clock)
    assert buckets.take("a").allowed and buckets.take("b").allowed
    assert not buckets.take("a").allowed
    buckets.take("c")  # evicts b, the least recently used
    assert buckets.take("b").allowed  # a fresh bucket
    assert not buckets.take("c").allowed
