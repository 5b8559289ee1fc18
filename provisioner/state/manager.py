"""Loading and saving one stack's state: serial, lineage, the journal and the stale-write checks.

Owns the rules every backend shares: a missing state is an empty one with a fresh lineage; each
recorded change bumps the serial by one; a write is refused if the stored state belongs to another
lineage or moved on since it was read; no credentials are ever written.

Recording a change costs the size of the change, not of the state: it is applied to the state held
here and appended to the backend's journal (see provisioner.state.journal), durably, before
`record` returns. Threads recording at the same time share one append and one flush (group
commit). The stored state is the snapshot with the journal replayed over it; the serial counts
journal entries too, so a saved plan still names the exact revision it was made at. The journal is
folded into the snapshot when a lock is released (the end of a run) and when a run that holds the
lock loads a state that still has a journal (a crashed run's); folding does not change the serial.

Before a run's first change (its first append or snapshot write under the lock), the state as it
was is handed to the backend as a kept version (`keep_version`), so every run that writes can be
undone with `provisioner state restore`; a write without a lock keeps the state it replaces.

Readers that take no lock (plan, drift, show) load while a run appends and folds: `_read` reads
the journal before the snapshot, so a fold in between shows as a newer snapshot whose serial covers
every entry read (replay skips them), never as a lost or doubled entry; a snapshot only ever moves
forward (a restore too takes a new serial), so this holds across any number of folds.

It is safe to call from several threads (the applier records results from parallel workers). It
must not know where or how bytes are stored: that is the backend's job.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from provisioner.errors import StateError
from provisioner.state.backend import StateBackend
from provisioner.state.journal import apply_entry, encode_entry, replay
from provisioner.state.model import ResourceState, State, decode, encode
from provisioner.state.secrets import refuse_secrets

log = logging.getLogger(__name__)


class StateManager:
    def __init__(self, backend: StateBackend, stack_name: str):
        self.backend = backend
        self.stack_name = stack_name
        # Guards the state held here; reentrant so that persist() can load().
        self._mutex = threading.RLock()
        # Held by whoever is appending, so entries reach the journal in serial order.
        self._flushing = threading.Lock()
        self._current: State | None = None
        self._pending: list[bytes] = []  # entries applied here, not yet appended
        self._durable = 0  # the serial up to which the journal holds this manager's entries
        self._journaled = False  # the stored journal holds entries not yet folded into the snapshot
        self._failed: StateError | None = None  # an append failed: what is held here is not stored
        self._locked = False
        self._run: str | None = None  # who holds the lock, as the kept version names the run
        self._pre_run_kept = False  # this lock's run already kept the state as it was before it

    @contextmanager
    def lock(self, who: str) -> Iterator[None]:
        """Hold the stack's state for a whole run (see StateBackend.lock); fold the journal at the end."""
        with self.backend.lock(who):
            self._locked, self._run, self._pre_run_kept = True, who, False
            try:
                yield
            except BaseException:
                try:
                    self.compact()
                except StateError as exc:  # the run's own error matters more; the journal is replayed later
                    log.warning("could not fold the journal into state %s: %s", self.backend.describe(), exc)
                raise
            else:
                self.compact()
            finally:
                self._locked, self._run = False, None

    def force_unlock(self, lock_id: str) -> None:
        """Release a lock left by a run that is gone (`provisioner force-unlock PATH LOCK_ID`)."""
        self.backend.force_unlock(lock_id)

    def load(self) -> State:
        """The stored state, or an empty one with a fresh lineage; a private copy for the caller."""
        with self._flushing, self._mutex:
            stored, journaled = self._read()
            if stored is not None and stored.stack != self.stack_name:
                # Planning against another stack's state would propose deleting all of it.
                raise StateError(
                    f"state {self.backend.describe()} belongs to stack {stored.stack!r},"
                    f" not {self.stack_name!r}",
                    hint="check the state path configured for this stack",
                )
            self._current = stored if stored is not None else State.new(self.stack_name)
            self._pending, self._durable, self._failed = [], self._current.serial, None
            self._journaled = journaled
            if journaled and self._locked:
                # a crashed run's journal: fold it now, so this run appends to an empty one
                self._write_snapshot(self._current)
            return self._current.model_copy(deep=True)

    def current(self) -> State:
        """A copy of the state as last loaded or written by this manager (loading it if need be); it
        costs the size of the state, so the applier, which records after every call, never reads it."""
        self._ensure_loaded()
        with self._mutex:
            return self._held().model_copy(deep=True)

    def _ensure_loaded(self) -> None:
        # not under the mutex: load() takes the append lock first, like every writer
        if self._current is None:
            self.load()

    def _held(self) -> State:
        """The state held here, once loaded (`_ensure_loaded`)."""
        if self._current is None:
            raise StateError(f"state {self.backend.describe()} was used before it was loaded")
        return self._current

    def persist(self, state: State) -> State:
        """Write `state` whole as the next serial and return what was written.

        `state.serial` must be the serial it was loaded at: if the stored one moved on, someone else
        wrote in between and writing would silently drop their changes.
        """
        with self._flushing, self._mutex:
            self._flush_pending()
            where = self.backend.describe()
            if state.stack != self.stack_name:
                raise StateError(
                    f"refusing to write state of stack {state.stack!r} to {where}, the state of {self.stack_name!r}"
                )
            self._check_stored(state)
            try:
                document = state.model_dump(mode="json")
                document["serial"] = state.serial + 1
                # Validate again: callers may have edited the dicts in place, and what we write
                # must be readable by the next load.
                new = State.model_validate(document)
            except ValueError as exc:
                raise StateError(f"refusing to write state {where}: not a valid state document: {exc}") from exc
            refuse_secrets(document, where)
            self._write_snapshot(new)
            self._current, self._durable = new, new.serial
            return new.model_copy(deep=True)

    def compact(self) -> None:
        """Fold the journal into the snapshot; the serial stays. Nothing to do if the journal is empty."""
        with self._flushing, self._mutex:
            if self._current is None:
                return
            self._flush_pending()
            if not self._journaled:
                return
            self._check_stored(self._current)
            self._write_snapshot(self._current)

    def record(self, address: str, resource: ResourceState | None) -> None:
        """Set (or with None, remove) one resource, durably, before returning: a crash loses nothing."""
        if resource is not None and resource.address != address:
            raise ValueError(f"resource for {address!r} carries address {resource.address!r}")
        if resource is None:
            self._commit({"op": "remove", "address": address})
        else:
            document = resource.model_dump(mode="json")
            refuse_secrets({"resources": {address: document}}, self.backend.describe())
            self._commit({"op": "set", "address": address, "resource": document})

    def record_members(self, address: str, changed: dict[str, Any], removed: Sequence[str] = ()) -> None:
        """Set some members of a recorded vector store's `files` and drop others, without the rest."""
        if changed or removed:
            refuse_secrets({"resources": {address: {"attributes": {"files": changed}}}}, self.backend.describe())
            self._commit({"op": "members", "address": address, "set": changed, "remove": list(removed)})

    def _commit(self, body: dict[str, Any]) -> None:
        """Apply one entry here and append it durably (the caller checked it holds no secrets)."""
        self._ensure_loaded()
        with self._mutex:
            if self._failed is not None:
                raise self._failed
            state = self._held()
            body = {**body, "stack": state.stack, "lineage": state.lineage, "serial": state.serial + 1}
            entry = encode_entry(body)
            apply_entry(state, body)
            state.serial += 1
            self._pending.append(entry)
            mine = state.serial
        with self._flushing:
            if self._durable < mine:  # else another thread's append carried this entry too
                self._flush_pending()

    def _flush_pending(self) -> None:
        """Append what is pending (the caller holds the append lock; others may queue meanwhile)."""
        with self._mutex:
            if self._failed is not None:
                raise self._failed
            if not self._pending:
                return
            entries, upto = self._pending, self._held().serial
            self._pending = []
        try:
            self._keep_pre_run()
            self.backend.append(entries)
        except StateError as exc:
            # what is held here now runs ahead of what is stored: refuse every later record
            self._failed = exc
            raise
        self._durable, self._journaled = upto, True

    def _check_stored(self, state: State) -> None:
        """Refuse to overwrite a stored state of another lineage or at another serial than `state`'s."""
        where = self.backend.describe()
        stored, _ = self._read()
        if stored is not None and stored.lineage != state.lineage:
            raise StateError(
                f"refusing to write state {where}: it has lineage {stored.lineage},"
                f" the state being written has {state.lineage}",
                hint="these are different histories of the stack (another copy of the state?);"
                " check which one is right before overwriting anything",
            )
        stored_serial = stored.serial if stored is not None else 0
        if stored_serial > state.serial:
            raise StateError(
                f"refusing to write state {where}: it is at serial {stored_serial}, but this"
                f" run read it at serial {state.serial}; another run wrote it meanwhile",
                hint="run plan again against the current state",
            )
        if stored_serial < state.serial:
            raise StateError(
                f"refusing to write state {where}: it is at serial {stored_serial}, older than"
                f" the serial {state.serial} this run read; it was replaced or restored meanwhile",
                hint="check what happened to the state before applying; then run plan again",
            )

    def _write_snapshot(self, state: State) -> None:
        self._keep_pre_run()
        self.backend.write(encode(state))
        self._journaled = False

    def _keep_pre_run(self) -> None:
        """Keep the stored state as a version before the first change of this run (see the module)."""
        if self._pre_run_kept:
            return
        stored, _ = self._read()
        if stored is not None:
            self.backend.keep_version(encode(stored), stored.serial, self._run or "a write without a lock")
        self._pre_run_kept = self._locked

    def _read(self) -> tuple[State | None, bool]:
        """The stored state with its journal replayed, and whether it had a journal."""
        where = self.backend.describe()
        # the journal first: a compaction in between then shows as a newer snapshot, never a lost entry
        entries = self.backend.read_journal()
        data = self.backend.read()
        snapshot = decode(data, where) if data is not None else None
        return replay(snapshot, entries, where), bool(entries)
