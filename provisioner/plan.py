"""The plan: frozen, serialisable data that holds every decision of a run, and every step apply takes.

Owns Action, FieldChange, Change (a decision per resource), Step (what apply does, in which order)
and Plan, their JSON round-trip and the check that a saved plan is one this version can carry out.
The steps are the whole input of apply: the old object of a replacement (its id and kind) and the
order of deletes are in them, so what a plan prints is what apply runs. It must not call the API
or read state: the planner builds a Plan, render prints it, the applier executes it.
"""
from __future__ import annotations

import json
import re
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from provisioner.errors import ProvisionerError
from provisioner.workspaces import DEFAULT_WORKSPACE

# 2: every step apply takes is in the plan (`steps`, and a replacement's old object in `replaces`)
FORMAT_VERSION = 2

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


class Replaced(Frozen):
    """The old object of a replacement: it waits in state under `address` (deposed) once the new one is
    made, and is deleted by its own kind's handler (a replacement may change kind: another target)."""

    address: str  # e.g. vector_stores.kb (deposed vs_123)
    id: str
    kind: str
    dependencies: list[str] = []  # what it uses, recorded with it so a later plan orders its delete


class Change(Frozen):
    address: str
    kind: str
    action: Action
    id: str | None = None  # the live id the change acts on (None for a create)
    replaces: Replaced | None = None  # for a replacement: the old object
    before: dict[str, Any] | None = None  # what is live now (normalised)
    after: dict[str, Any] | None = None  # what will be; ids of new resources as ${address.id}
    diff: list[FieldChange] = []
    reason: str | None = None
    drift: bool = False  # live differs from what the last apply recorded
    depends_on: list[str] = []


class StepAction(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"  # makes the new object; the old one is left deposed for its own step
    ADOPT = "adopt"
    DELETE = "delete"
    DELETE_DEPOSED = "delete-deposed"  # the old object of a replacement, once nothing uses it


class Step(Frozen):
    """One thing apply does. It starts once every step in `wait_for` succeeded; steps are listed in an
    order that keeps to that, the order a run with --parallelism 1 takes."""

    node: str  # the step's own key: the change's address, or for delete-deposed the old object's
    action: StepAction
    address: str  # the change it carries out
    wait_for: list[str] = []  # nodes of other steps


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
    workspace: str = DEFAULT_WORKSPACE  # the environment it was planned in; applied in no other
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
    steps: list[Step] = []  # what apply does, in order: the planner derives them from changes and state
    destroy: bool = False
    # state edits from the stack's moved: and removed: blocks, made at apply with no API call
    moved: list[dict[str, str]] = []  # [{"from": address, "to": address}]
    forgotten: list[str] = []
    orphans: list[Orphan] = []  # left alone (with --delete-orphans they are delete changes instead)
    look_alikes: list[LookAlike] = []

    @property
    def actionable(self) -> list[Change]:
        return [c for c in self.changes if c.action is not Action.NOOP]

    @model_validator(mode="after")
    def _steps_carry_out_the_changes(self) -> "Plan":
        # a hand-edited plan must not drop a change silently, nor wait for a step that never comes
        for change in self.changes:
            if (change.action is Action.REPLACE) != (change.replaces is not None):
                raise ValueError(f"{change.address}: only a replacement names an old object, and it must")
        wanted = {c.address: (StepAction(c.action.value), c.address) for c in self.actionable}
        wanted |= {c.replaces.address: (StepAction.DELETE_DEPOSED, c.address) for c in self.actionable if c.replaces}
        steps = {s.node: (s.action, s.address) for s in self.steps}
        if len(steps) != len(self.steps):
            raise ValueError("two steps have the same node")
        if steps != wanted:
            odd = sorted({node for node, _ in set(steps.items()) ^ set(wanted.items())})
            raise ValueError(f"the steps do not carry out the changes: {', '.join(odd)}")
        for step in self.steps:
            if not set(step.wait_for) <= steps.keys():
                raise ValueError(f"step {step.node} waits for steps the plan does not have")
        return self

    def walk(self) -> list[tuple[Step, Change]]:
        """Each step with the change it carries out, in the plan's order: what apply runs and render shows.

        A deposed delete's change is the delete of the replacement's old object (its own id and kind)."""
        changes = {c.address: c for c in self.changes}
        return [(step, _deleting_old(changes[step.address]) if step.action is StepAction.DELETE_DEPOSED
                 else changes[step.address]) for step in self.steps]

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
        # pydantic's own encoder: json.dumps with an indent falls back to its pure-Python encoder (9x slower)
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        """A saved plan; one of another format is refused (PlanFormatError) before anything reads it."""
        document = json.loads(text)
        version = document.get("format_version") if isinstance(document, dict) else None
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise PlanFormatError(f"the plan was made by a newer provisioner (plan format {version}); this one"
                                  f" reads up to format {FORMAT_VERSION}")
        if isinstance(version, int) and version < FORMAT_VERSION:
            raise PlanFormatError(f"the plan was made by an older provisioner (plan format {version}), which did"
                                  " not save every step apply takes (a replacement's old object, the order of"
                                  f" deletes); this one carries out format {FORMAT_VERSION}")
        return cls.model_validate(document)


def _deleting_old(change: Change) -> Change:
    old = change.replaces
    assert old is not None  # checked when the plan is made or read (Plan._steps_carry_out_the_changes)
    return Change(address=old.address, kind=old.kind, action=Action.DELETE, id=old.id, before=change.before,
                  reason="replaced: the old object goes once the new one is in use",
                  depends_on=old.dependencies)


class PlanFormatError(ProvisionerError):
    def __init__(self, message: str):
        super().__init__(message, hint="plan again with this provisioner (`provisioner plan --out`), review"
                                       " that plan and apply it; nothing was changed")
