"""Circuit breakers: open after failures in a row, one probe after the pause, close on success."""

from tandem_gateway.breaker import Breakers


class Clock:
    now = 50.0

    def __call__(self):
        return self.now


def test_failures_in_a_row_pause_calls_then_one_probe_decides():
    clock = Clock()
    b = Breakers(threshold=3, open_s=10, clock=clock)
    for _ in range(2):
        assert b.refusal("sales") is None
        b.failed("sales")
    assert b.refusal("sales") is None
    b.failed("sales")
    refusal = b.refusal("sales")
    assert refusal and "sales" in refusal and "3 times" in refusal
    assert b.refusal("customer") is None  # other services are not affected
    clock.now += 10
    assert b.refusal("sales") is None  # the probe
    assert "probing" in b.refusal("sales")  # only one at a time
    b.failed("sales")
    assert b.refusal("sales") is not None  # open again
    clock.now += 10
    assert b.refusal("sales") is None
    b.succeeded("sales")
    assert b.refusal("sales") is None and b.refusal("sales") is None


def test_a_success_resets_the_count():
    b = Breakers(threshold=2, open_s=10, clock=Clock())
    b.failed("x")
    b.succeeded("x")
    b.failed("x")
    assert b.refusal("x") is None
