"""What every resource handler provides, and the context the applier hands it.

A handler knows one kind, wholly: the stack sections it is declared in and their spec models (or,
for an assistant target, the target it serves and what of an assistant it can deploy), the raw
ids a stack may name instead of one of its objects, whether its objects carry ownership tags and
name a model, its outputs entry; how to declare it from the stack, how to read it live, how to make
the live shape comparable with the declared one, and how to create, update and delete it. The
loader, observer, planner, drift, outputs and CLI take these facts from the registry, so a new kind
is its handler (and its spec). A handler must not decide what to do (the planner does) nor write
state itself (it reports through the context).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, Mapping, Protocol

from pydantic import BaseModel

from provisioner.api.base import Api, Collection, NotFound, Obj
from provisioner.config.spec import Stack
from provisioner.workspaces import DEFAULT_WORKSPACE

OWNER_STACK = "provisioner:stack"
OWNER_ADDRESS = "provisioner:address"
# the workspace (dev, prod, ...) an object belongs to; absent on objects of the default workspace,
# so stacks applied before workspaces existed keep their objects without an update
OWNER_WORKSPACE = "provisioner:workspace"
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
class Takes:
    """What an assistant target takes of one assistant field where its API is narrower than the
    stack language: the longest text, or the `type`s of an object value (a plain string value, such
    as response_format's `auto`, is its own type). None: any."""

    max_length: int | None = None
    types: frozenset[str] | None = None

    def refuses(self, value: Any) -> str | None:
        """Why the value cannot be deployed ("type json_object (takes ...)"), else None."""
        if self.max_length is not None and isinstance(value, str) and len(value) > self.max_length:
            return f"{len(value)} characters (at most {self.max_length})"
        kind = value if isinstance(value, str) else getattr(value, "type", None)
        if self.types is not None and kind is not None and kind not in self.types:
            return f"type {kind} (takes {', '.join(sorted(self.types))})"
        return None


def same_named(*fields: str) -> dict[str, tuple[str, ...]]:
    """`ignore_changes` names that each cover the attribute of the same name."""
    return {f: (f,) for f in fields}


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
    # read-only properties here; a handler sets them as class attributes (see KindHandler)
    @property
    def kind(self) -> str: ...
    # what one object is called to users ("vector store"), counted by `validate`
    @property
    def noun(self) -> str: ...
    # stack section -> the spec model of one of its entries (one section may serve several kinds:
    # every assistant target declares `assistants`)
    @property
    def sections(self) -> Mapping[str, type[BaseModel]]: ...
    # for an assistant's kind: the `target:` it deploys, the tool types and the assistant fields
    # it can deploy (None: all); a stack asking more fails validate, naming the targets that can
    @property
    def target(self) -> str | None: ...
    @property
    def tools(self) -> frozenset[str] | None: ...
    @property
    def fields(self) -> frozenset[str] | None: ...
    # assistant fields it takes only some values of (an Agent's name is shorter): a stack asking
    # more fails validate at that field, naming the targets that take it
    @property
    def takes(self) -> Mapping[str, Takes]: ...
    # the names `ignore_changes` takes in its sections' entries -> the attributes each covers
    @property
    def ignorable(self) -> Mapping[str, tuple[str, ...]]: ...
    # what users call its live objects in reports of what is on the endpoint ("Agent"), plural with "s"
    @property
    def live_noun(self) -> str: ...
    # the raw id (`vs_...`) a stack may name instead of a declared one
    @property
    def external_prefix(self) -> str | None: ...
    # its objects carry the ownership tags, so drift reports its orphans and unmanaged ones
    @property
    def tagged(self) -> bool: ...
    # its attributes name a model, which a plan checks against the endpoint's list
    @property
    def names_model(self) -> bool: ...
    # top-level attributes the API cannot change in place: a change to one replaces the resource
    @property
    def replace_fields(self) -> frozenset[str]: ...
    # attributes used to act (e.g. a local path) but never compared with what is live
    @property
    def apply_only_fields(self) -> frozenset[str]: ...

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
    # its entry under `assistants` in the outputs, for an assistant's kind (else None): what an
    # application uses, e.g. {"target": "agents", "id": "agent_..."}; with an "id", the id is also
    # a resource output
    def output(self, live_id: str, attributes: dict[str, Any]) -> dict[str, Any] | None: ...


class KindHandler:
    """The defaults of a handler, and the plain collection one: a kind whose objects the API lists,
    creates, updates and deletes by id at `collection` needs only declare and compare them."""

    kind: ClassVar[str]
    noun: ClassVar[str]
    sections: ClassVar[Mapping[str, type[BaseModel]]] = {}
    target: ClassVar[str | None] = None
    tools: ClassVar[frozenset[str] | None] = None
    fields: ClassVar[frozenset[str] | None] = None
    takes: ClassVar[Mapping[str, Takes]] = {}
    ignorable: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    external_prefix: ClassVar[str | None] = None
    tagged: ClassVar[bool] = False
    names_model: ClassVar[bool] = False
    replace_fields: ClassVar[frozenset[str]] = frozenset()
    apply_only_fields: ClassVar[frozenset[str]] = frozenset()
    collection: ClassVar[Collection | None] = None

    @property
    def live_noun(self) -> str:
        return self.noun

    def observe(self, api: Api, ctx: ObserveContext) -> dict[str, Obj]:
        assert self.collection is not None, f"{self.kind}: a handler without a collection reads its own way"
        try:
            return {o["id"]: o for o in api.list_objects(self.collection)}
        except NotFound:
            if self.kind in ctx.wanted_kinds:
                raise
            # read only to look (drift's orphans) or because state tracks it: an endpoint without
            # this API has none of its objects, so they read as gone instead of failing the run
            return {}

    def carries_marker(self, live: Obj, marker: str) -> bool:
        return metadata_carries(live, marker)

    def owned_address(self, live: Obj, ctx: ObserveContext) -> str | None:
        return tagged_address(live, ctx) if self.tagged else None

    def unusable(self, live: Obj) -> str | None:
        return None

    def delete(self, api: Api, live_id: str) -> None:
        assert self.collection is not None, f"{self.kind}: a handler without a collection deletes its own way"
        try:
            api.delete_object(self.collection, live_id)
        except NotFound:
            pass  # gone already: what a delete wants

    def output(self, live_id: str, attributes: dict[str, Any]) -> dict[str, Any] | None:
        return {"target": self.target, "id": live_id} if self.target else None


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
