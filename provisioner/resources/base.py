"""What every resource handler provides, and the context the applier hands it.

A handler knows one kind: how to declare it from the stack, how to read it live, how to make the
live shape comparable with the declared one, and how to create, update and delete it. It must not
decide what to do (the planner does) nor write state itself (it reports through the context).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol

from provisioner.api.base import Api, Obj
from provisioner.config.spec import Stack

OWNER_STACK = "provisioner:stack"
OWNER_ADDRESS = "provisioner:address"

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


@dataclass
class ObserveContext:
    """What a handler may use while reading the live world."""

    stack_name: str
    tracked_ids: dict[str, str]  # live id -> address, from state
    recorded: dict[str, dict[str, Any]]  # address -> attributes recorded at the last apply
    # kinds the run declares or acts on; a kind read only because state tracks it may be gone for good
    wanted_kinds: frozenset[str] = frozenset()


class Handler(Protocol):
    kind: str
    # top-level attributes the API cannot change in place: a change to one replaces the resource
    replace_fields: frozenset[str]
    # attributes used to act (e.g. a local path) but never compared with what is live
    apply_only_fields: frozenset[str]

    def declare(self, stack: Stack) -> list[Declared]: ...
    def observe(self, api: Api, ctx: ObserveContext) -> dict[str, Obj]: ...
    def live_attributes(self, live: Obj, address: str, ctx: ObserveContext) -> dict[str, Any]: ...
    def adoptable(self, live: Obj, address: str, desired: dict[str, Any], stack_name: str) -> bool: ...
    # why a live object can never serve again (e.g. an expired vector store), else None: it is replaced
    def unusable(self, live: Obj) -> str | None: ...
    def create(self, api: Api, after: dict[str, Any], ctx: ApplyContext) -> tuple[str, dict[str, Any]]: ...
    def update(self, api: Api, live_id: str, before: dict[str, Any], after: dict[str, Any],
               ctx: ApplyContext) -> dict[str, Any]: ...
    def delete(self, api: Api, live_id: str) -> None: ...


def ownership(stack_name: str, address: str) -> dict[str, str]:
    return {OWNER_STACK: stack_name, OWNER_ADDRESS: address}


def owned_by(live: Obj, stack_name: str, address: str) -> bool:
    metadata = live.get("metadata") or {}
    return metadata.get(OWNER_STACK) == stack_name and metadata.get(OWNER_ADDRESS) == address
