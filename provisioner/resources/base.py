"""What every resource handler provides, and the context the applier hands it.

A handler knows one kind: how to declare it from the stack, how to read it live, how to make the
live shape comparable with the declared one, and how to create, update and delete it. It must not
decide what to do (the planner does) nor write state itself (it reports through the context).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Protocol

from provisioner.api.base import Api, Obj
from provisioner.config.spec import Stack

OWNER_STACK = "provisioner:stack"
OWNER_ADDRESS = "provisioner:address"
# the workspace (dev, prod, ...) an object belongs to; absent on objects of the default workspace,
# so stacks applied before workspaces existed keep their objects without an update
OWNER_WORKSPACE = "provisioner:workspace"
DEFAULT_WORKSPACE = "default"
# the marker of the create that made an object: recovery takes back only the object that carries
# the marker its intent recorded, never one that merely looks alike (another environment's)
OWNER_INTENT = "provisioner:intent"
MARKER_HEX_DIGITS = 12
# an apply-only attribute of a declared resource whose marker follows from what it is (a file): its
# create carries that marker instead of a random one, so the object can be found again without state
DECLARED_MARKER = "marker"

# address -> the id it has now, or an ${address.id} placeholder for one the plan will create
Resolve = Callable[[str], str]


@dataclass(frozen=True)
class Declared:
    """One resource the stack asks for, before its references are resolved."""

    address: str
    kind: str
    dependencies: tuple[str, ...]
    build: Callable[[Resolve], dict[str, Any]]  # -> the desired attributes
    external: tuple[str, ...] = ()  # raw ids of objects outside the stack it refers to


@dataclass
class ApplyContext:
    """Given to create/update: records partial progress so a crash mid-step loses nothing."""

    address: str
    record: Callable[[str, dict[str, Any]], None]  # (id, attributes) -> persisted in state
    progress: Callable[[str], None]
    # (changed members, removed keys) -> persisted in state, without the members left alone
    record_members: Callable[[dict[str, Any], list[str]], None]
    # runs fn on every item, as many at once as the run's parallelism allows; once all ended, raises
    # the first error (so every call that succeeded was recorded)
    each: Callable[[Callable[[Any], None], Iterable[Any]], None]
    marker: str = ""  # a create puts it on the object it makes (see OWNER_INTENT)


@dataclass
class ObserveContext:
    """What a handler may use while reading the live world."""

    stack_name: str
    tracked_ids: dict[str, str]  # live id -> address, from state
    recorded: Mapping[str, dict[str, Any]]  # address -> attributes recorded at the last apply
    # kinds the run declares or acts on; a kind read only because state tracks it may be gone for good
    wanted_kinds: frozenset[str] = frozenset()
    workspace: str = DEFAULT_WORKSPACE
    # marker -> address, for declared resources the state does not hold whose marker follows from what
    # they are (files): filled by the planner, so such an upload's owned_address is the one it proves
    declared_markers: Mapping[str, str] = field(default_factory=dict)


class Handler(Protocol):
    kind: str
    # top-level attributes the API cannot change in place: a change to one replaces the resource
    replace_fields: frozenset[str]
    # attributes used to act (e.g. a local path) but never compared with what is live
    apply_only_fields: frozenset[str]

    def declare(self, stack: Stack) -> list[Declared]: ...
    def observe(self, api: Api, ctx: ObserveContext) -> dict[str, Obj]: ...
    def live_attributes(self, live: Obj, address: str, ctx: ObserveContext) -> dict[str, Any]: ...
    # whether the live object was made by the create whose intent recorded `marker`
    def carries_marker(self, live: Obj, marker: str) -> bool: ...
    # the address this stack and workspace gave the live object, read from its ownership tags; None
    # when they name another stack or workspace, or the kind has no metadata to carry them (files)
    def owned_address(self, live: Obj, ctx: ObserveContext) -> str | None: ...
    # why a live object can never serve again (e.g. an expired vector store), else None: it is replaced
    def unusable(self, live: Obj) -> str | None: ...
    def create(self, api: Api, after: dict[str, Any], ctx: ApplyContext) -> tuple[str, dict[str, Any]]: ...
    def update(self, api: Api, live_id: str, before: dict[str, Any], after: dict[str, Any],
               ctx: ApplyContext) -> dict[str, Any]: ...
    def delete(self, api: Api, live_id: str) -> None: ...


def new_marker() -> str:
    """Random and short: 48 bits, so two intents never share one, readable where users see it."""
    return secrets.token_hex(MARKER_HEX_DIGITS // 2)


def ownership(stack_name: str, address: str, workspace: str = DEFAULT_WORKSPACE) -> dict[str, str]:
    tags = {OWNER_STACK: stack_name, OWNER_ADDRESS: address}
    if workspace != DEFAULT_WORKSPACE:
        tags[OWNER_WORKSPACE] = workspace
    return tags


def owned_address(metadata: dict[str, str] | None, stack_name: str, workspace: str) -> str | None:
    """The address an object's tags give it when they say it belongs to this stack and workspace."""
    tags = metadata or {}
    if tags.get(OWNER_STACK) != stack_name or tags.get(OWNER_WORKSPACE, DEFAULT_WORKSPACE) != workspace:
        return None
    return tags.get(OWNER_ADDRESS)


def tagged_address(live: Obj, ctx: ObserveContext) -> str | None:
    """owned_address for a kind whose objects carry metadata."""
    return owned_address(live.get("metadata"), ctx.stack_name, ctx.workspace)


def with_marker(metadata: dict[str, str], marker: str) -> dict[str, str]:
    """The metadata a create sends: the declared one plus its intent's marker."""
    return {**metadata, OWNER_INTENT: marker} if marker else dict(metadata)


def without_marker(metadata: dict[str, str] | None) -> dict[str, str]:
    """Live metadata as the stack would declare it: the marker only ever served recovery."""
    return {k: v for k, v in (metadata or {}).items() if k != OWNER_INTENT}


def metadata_carries(live: Obj, marker: str) -> bool:
    return (live.get("metadata") or {}).get(OWNER_INTENT) == marker
