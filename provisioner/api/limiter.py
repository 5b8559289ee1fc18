"""Client-side pacing of writes to one vector store: OpenAI takes at most 300 a minute per store.

Owns a sliding window per store id, shared by every thread that uses one Api (one apply), and the
hold-off a 429 puts on a whole store, so threads writing to it wait together instead of each
finding the limit on its own. Must not call the API or know the SDK.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

STORE_WRITE_LIMIT = 300
STORE_WRITE_WINDOW_SECONDS = 60.0
# The server counts a write when it arrives, this side when it leaves: a write held up on the way
# would still be in the server's window when this one says it left it. A second covers that.
MARGIN_SECONDS = 1.0


class StoreWriteLimiter:
    def __init__(self, limit: int = STORE_WRITE_LIMIT, window_seconds: float = STORE_WRITE_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.limit = limit
        self.window = window_seconds + MARGIN_SECONDS
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, deque[float]] = {}
        self._held_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def acquire(self, store_id: str) -> float:
        """Wait until one more write to the store keeps within the limit, count it, and return the
        seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                sent = self._sent.setdefault(store_id, deque())
                while sent and sent[0] <= now - self.window:
                    sent.popleft()
                wait = self._held_until.get(store_id, now) - now
                if wait <= 0 and len(sent) >= self.limit:
                    wait = sent[0] + self.window - now
                if wait <= 0:
                    sent.append(now)
                    return waited
            self._sleep(wait)
            waited += wait

    def hold_off(self, store_id: str, seconds: float) -> None:
        """The server said to wait: no thread writes to this store for `seconds`."""
        with self._lock:
            until = self._clock() + seconds
            self._held_until[store_id] = max(until, self._held_until.get(store_id, until))
