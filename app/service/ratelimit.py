"""How many requests one client may send per minute: a sliding window per address.

``RateLimiter.admit(client)`` says yes, or how many seconds to wait. The
address is only a key in this process's memory for a minute, never logged nor
stored. Each worker process counts its own clients, so with ``N`` workers a
client may get up to ``N`` times the limit: the limit is there to stop a flood,
not to meter. Memory is bounded: past ``MAX_CLIENTS`` addresses, the ones whose
window has passed are dropped, then the least recently seen.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

WINDOW_S = 60.0
MAX_CLIENTS = 10_000


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.max_clients = max_clients
        self.seen: OrderedDict[str, deque[float]] = OrderedDict()

    def admit(self, client: str) -> float | None:
        """``None`` when ``client`` may go on (and counts it), else the seconds to wait."""
        now = self.clock()
        times = self.seen.pop(client, None) or deque()
        while times and times[0] <= now - WINDOW_S:
            times.popleft()
        self.seen[client] = times  # most recently seen last
        if len(times) >= self.per_minute:
            return max(1.0, times[0] + WINDOW_S - now)
        times.append(now)
        self._forget(now)
        return None

    def _forget(self, now: float) -> None:
        if len(self.seen) <= self.max_clients:
            return
        for client in [c for c, times in self.seen.items() if times[-1] <= now - WINDOW_S]:
            del self.seen[client]
        while len(self.seen) > self.max_clients:
            self.seen.popitem(last=False)
