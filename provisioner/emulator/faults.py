"""Switches that make the emulator slow or unreliable on purpose, repeatably.

Owns the seeded choice of which /v1 request gets a fault and which kind. Must not act on the
connection itself; server.py turns a decision into a 429, a 500 or a dropped connection.
"""

from __future__ import annotations

import random
import threading
from types import EllipsisType

from .config import ALL_FAULT_KINDS, EmulatorConfig


class FaultInjector:
    def __init__(self, config: EmulatorConfig) -> None:
        self._rate = config.fault_rate
        self._kinds = list(config.fault_kinds)
        self._seed = config.fault_seed
        # One generator consumed in request order: the same seed and the same sequential
        # client give the same faults on every run.
        self._random = random.Random(config.fault_seed)
        self._lock = threading.Lock()

    def configure(self, rate: float | None = None, kinds: str | list[str] | None = None,
                  seed: int | None | EllipsisType = ...) -> None:
        """Change faults at run time (POST /_emulator/faults); a given seed restarts the sequence."""
        with self._lock:
            if rate is not None:
                rate = float(rate)
                if not 0.0 <= rate <= 1.0:
                    raise ValueError("rate must be between 0 and 1")
                self._rate = rate
            if kinds is not None:
                chosen = [kinds] if isinstance(kinds, str) else list(kinds)
                unknown = set(chosen) - set(ALL_FAULT_KINDS)
                if unknown:
                    raise ValueError(f"unknown fault kinds {sorted(unknown)}")
                self._kinds = chosen
            if not isinstance(seed, EllipsisType):  # `...`: the seed was not given
                self._seed = seed
                self._random = random.Random(seed)

    def settings(self) -> dict[str, object]:
        with self._lock:
            return {"rate": self._rate, "kinds": list(self._kinds), "seed": self._seed}

    def next_fault(self) -> str | None:
        """None for a normal answer, else one of ALL_FAULT_KINDS."""
        if self._rate <= 0 or not self._kinds:
            return None
        with self._lock:
            if self._random.random() >= self._rate:
                return None
            return self._random.choice(self._kinds)


class RequestCounter:
    """Counts /v1 requests by `METHOD /v1/route/{id}` so benchmarks can count API calls, plus the
    injected faults by kind and the requests a limit refused (`limited`, e.g. `vector_store_writes`)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._faults: dict[str, int] = {}
        self._limited: dict[str, int] = {}
        self._lock = threading.Lock()

    def _bump(self, counts: dict[str, int], key: str) -> None:
        with self._lock:
            counts[key] = counts.get(key, 0) + 1

    def add(self, route: str) -> None:
        self._bump(self._counts, route)

    def add_fault(self, kind: str) -> None:
        self._bump(self._faults, kind)

    def add_limited(self, limit: str) -> None:
        self._bump(self._limited, limit)

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "requests": dict(sorted(self._counts.items())),
                "total": sum(self._counts.values()),
                "faults": dict(sorted(self._faults.items())),
                "limited": dict(sorted(self._limited.items())),
            }

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._faults.clear()
            self._limited.clear()
