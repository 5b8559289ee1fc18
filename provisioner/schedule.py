"""The steps of a plan: what apply does for each change, and which step waits for which.

Owns the order rules, applied once, at plan time, so the saved plan holds them and apply only
follows them: a step that uses another waits for it; a replacement's old object (deposed) goes once
the new one is made and every step that uses the address moved to it; a deleted resource goes once
whatever used it (as the state recorded) let go of it (was updated, or deleted: a replaced object
uses what it used until its own delete), and before what it used. Among steps free to
run, the plan's order of changes comes first. It must not call the API, write state, or decide
actions: the planner does.
"""
from __future__ import annotations

from provisioner.graph import Graph
from provisioner.observe import is_deposed, replaced_address
from provisioner.plan import Action, Change, Step, StepAction
from provisioner.state.model import State

DELETES = (StepAction.DELETE, StepAction.DELETE_DEPOSED)


def schedule(changes: list[Change], state: State) -> list[Step]:
    """The steps that carry out `changes`, each with what it waits for, in an order that keeps to it.

    `state` is the state the changes were planned from: deletes are ordered by what it recorded."""
    steps: dict[str, tuple[StepAction, Change]] = {}
    for change in changes:
        if change.action is Action.NOOP:
            continue
        steps[change.address] = (StepAction(change.action.value), change)
        if change.replaces is not None:
            steps[change.replaces.address] = (StepAction.DELETE_DEPOSED, change)
    graph: Graph[str] = Graph()
    for node in steps:
        graph.add_node(node)
    # who uses what, indexed once: looking it up per node would cost the plan's size per node
    users: dict[str, list[str]] = {}  # address -> steps (not deletes) whose change depends on it
    recorded_users: dict[str, list[str]] = {}  # address -> steps that let go of a recorded use of it
    for node, (action, change) in steps.items():
        if action not in DELETES:
            for dependency in change.depends_on:
                users.setdefault(dependency, []).append(node)
        if action is StepAction.REPLACE:
            continue  # the old object keeps what it used until its own delete step
        recorded = state.resources.get(node)
        used = (change.replaces.dependencies if action is StepAction.DELETE_DEPOSED and change.replaces
                else recorded.dependencies if recorded else ())
        for dependency in used:
            recorded_users.setdefault(dependency, []).append(node)

    def after_takeover(address: str, old: str) -> None:
        # the old object of a replacement goes once the new one is made and all that used it moved
        if address in steps:
            graph.add_edge(address, old)
        for other in users.get(address, ()):
            graph.add_edge(other, old)

    for node, (action, change) in steps.items():
        if action is StepAction.DELETE_DEPOSED:
            after_takeover(change.address, node)
        elif action is StepAction.DELETE:
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
    place = {node: i for i, node in enumerate(steps)}
    return [Step(node=node, action=steps[node][0], address=steps[node][1].address,
                 wait_for=sorted(graph.predecessors(node), key=place.__getitem__))
            for node in graph.topological_order(rank=place.__getitem__)]
