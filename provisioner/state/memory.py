"""State held in memory, for tests of the layers above state.

Owns nothing but a bytes slot, a list of journal entries, kept versions and a lock flag with the same contract as the file backend (it
passes the same contract tests). It must not be used for real stacks: nothing survives the process.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from provisioner.errors import StateError
from provisioner.state.backend import KEEP_VERSIONS, KeptVersion, LockInfo, locked_error, utc_now


class InMemoryBackend:
    def __init__(self, data: bytes | None = None, name: str = "memory"):
        self._data = data
        self._journal: list[bytes] = []
        self._versions: list[tuple[KeptVersion, bytes]] = []  # newest first
        self._name = name
        self._guard = threading.Lock()
        self._holder: LockInfo | None = None
        # let tests of other layers check how state was persisted: whole snapshots, journal appends
        self.writes = 0
        self.appends = 0

    def describe(self) -> str:
        return f"<in-memory {self._name}>"

    def read(self) -> bytes | None:
        with self._guard:
            return self._data

    def write(self, data: bytes) -> None:
        with self._guard:
            self._data = bytes(data)
            self._journal = []
            self.writes += 1

    def keep_version(self, data: bytes, serial: int, run: str) -> None:
        with self._guard:
            kept = KeptVersion(key=str(serial), saved_at=utc_now(), serial=serial, run=run)
            self._versions = [(kept, bytes(data))] + self._versions[:KEEP_VERSIONS - 1]

    def versions(self) -> list[KeptVersion]:
        with self._guard:
            return [kept for kept, _ in self._versions]

    def read_version(self, key: str) -> bytes | None:
        with self._guard:
            return next((data for kept, data in self._versions if kept.key == key), None)

    def read_journal(self) -> list[bytes]:
        with self._guard:
            return list(self._journal)

    def append(self, entries: list[bytes]) -> None:
        with self._guard:
            self._journal.extend(bytes(entry) for entry in entries)
            self.appends += 1

    @contextmanager
    def lock(self, who: str) -> Iterator[None]:
        info = LockInfo(who=who)
        with self._guard:
            if self._holder is not None:
                raise locked_error(self.describe(), self._holder)
            self._holder = info
        try:
            yield
        finally:
            with self._guard:
                if self._holder is info:
                    self._holder = None

    def force_unlock(self, lock_id: str) -> None:
        with self._guard:
            if self._holder is None:
                raise StateError(f"state {self.describe()} is not locked")
            if self._holder.id != lock_id:
                raise StateError(f"state {self.describe()} is locked with id {self._holder.id}, not {lock_id}")
            self._holder = None
