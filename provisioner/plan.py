"""The plan: frozen, serialisable data that holds every decision of a run.

Owns Action, FieldChange, Change and Plan, and their JSON round-trip. It must not call the API
or read state: the planner builds a Plan, render prints it, the applier executes it.
"""
from __future__ import annotations

import json
import re
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict

FORMAT_VERSION = 1

# A value known only after apply: the id of a resource that the same plan creates or replaces.
_UNKNOWN = re.compile(r"^\$\{(?P<address>.+)\.id\}$")


# the attributes of a state entry recorded just before a create call, while its id is not yet known:
# when it was sent, and the random marker the create puts on the object it makes, to know it by
PENDING_SINCE = "pending_since"
PENDING_MARKER = "pending_marker"


def unknown_id(address: str) -> str:
    return "${" + address + ".id}"


def referenced_address(value: Any) -> str | None:
    """The address whose id `value` stands for, when it is a placeholder."""
    if isinstance(value, str):
        match = _UNKNOWN.match(value)
        if match:
            return match["address"]
    return None


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "no-op"
    ADOPT = "adopt"  # an untracked live object made by this stack (an interrupted apply) is taken back

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "no-op": " ", "adopt": "<="}[self.value]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldChange(Frozen):
    path: str  # e.g. metadata.team, tools[1].function.description
    before: Any = None
    after: Any = None
    forces_replacement: bool = False


class Change(Frozen):
    address: str
    kind: str
    action: Action
    id: str | None = None  # the live id the change acts on (None for a create)
    before: dict[str, Any] | None = None  # what is live now (normalised)
    after: dict[str, Any] | None = None  # what will be; ids of new resources as ${address.id}
    diff: list[FieldChange] = []
    reason: str | None = None
    drift: bool = False  # live differs from what the last apply recorded
    depends_on: list[str] = []


class Orphan(Frozen):
    """A live object whose tags say this stack and workspace made it as `address`, which the stack
    no longer declares and the state does not hold: left alone unless `--delete-orphans`."""

    address: str
    kind: str
    id: str
    name: str | None = None


class LookAlike(Frozen):
    """An untracked upload with the name and size of a file this plan uploads, but without the marker
    that would prove it this stack's (an older provisioner's random one, or none): left alone."""

    address: str  # the declared file it resembles
    id: str
    filename: str  # as it is live, marker included


class Plan(Frozen):
    format_version: int = FORMAT_VERSION
    stack: str
    # where to apply it: the provider without secrets (the key stays in its environment variable)
    provider: dict[str, Any] = {}
    state_path: str = ""  # where the state is, as the user would name it
    # which backend holds the state, to reopen it: a connection string only by its variable's name
    state_location: dict[str, str] = {}
    created_at: str
    state_lineage: str
    state_serial: int
    live_fingerprint: str  # hash of the live objects the plan read; a saved plan is stale when it moves
    changes: list[Change]
    destroy: bool = False
    # state edits from the stack's moved: and removed: blocks, made at apply with no API call
    moved: list[dict[str, str]] = []  # [{"from": address, "to": address}]
    forgotten: list[str] = []
    orphans: list[Orphan] = []  # left alone (with --delete-orphans they are delete changes instead)
    look_alikes: list[LookAlike] = []

    @property
    def actionable(self) -> list[Change]:
        return [c for c in self.changes if c.action is not Action.NOOP]

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    @property
    def drifted(self) -> list[Change]:
        return [c for c in self.changes if c.drift]

    def counts(self) -> dict[str, int]:
        counts = {a.value: 0 for a in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        return counts

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        return cls.model_validate_json(text)
