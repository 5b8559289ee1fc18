"""The applier: executes a Plan, and nothing else.

Walks the plan's steps, each once the steps it waits for succeeded, with bounded parallelism, and
hands each to its kind's handler. The plan is its whole input: the old object of a replacement and
the order of deletes are in the steps. State is only written (RunState): every successful API call
is durably in it (a journal entry, see provisioner.state.manager) before anything relies on it; the
ids of resources created earlier in the same run, which later steps' placeholders stand for, are
kept as they are recorded, not read back. It never decides what to do (the plan says) and never
prints: it emits events that the renderer shows.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol

from provisioner.api.base import Api
from provisioner.errors import StalePlanError
from provisioner.graph import Graph, Outcome
from provisioner.plan import PENDING_MARKER, PENDING_SINCE, Change, Plan, Step, StepAction, referenced_address
from provisioner.resources import handler_for
from provisioner.resources.base import DECLARED_MARKER, ApplyContext, new_marker
from provisioner.state.model import ResourceState, State


class RunState(Protocol):
    """All the applier does with state (provisioner.state.manager.StateManager is one): it records."""

    def record(self, address: str, resource: ResourceState | None) -> None: ...

    def record_members(self, address: str, changed: dict[str, Any], removed: list[str]) -> None: ...


@dataclass(frozen=True)
class Event:
    kind: str  # start | progress | done | failed | skipped
    address: str
    action: str
    message: str = ""


@dataclass
class ApplyResult:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)  # node -> action

    def count(self, *actions: str) -> int:
        return sum(1 for node, o in self.outcomes.items() if o.ok and self.actions[node] in actions)

    @property
    def failed(self) -> dict[str, Outcome]:
        return {n: o for n, o in self.outcomes.items() if not o.ok}

    def summary(self) -> dict[str, int]:
        return {
            "added": self.count("create", "replace"),
            "changed": self.count("update", "adopt"),
            "destroyed": self.count("delete", "delete-deposed"),
            "failed": sum(1 for o in self.outcomes.values() if o.status.value == "failed"),
            "skipped": sum(1 for o in self.outcomes.values() if o.status.value == "skipped"),
        }


def ensure_current(plan: Plan, state: State, live_fingerprint: str) -> None:
    """Refuse a saved plan when the state or the live resources moved since it was made."""
    # an empty state gets a fresh lineage each time it is read, so only a stored one is compared
    other_history = state.serial > 0 and plan.state_lineage != state.lineage
    if other_history or plan.state_serial != state.serial:
        raise StalePlanError(
            f"the saved plan was made at state serial {plan.state_serial}, the state is now at {state.serial}",
            hint="run plan again: the state changed since this plan was made")
    if plan.live_fingerprint != live_fingerprint:
        raise StalePlanError("the live resources changed since the saved plan was made",
                             hint="run plan again to see what changed and plan from there")


def _live_id(change: Change) -> str:
    """The live id a replace, update or adopt acts on: the planner always names one."""
    if change.id is None:
        raise StalePlanError(f"the plan's {change.action.value} of {change.address} names no live id")
    return change.id


class Applier:
    def __init__(self, api: Api, states: RunState, on_event: Callable[[Event], None] = lambda e: None,
                 parallelism: int = 4):
        self.api = api
        self.states = states
        self.on_event = on_event
        self.parallelism = parallelism
        self._emit_lock = threading.Lock()
        self._made: dict[str, str] = {}  # address -> id of what this run created, for later placeholders

    def apply(self, plan: Plan) -> ApplyResult:
        steps = {step.node: (step, change) for step, change in plan.walk()}
        result = ApplyResult(actions={node: step.action.value for node, (step, _) in steps.items()})
        if not steps:
            return result
        graph: Graph[str] = Graph.from_dependencies({node: step.wait_for for node, (step, _) in steps.items()})
        place = {node: i for i, node in enumerate(steps)}  # ready at once: in the plan's order
        # one pool for the calls inside a step (e.g. a store's members), shared by all steps, so they
        # keep the endpoint busy without multiplying the parallelism by the number of stores
        with ThreadPoolExecutor(max_workers=self.parallelism, thread_name_prefix="apply-calls") as self._calls:
            result.outcomes = graph.walk(lambda node: self._run(*steps[node]), self.parallelism, place.__getitem__)
        for node, outcome in result.outcomes.items():
            if outcome.status.value == "skipped":
                self._emit("skipped", node, result.actions[node], f"depends on {outcome.failed_ancestor}, which failed")
        return result

    def _run(self, step: Step, change: Change) -> None:
        self._emit("start", step.node, step.action.value)
        try:
            self._execute(step, change)
        except BaseException as exc:
            self._emit("failed", step.node, step.action.value, str(exc))
            raise
        self._emit("done", step.node, step.action.value)

    def _execute(self, step: Step, change: Change) -> None:
        action = step.action
        if action in (StepAction.DELETE, StepAction.DELETE_DEPOSED):
            # a deposed delete's change is the old object's (Plan.walk): its own kind deletes it, as
            # a replacement may change kind (another target)
            if change.id:
                handler_for(change.kind).delete(self.api, change.id)
            self.states.record(step.node, None)
            return

        def record(live_id: str, attributes: dict[str, Any]) -> None:
            if action in (StepAction.CREATE, StepAction.REPLACE):
                self._made[change.address] = live_id
            self.states.record(change.address, ResourceState(
                address=change.address, kind=change.kind, id=live_id, attributes=attributes,
                dependencies=change.depends_on))

        handler = handler_for(change.kind)
        context = ApplyContext(change.address, record,
                               lambda text: self._emit("progress", step.node, action.value, text),
                               lambda changed, removed: self.states.record_members(change.address, changed, removed),
                               self._each)
        after = self._resolve(change.after or {})
        if action is StepAction.REPLACE and change.replaces is not None:
            # the old object waits in state (deposed) for its own step, as the plan describes it
            old = change.replaces
            self.states.record(old.address, ResourceState(address=old.address, kind=old.kind, id=old.id,
                                                          attributes=change.before or {},
                                                          dependencies=old.dependencies))
        if action in (StepAction.CREATE, StepAction.REPLACE):
            # an intent first: if we crash before the id is recorded, the next plan adopts the object
            # (or deletes it, if the stack dropped it meanwhile); it holds what was asked, and the
            # marker the create puts on the object, to know it by (one that follows from what the
            # object is, when its handler declared one, so a lost state can find it again too)
            context.marker = after.get(DECLARED_MARKER) or new_marker()
            self.states.record(change.address, ResourceState(
                address=change.address, kind=change.kind, id=None,
                attributes={**after, PENDING_SINCE: int(time.time()), PENDING_MARKER: context.marker},
                dependencies=change.depends_on))
            live_id, attributes = handler.create(self.api, after, context)
        else:
            live_id = _live_id(change)
            if action is StepAction.ADOPT:
                record(live_id, change.before or {})
            attributes = handler.update(self.api, live_id, change.before or {}, after, context)
        record(live_id, attributes)

    def _each(self, fn: Callable[[Any], None], items: Iterable[Any]) -> None:
        futures = [self._calls.submit(fn, item) for item in items]
        errors = [future.exception() for future in futures]
        first = next((error for error in errors if error is not None), None)
        if first is not None:
            raise first

    def _resolve(self, value: Any) -> Any:
        """Put the ids of resources created earlier in this apply where the plan left placeholders."""
        if isinstance(value, dict):
            return {k: self._resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        address = referenced_address(value)
        if address is not None:
            if address not in self._made:
                raise StalePlanError(f"{address} should have been created earlier in this apply, but was not")
            return self._made[address]
        return value

    def _emit(self, kind: str, address: str, action: str, message: str = "") -> None:
        with self._emit_lock:
            self.on_event(Event(kind, address, action, message))
