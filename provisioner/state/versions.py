"""Kept versions of a stack's state: listing them and choosing one to restore.

Owns what a version is to the user (the serial it had, when it was kept, which run it came
before), which one `state restore` takes by default (the newest: the state before the last run
that wrote) and turning a kept document into the next revision of the current state, so saved
plans made before a restore are refused. It must not lock, confirm or print: the command does.
"""
from __future__ import annotations

from dataclasses import dataclass

from provisioner.errors import StateError
from provisioner.state.manager import StateManager
from provisioner.state.model import State, decode


@dataclass(frozen=True)
class Version:
    serial: int
    saved_at: str
    run: str | None
    key: str


def kept_versions(states: StateManager) -> list[Version]:
    """The versions the backend keeps, newest first."""
    versions = []
    for kept in states.backend.versions():
        serial = kept.serial
        if serial is None:  # a backend that keeps only the document (the local .backup)
            serial = _document(states, kept.key).serial
        versions.append(Version(serial=serial, saved_at=kept.saved_at, run=kept.run, key=kept.key))
    return versions


def to_restore(states: StateManager, current: State, serial: int | None) -> tuple[Version, State]:
    """The version with `serial` (default: the newest), as the state to persist over `current`."""
    versions = kept_versions(states)
    where = states.backend.describe()
    if not versions:
        raise StateError(f"state {where} keeps no earlier version yet",
                         hint="a version is kept before every run that writes the state")
    chosen = versions[0] if serial is None else next((v for v in versions if v.serial == serial), None)
    if chosen is None:
        raise StateError(f"state {where} keeps no version at serial {serial}",
                         hint="`provisioner state versions PATH` lists the versions kept: "
                         + ", ".join(str(v.serial) for v in versions))
    restored = _document(states, chosen.key)
    if restored.stack != current.stack or (current.serial and restored.lineage != current.lineage):
        raise StateError(f"version {chosen.serial} of state {where} belongs to another stack or lineage"
                         f" ({restored.stack}, {restored.lineage}), not {current.stack}, {current.lineage}",
                         hint="the state was replaced since that version was kept; restore it by hand if you"
                         " are sure")
    # the next serial above the current one (persist adds one), so plans saved before are refused;
    # into a state that is gone, the version comes back with its own lineage
    lineage = current.lineage if current.serial else restored.lineage
    return chosen, restored.model_copy(update={"serial": current.serial, "lineage": lineage})


def _document(states: StateManager, key: str) -> State:
    data = states.backend.read_version(key)
    where = f"{states.backend.describe()} (kept version {key})"
    if data is None:
        raise StateError(f"the kept version {key} of state {states.backend.describe()} is gone")
    return decode(data, where)
