"""Reads the live world with list endpoints, for the kinds a run touches.

Owns which kinds are read (only those declared, tracked, or looked at for orphans, so a stack
without Assistants API assistants never calls /v1/assistants), and the context the handlers read
them in (the state's ids, and the workspace whose tags make an object this stack's). It must not
decide anything: the planner does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from provisioner.api.base import Api, Obj
from provisioner.resources import HANDLERS, external_kind, model_kinds
from provisioner.resources.base import ObserveContext
from provisioner.state.model import State
from provisioner.workspaces import DEFAULT_WORKSPACE


@dataclass(frozen=True)
class Observed:
    objects: dict[str, dict[str, Obj]]  # kind -> live id -> object as the API returned it
    context: ObserveContext
    models: frozenset[str] | None = None  # None: not read, or the endpoint does not list them


def observe_context(state: State, wanted_kinds: Iterable[str] = frozenset(),
                    workspace: str = DEFAULT_WORKSPACE) -> ObserveContext:
    return ObserveContext(
        stack_name=state.stack,
        tracked_ids={r.id: r.address for r in state.resources.values() if r.id and not is_deposed(r.address)},
        recorded={r.address: r.attributes for r in state.resources.values()},
        wanted_kinds=frozenset(wanted_kinds),
        workspace=workspace,
    )


def observe(api: Api, state: State, kinds: set[str], external: Iterable[str] = (),
            also: Iterable[str] = (), workspace: str = DEFAULT_WORKSPACE) -> Observed:
    """Read every kind in `kinds`, those the state tracks, and those of the `external` ids named,
    as `workspace` sees them (its own objects are those its tags name).

    `also` names kinds read only to look (drift's orphans): like a kind only the state tracks, an
    endpoint that dropped it reads as empty instead of failing."""
    context = observe_context(state, kinds, workspace)
    read = set(kinds) | set(also) | {r.kind for r in state.resources.values()}
    read |= {kind for ref in external if (kind := external_kind(ref)) is not None}
    objects: dict[str, dict[str, Any]] = {}
    for kind, handler in HANDLERS.items():  # in dependency order, so errors come in a stable order
        if kind in read:
            objects[kind] = handler.observe(api, context)
    # a kind that names a model has it checked against the endpoint's model list
    models = api.list_models() if kinds & model_kinds() else None
    return Observed(objects, context, frozenset(models) if models is not None else None)


def is_deposed(address: str) -> bool:
    return " (deposed " in address


def deposed_address(address: str, live_id: str) -> str:
    """Where a replaced resource's old object waits in state until it is deleted."""
    return f"{address} (deposed {live_id})"


def replaced_address(deposed: str) -> str:
    """The address whose replacement left `deposed` behind."""
    return deposed.split(" (deposed ", 1)[0]
