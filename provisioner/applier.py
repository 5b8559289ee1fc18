"""The applier: executes a Plan, and nothing else.

Walks the plan's changes as a dependency graph with bounded parallelism and hands each change to
its kind's handler. Every successful API call is durably in state (a journal entry, see
provisioner.state.manager) before anything relies on it. It never
decides what to do (the plan says) and never prints: it emits events that the renderer shows.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from provisioner.api.base import Api
from provisioner.errors import StalePlanError
from provisioner.graph import Graph, Outcome
from provisioner.observe import deposed_address, is_deposed, replaced_address
from provisioner.plan import PENDING_MARKER, PENDING_SINCE, Action, Change, Plan, referenced_address
from provisioner.resources import handler_for
from provisioner.resources.base import DECLARED_MARKER, ApplyContext, new_marker
from provisioner.state.manager import StateManager
from provisioner.state.model import ResourceState, State


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


class Applier:
    def __init__(self, api: Api, states: StateManager, on_event: Callable[[Event], None] = lambda e: None,
                 parallelism: int = 4):
        self.api = api
        self.states = states
        self.on_event = on_event
        self.parallelism = parallelism
        self._emit_lock = threading.Lock()

    def apply(self, plan: Plan) -> ApplyResult:
        graph, steps = self._graph(plan)
        result = ApplyResult(actions={node: action for node, (action, _) in steps.items()})
        if not steps:
            return result
        # one pool for the calls inside a step (e.g. a store's members), shared by all steps, so they
        # keep the endpoint busy without multiplying the parallelism by the number of stores
        with ThreadPoolExecutor(max_workers=self.parallelism, thread_name_prefix="apply-calls") as self._calls:
            result.outcomes = graph.walk(lambda node: self._run(node, *steps[node]), self.parallelism)
        for node, outcome in result.outcomes.items():
            if outcome.status.value == "skipped":
                self._emit("skipped", node, steps[node][0], f"depends on {outcome.failed_ancestor}, which failed")
        return result

    def _graph(self, plan: Plan) -> tuple[Graph[str], dict[str, tuple[str, Change]]]:
        state = self.states.current()
        steps: dict[str, tuple[str, Change]] = {}
        for change in plan.actionable:
            steps[change.address] = (change.action.value, change)
            if change.action is Action.REPLACE:
                steps[deposed_address(change.address, change.id)] = ("delete-deposed", change)
        graph: Graph[str] = Graph()
        for node in steps:
            graph.add_node(node)
        # who uses what, indexed once: looking it up per node would cost the plan's size per node
        users: dict[str, list[str]] = {}  # address -> steps (not deletes) whose change depends on it
        recorded_users: dict[str, list[str]] = {}  # address -> steps whose recorded resource depends on it
        for node, (action, change) in steps.items():
            if action not in ("delete", "delete-deposed"):
                for dependency in change.depends_on:
                    users.setdefault(dependency, []).append(node)
            recorded = state.resources.get(node)
            for dependency in recorded.dependencies if recorded else ():
                recorded_users.setdefault(dependency, []).append(node)

        def after_takeover(address: str, old: str) -> None:
            # the old object of a replacement goes once the new one is made and all that used it moved
            if address in steps:
                graph.add_edge(address, old)
            for other in users.get(address, ()):
                graph.add_edge(other, old)

        for node, (action, change) in steps.items():
            if action == "delete-deposed":
                after_takeover(change.address, node)
            elif action == "delete":
                # whatever used to depend on it lets go first; then it goes before what it used
                for other in recorded_users.get(node, ()):
                    if other != node:
                        graph.add_edge(other, node)
                if is_deposed(node):  # left by an interrupted replacement: same order as uninterrupted
                    after_takeover(replaced_address(node), node)
            else:
                for dependency in change.depends_on:
                    if dependency in steps:
                        graph.add_edge(dependency, node)
        return graph, steps

    def _run(self, node: str, action: str, change: Change) -> None:
        self._emit("start", node, action)
        try:
            self._execute(node, action, change)
        except BaseException as exc:
            self._emit("failed", node, action, str(exc))
            raise
        self._emit("done", node, action)

    def _execute(self, node: str, action: str, change: Change) -> None:
        handler = handler_for(change.kind)
        if action in ("delete", "delete-deposed"):
            old = self.states.resource(node) if action == "delete-deposed" else None
            target = old.id if old else change.id
            if target:
                # the old object's own kind deletes it: a replacement may change kind (another target)
                (handler_for(old.kind) if old else handler).delete(self.api, target)
            self.states.record(node, None)
            return

        def record(live_id: str, attributes: dict[str, Any]) -> None:
            self.states.record(change.address, ResourceState(
                address=change.address, kind=change.kind, id=live_id, attributes=attributes,
                dependencies=change.depends_on))

        context = ApplyContext(change.address, record, lambda text: self._emit("progress", node, action, text),
                               lambda changed, removed: self.states.record_members(change.address, changed, removed),
                               self._each)
        after = self._resolve(change.after or {})
        if action == "replace":
            # a tagged object the state lost has no record: the plan's view of it stands in
            old = self.states.resource(change.address) or ResourceState(
                address=change.address, kind=change.kind, id=change.id, attributes=change.before or {})
            # the plan's id, not the state's: an untracked object an interrupted create made is replaced too
            deposed = deposed_address(change.address, change.id)
            self.states.record(deposed, old.model_copy(update={"address": deposed, "id": change.id}))
        if action in ("create", "replace"):
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
            live_id = change.id
            if action == "adopt":
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
            resource = self.states.resource(address)
            if resource is None or resource.id is None:
                raise StalePlanError(f"{address} should have been created earlier in this apply, but is not in state")
            return resource.id
        return value

    def _emit(self, kind: str, address: str, action: str, message: str = "") -> None:
        with self._emit_lock:
            self.on_event(Event(kind, address, action, message))
