"""Loading and saving one stack's state: serial, lineage and the stale-write checks.

Owns the rules every backend shares: a missing state is an empty one with a fresh lineage; each
write bumps the serial; a write is refused if the stored state belongs to another lineage or moved
on since it was read; no credentials are ever written. It is safe to call from several threads (the
applier records results from parallel workers). It must not know where or how bytes are stored:
that is the backend's job.
"""
from __future__ import annotations

import threading
from typing import ContextManager

from provisioner.errors import StateError
from provisioner.state.backend import StateBackend
from provisioner.state.model import ResourceState, State, decode, encode
from provisioner.state.secrets import refuse_secrets


class StateManager:
    def __init__(self, backend: StateBackend, stack_name: str):
        self.backend = backend
        self.stack_name = stack_name
        # Reentrant so that record() can hold it across its read-modify-persist and call persist().
        self._mutex = threading.RLock()
        self._current: State | None = None

    def lock(self, who: str) -> ContextManager[None]:
        """Hold the stack's state for a whole apply (see StateBackend.lock)."""
        return self.backend.lock(who)

    def force_unlock(self, lock_id: str) -> None:
        """Release a lock left by a run that is gone (`provisioner force-unlock PATH LOCK_ID`)."""
        self.backend.force_unlock(lock_id)

    def load(self) -> State:
        """The stored state, or an empty one with a fresh lineage; a private copy for the caller."""
        with self._mutex:
            stored = self._read()
            if stored is not None and stored.stack != self.stack_name:
                # Planning against another stack's state would propose deleting all of it.
                raise StateError(
                    f"state {self.backend.describe()} belongs to stack {stored.stack!r},"
                    f" not {self.stack_name!r}",
                    hint="check the state path configured for this stack",
                )
            self._current = stored if stored is not None else State.new(self.stack_name)
            return self._current.model_copy(deep=True)

    def current(self) -> State:
        """A copy of the state as last loaded or written by this manager (loading it if need be)."""
        with self._mutex:
            return self._current.model_copy(deep=True) if self._current is not None else self.load()

    def persist(self, state: State) -> State:
        """Write `state` as the next serial and return what was written.

        `state.serial` must be the serial it was loaded at: if the stored one moved on, someone else
        wrote in between and writing would silently drop their changes.
        """
        with self._mutex:
            where = self.backend.describe()
            if state.stack != self.stack_name:
                raise StateError(
                    f"refusing to write state of stack {state.stack!r} to {where}, the state of {self.stack_name!r}"
                )
            stored = self._read()
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
            try:
                document = state.model_dump(mode="json")
                document["serial"] = state.serial + 1
                # Validate again: callers may have edited the dicts in place, and what we write
                # must be readable by the next load.
                new = State.model_validate(document)
                data = encode(new)
            except ValueError as exc:
                raise StateError(f"refusing to write state {where}: not a valid state document: {exc}") from exc
            refuse_secrets(document, where)
            self.backend.write(data)
            self._current = new
            return new.model_copy(deep=True)

    def record(self, address: str, resource: ResourceState | None) -> State:
        """Set (or with None, remove) one resource and persist at once, so a crash loses nothing."""
        if resource is not None and resource.address != address:
            raise ValueError(f"resource for {address!r} carries address {resource.address!r}")
        with self._mutex:
            base = self._current if self._current is not None else self.load()
            resources = dict(base.resources)
            if resource is None:
                resources.pop(address, None)
            else:
                resources[address] = resource
            return self.persist(base.model_copy(update={"resources": resources}))

    def _read(self) -> State | None:
        data = self.backend.read()
        return decode(data, self.backend.describe()) if data is not None else None
