"""The per-vector-store write limit: at most N writes to one store in any window of S seconds.

Owns which requests count as writes to a store and the sliding window per store id. OpenAI
limits writes to a vector store to 300 a minute; a client that sends more gets 429 with
`Retry-After`, and must slow down rather than fail. Must not touch storage or the socket:
server.py asks `refuse` and answers the error it gets back.

What counts: every POST or DELETE on a route under `/v1/vector_stores/{id}` (updating and
deleting the store, attaching, re-attributing and detaching files, creating and cancelling file
batches). Creating a store counts against no store (it has no id yet), reads never count, and a
request refused by the limit does not count, so a client that waits as told gets through.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Callable

from .errors import ApiError, store_write_limited

WRITE_METHODS = frozenset({"POST", "DELETE"})
STORE_ROUTE_PREFIX = "/v1/vector_stores/{id}"


class StoreWriteLimiter:
    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def refuse(self, method: str, route: str, params: dict[str, str]) -> ApiError | None:
        """The 429 for a store write over the limit; None (and the write counted) otherwise.

        `route` is the matched route with ids as `{id}`, `params` its path parameters."""
        store_id = params.get("vector_store_id")
        if method not in WRITE_METHODS or not route.startswith(STORE_ROUTE_PREFIX) or store_id is None:
            return None
        wait = self.admit(store_id)
        if wait is None:
            return None
        return store_write_limited(store_id, self.limit, self.window, max(1, math.ceil(wait * 1000)))

    def admit(self, vector_store_id: str) -> float | None:
        """None if the write may go ahead (and it is counted), else the seconds until it may."""
        if self.limit <= 0:
            return None
        with self._lock:
            now = self._clock()
            sent = self._sent.setdefault(vector_store_id, deque())
            while sent and sent[0] <= now - self.window:
                sent.popleft()
            if len(sent) < self.limit:
                sent.append(now)
                return None
            return sent[0] + self.window - now
