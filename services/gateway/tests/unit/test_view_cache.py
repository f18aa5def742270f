"""The view cache keeps an answer only while nothing says its customer changed."""

import uuid

from tandem_gateway.viewcache import ViewCache

C1, C2 = str(uuid.uuid4()), str(uuid.uuid4())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tick(cache, clock, seconds):
    """Time passes while the listener keeps hearing from the broker (every half second)."""
    for _ in range(int(seconds * 2)):
        clock.now += 0.5
        cache.followed()


def following(entries=100, ttl_s=30.0, grace_s=2.0):
    clock = Clock()
    cache = ViewCache(entries, ttl_s, follow_grace_s=grace_s, clock=clock)
    cache.followed()
    return cache, clock


def test_an_answer_is_served_until_its_customer_changes():
    cache, clock = following()
    cache.store(("a", C1), C1, cache.ticket(), b"one")
    cache.store(("a", C2), C2, cache.ticket(), b"two")
    tick(cache, clock, 5)
    hit = cache.lookup(("a", C1))
    assert hit is not None and hit.body == b"one" and hit.age_s == 5
    cache.invalidate([C1])
    assert cache.lookup(("a", C1)) is None
    assert cache.lookup(("a", C2)).body == b"two"  # other customers keep theirs


def test_a_composition_that_started_before_its_customer_changed_is_not_kept():
    cache, _ = following()
    ticket = cache.ticket()  # reads begin...
    cache.invalidate([C1])  # ...the customer changes meanwhile...
    assert not cache.store(("a", C1), C1, ticket, b"stale")  # ...so what was read may be old
    assert cache.lookup(("a", C1)) is None
    assert cache.store(("a", C2), C2, ticket, b"fine")  # another customer's is kept
    assert cache.store(("a", C1), C1, cache.ticket(), b"fresh")


def test_nothing_is_served_or_kept_unless_events_are_followed():
    cache, clock = following(grace_s=2.0)
    cache.store(("a", C1), C1, cache.ticket(), b"one")
    clock.now += 2.5  # the listener has not heard from the broker within the grace
    assert not cache.usable and cache.lookup(("a", C1)) is None
    ticket = cache.ticket()
    assert not cache.store(("a", C2), C2, ticket, b"two")
    cache.followed()  # back: what was kept before may have missed events, and so may
    assert cache.lookup(("a", C1)) is None  # a composition that started during the gap
    assert not cache.store(("a", C2), C2, ticket, b"two")
    assert cache.store(("a", C2), C2, cache.ticket(), b"two")
    cache.unfollowed()
    assert not cache.usable and len(cache) == 0


def test_answers_expire_and_the_least_recently_used_go_first():
    cache, clock = following(entries=2, ttl_s=10.0)
    for n in range(2):
        cache.store(("a", n), C1, cache.ticket(), b"%d" % n)
    assert cache.lookup(("a", 0)) is not None  # 0 used: 1 is now the least recent
    cache.store(("a", 2), C2, cache.ticket(), b"2")
    assert cache.lookup(("a", 1)) is None and len(cache) == 2
    tick(cache, clock, 9.5)
    assert cache.lookup(("a", 0)) is not None
    tick(cache, clock, 0.5)
    assert cache.lookup(("a", 0)) is None  # 10 s old
    cache.invalidate([C2])  # its index follows evictions and expiry
    assert len(cache) == 0


def test_one_write_or_event_drops_every_answer_of_the_customer():
    cache, _ = following()
    for subject in ("ann", "bob"):
        cache.store(("a", C1, subject), C1, cache.ticket(), subject.encode())
    cache.invalidate([C1, C1])
    assert len(cache) == 0


def test_forgetting_old_invalidations_refuses_only_compositions_older_than_them():
    cache = ViewCache(100, 30.0, max_tracked=2, clock=Clock())
    cache.followed()
    ticket = cache.ticket()
    cache.invalidate([str(uuid.uuid4()) for _ in range(3)])  # one more than it remembers
    assert not cache.store(("a", C1), C1, ticket, b"x")
    later = cache.ticket()
    cache.invalidate([str(uuid.uuid4()) for _ in range(50)])  # many more names, none C1's
    assert cache.store(("a", C1), C1, later, b"x") is False  # started before forgotten ones
    fresh = cache.ticket()
    cache.invalidate([str(uuid.uuid4())])  # forgets one named before `fresh` was taken:
    assert cache.store(("a", C1), C1, fresh, b"x")  # the cache keeps working (no collapse)
    assert cache.lookup(("a", C1)).body == b"x"


def test_no_entries_means_no_cache():
    cache = ViewCache(0, 30.0)
    cache.followed()
    assert not cache.enabled and not cache.usable
    assert not cache.store(("a", C1), C1, cache.ticket(), b"x")


def test_the_kept_bodies_stay_within_their_memory_budget():
    cache = ViewCache(100, 30.0, max_bytes=10, clock=Clock())
    cache.followed()
    cache.store(("a", 1), C1, cache.ticket(), b"12345")
    cache.store(("a", 2), C2, cache.ticket(), b"1234")
    cache.store(("a", 1), C1, cache.ticket(), b"123")  # replaced: counted once
    assert cache.bytes == 7 and len(cache) == 2
    cache.store(("a", 3), C2, cache.ticket(), b"12345")  # over 10: the oldest goes
    assert cache.bytes == 8 and cache.lookup(("a", 2)) is None
    assert not cache.store(("a", 4), C1, cache.ticket(), b"x" * 11)  # never fits
    cache.invalidate([C1, C2])
    assert cache.bytes == 0 and len(cache) == 0
