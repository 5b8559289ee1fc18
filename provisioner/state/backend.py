"""The storage seam for state: dumb get/put of a snapshot, an append-only journal, and a lock.

Owns the StateBackend protocol (Terraform's remote.Client + Locker, plus a journal of small
entries beside the snapshot, so recording one change does not rewrite the whole state, and kept
versions: the state as it was before each run that wrote), the record that says who holds a lock,
the record that describes a kept version, and the wording of "state is locked". It must not parse state or
journal entries, bump serials or check lineage: the manager does that once for every backend.
"""
from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import ContextManager, Protocol, runtime_checkable

from provisioner.errors import StateLockedError


@runtime_checkable
class StateBackend(Protocol):
    def read(self) -> bytes | None:
        """The stored document, or None when nothing has been written yet."""

    def write(self, data: bytes) -> None:
        """Replace the snapshot atomically (a reader sees the old bytes or the new), then drop the journal.

        The new snapshot holds everything the journal held, so a crash between the two steps is
        harmless: the manager skips entries the snapshot already has."""

    def read_journal(self) -> list[bytes]:
        """The journal entries appended since the last write, oldest first; the last may be torn."""

    def append(self, entries: list[bytes]) -> None:
        """Add entries (each one line, without a newline) to the journal, durably, before returning."""

    def keep_version(self, data: bytes, serial: int, run: str) -> None:
        """Keep `data`, the state at `serial` before run `run` changed it, as a version to restore.

        Durably, before returning: the caller changes the state only after. A backend keeps a
        bounded number of them (the local file: one, `<path>.backup`), dropping the oldest."""

    def versions(self) -> list["KeptVersion"]:
        """The kept versions, newest first, without their data."""

    def read_version(self, key: str) -> bytes | None:
        """The data of the kept version with this key, or None if it is no longer kept."""

    def lock(self, who: str) -> ContextManager[None]:
        """Hold the state exclusively; raise StateLockedError naming the holder if it is taken."""

    def force_unlock(self, lock_id: str) -> None:
        """Remove the lock with this id, left by a run that is gone; raise StateError if no such lock."""

    def describe(self) -> str:
        """Where the state lives, as the user would name it, e.g. 'state/support-bot.json'."""


# How many versions a backend that can keep several (PostgreSQL) keeps.
KEEP_VERSIONS = 20


@dataclass(frozen=True)
class KeptVersion:
    """A kept version as a backend lists it: `key` names it to read_version; a backend that stores
    no more than the document leaves `serial` and `run` None (the caller reads the serial from it)."""
    key: str
    saved_at: str
    serial: int | None = None
    run: str | None = None


def utc_text(moment: datetime) -> str:
    """A moment as the tool prints it: UTC, to the second, e.g. 2026-01-31T12:00:00Z."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def utc_now() -> str:
    return utc_text(datetime.now(timezone.utc))


@dataclass(frozen=True)
class LockInfo:
    who: str
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    created: str = field(default_factory=utc_now)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> "LockInfo | None":
        """The lock record, or None if it is unreadable (then the holder cannot be named)."""
        try:
            raw = json.loads(data.decode("utf-8"))
            return cls(who=str(raw["who"]), pid=int(raw["pid"]), host=str(raw["host"]),
                       created=str(raw["created"]), id=str(raw["id"]))
        except (ValueError, KeyError, TypeError):
            return None

    def __str__(self) -> str:
        return f"{self.who} (pid {self.pid} on {self.host}, since {self.created}, lock id {self.id})"


def locked_error(where: str, holder: LockInfo | None, note: str = "") -> StateLockedError:
    """The one wording of "locked", so every backend tells the user the same things.

    The backend cannot know the command line that names this state; the CLI, which does, replaces
    the hint with `unlock_hint` of a command that works when pasted."""
    named = str(holder) if holder else "an unknown holder (the lock record is unreadable)"
    message = f"state {where} is locked by {named}" + (f"; {note}" if note else "")
    lock_id = holder.id if holder else None
    return StateLockedError(message, lock_id=lock_id,
                            hint=unlock_hint(f"provisioner force-unlock PATH {lock_id or 'LOCK_ID'}"))


def unlock_hint(command: str) -> str:
    return f"wait for that run to finish; if it is no longer running, release the lock with `{command}`"
