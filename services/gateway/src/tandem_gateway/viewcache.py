"""Composed answers of the customer 360, kept while no event says the customer changed.

A 360 costs a call to two services and their reads; the same customer's 360 is asked for again
and again (a screen refreshed, several people on one account) while it rarely changes. So the
gateway keeps each complete answer, per customer and per caller (subject and roles: the
services decide what a caller sees), and drops it as soon as the customer may have changed:

- **Events.** ``InvalidationListener`` follows every topic whose events change a part of a
  360 (customers, contacts, activities, tickets, customer value, orders, opportunities) and
  drops the customers they name. A change made anywhere (another gateway, a worker, an import)
  reaches every gateway this way, as fast as the services' own events travel after a quiet
  spell, and up to about twice the listener's ``gather_ms`` (250 ms) later while events flow:
  each replica then reads them in a few fetches a second rather than one per event.
- **Writes through this gateway.** A successful write drops the customers it names (path,
  request or answer) before its answer leaves, or every answer when it names none: a client
  that writes and then reads its 360 through the same gateway replica sees its write. Other
  replicas learn of it from its event, a few tenths of a second later (longer while the
  owning service's relay is down: at most ``ttl_s``).
- **Only while events are followed.** Answers are served only while the listener has heard
  from the broker within ``follow_grace_s``: with the broker or the listener down, every 360
  is composed afresh (and nothing kept from before is served again).
- **A race-free store.** A composition that started before an invalidation of its customer is
  not kept (``ticket``/``store``): it may hold what was just changed.
- **Bounded.** At most ``max_entries`` answers and ``max_bytes`` of them (least recently used
  go first), each for at most ``ttl_s``: the longest a change that announces itself by no
  event (none should) can stay hidden. ``Cache-Control: no-cache`` on a request skips the
  cache for that request.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from prometheus_client import Counter

VIEW_CACHE = Counter(
    "tandem_gateway_view_cache_total",
    "Aggregated reads by how the view cache answered them",
    ["view", "outcome"],  # hit, miss, bypass (no-cache asked), off (cache unusable)
)


@dataclass(frozen=True)
class Ticket:
    """Where invalidation stood when a composition started."""

    generation: int
    counter: int


@dataclass(frozen=True)
class Hit:
    body: bytes
    age_s: float


class ViewCache:
    """Answers by key, each for one customer; see the module docstring for the rules."""

    def __init__(
        self,
        max_entries: int,
        ttl_s: float,
        *,
        max_bytes: int = 64 * 1024 * 1024,
        follow_grace_s: float = 2.0,
        max_tracked: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0  # the bodies kept, in all
        self.ttl_s = ttl_s
        self.follow_grace_s = follow_grace_s
        self._max_tracked = max_tracked
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[str, bytes, float]] = OrderedDict()
        self._by_customer: dict[str, set[Hashable]] = {}
        # Customer -> the counter value of its last invalidation (most recent last).
        self._invalidated: OrderedDict[str, int] = OrderedDict()
        self._counter = 0
        # Compositions that started before this counter value are refused: invalidations up to
        # it were forgotten (see ``invalidate``), so whom they named is no longer known.
        self._floor = 0
        self._generation = 0
        self._followed_until = float("-inf")

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    @property
    def usable(self) -> bool:
        """Enabled, and events are followed: answers may be served and kept."""
        return self.enabled and self._clock() < self._followed_until

    def __len__(self) -> int:
        return len(self._entries)

    # -- the listener's side ------------------------------------------------------------------

    def followed(self) -> None:
        """The listener heard from the broker just now: every event up to here is applied.

        After a spell without (start, lost broker, a stalled listener) nothing composed before
        is kept: its reads may predate events the listener never applied."""
        now = self._clock()
        if now >= self._followed_until:
            self.invalidate_all()
        self._followed_until = now + self.follow_grace_s

    def unfollowed(self) -> None:
        """The listener lost the broker (or stopped): nothing kept can be trusted any more."""
        self._followed_until = float("-inf")
        self.invalidate_all()

    # -- invalidation -------------------------------------------------------------------------

    def invalidate(self, customers: Iterable[str | uuid.UUID]) -> None:
        for customer in customers:
            key = str(customer)
            self._counter += 1
            self._invalidated[key] = self._counter
            self._invalidated.move_to_end(key)
            for entry in self._by_customer.pop(key, ()):
                dropped = self._entries.pop(entry, None)
                if dropped is not None:
                    self.bytes -= len(dropped[1])
        while len(self._invalidated) > self._max_tracked:
            # Forgetting when a customer was invalidated could let a composition that started
            # before it be kept: compositions that started before it are refused instead.
            _, counter = self._invalidated.popitem(last=False)
            self._floor = max(self._floor, counter)

    def invalidate_all(self) -> None:
        self._generation += 1
        self._entries.clear()
        self._by_customer.clear()
        self._invalidated.clear()
        self.bytes = 0

    # -- the reader's side --------------------------------------------------------------------

    def ticket(self) -> Ticket:
        """Take before composing an answer; ``store`` refuses it if the customer changed since."""
        return Ticket(self._generation, self._counter)

    def lookup(self, key: Hashable) -> Hit | None:
        if not self.usable:
            return None
        found = self._entries.get(key)
        if found is None:
            return None
        customer, body, stored_at = found
        age = self._clock() - stored_at
        if age >= self.ttl_s:
            self._drop(key, customer)
            return None
        self._entries.move_to_end(key)
        return Hit(body, age)

    def store(self, key: Hashable, customer: str | uuid.UUID, ticket: Ticket, body: bytes) -> bool:
        """Keep ``body`` unless the cache is unusable or ``customer`` changed since ``ticket``."""
        customer = str(customer)
        if not self.usable or ticket.generation != self._generation or ticket.counter < self._floor:
            return False
        if self._invalidated.get(customer, -1) > ticket.counter or len(body) > self.max_bytes:
            return False
        self._drop(key, customer)  # an answer kept before for the same key: replaced
        self._entries[key] = (customer, body, self._clock())
        self.bytes += len(body)
        self._by_customer.setdefault(customer, set()).add(key)
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            old_key, (old_customer, _, _) = next(iter(self._entries.items()))
            self._drop(old_key, old_customer)
        return True

    def _drop(self, key: Hashable, customer: str) -> None:
        dropped = self._entries.pop(key, None)
        if dropped is not None:
            self.bytes -= len(dropped[1])
        self._unindex(key, customer)

    def _unindex(self, key: Hashable, customer: str) -> None:
        keys = self._by_customer.get(customer)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_customer[customer]
