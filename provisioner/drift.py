"""Drift: how the live world moved away from what the last apply recorded, kept apart from the
stack's own pending edits; and the refreshed state that accepts it (Terraform's refresh-only).

Owns the read-only comparisons: recorded vs live per tracked resource (changed or deleted out of
band), orphans (the plan's: live objects tagged with this stack and workspace that the state does not
hold nor the next plan adopt), unmanaged
objects (of the kinds that carry metadata, tagged by no stack), and pending edits (declared vs
recorded, which are not drift); fields a resource's `ignore_changes` names are neither. It must not call the API or write state: the CLI reads the state
and the live world, hands them here, and writes the refreshed state only for `refresh`.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal, get_args

from provisioner.config.spec import Lifecycle

from provisioner.diff import field_changes
from provisioner.lifecycle import as_live, ignored_attributes
from provisioner.observe import Observed, is_deposed
from provisioner.plan import FieldChange, Frozen, unknown_id
from provisioner.planner import _compared as comparable  # the one rule of which attributes are compared
from provisioner.planner import untracked
from provisioner.resources import handler_for, tagged_kinds
from provisioner.resources.base import OWNER_STACK, Declared
from provisioner.state.model import State

FORMAT_VERSION = 1

Status = Literal["changed", "deleted", "orphan", "unmanaged"]
PendingAction = Literal["create", "adopt", "update", "replace", "delete"]


class Drifted(Frozen):
    address: str  # the state's address; for an orphan the address its tag names; for unmanaged its kind and id
    kind: str
    status: Status
    id: str | None = None
    name: str | None = None
    diff: list[FieldChange] = []  # changed: before = recorded in state, after = live


class Pending(Frozen):
    """An edit of the stack not applied yet: the live object still equals what was recorded."""

    address: str
    kind: str
    action: PendingAction
    diff: list[FieldChange] = []  # before = recorded, after = declared


class DriftReport(Frozen):
    format_version: int = FORMAT_VERSION
    stack: str
    state_path: str = ""
    created_at: str
    checked: int  # tracked resources compared with the live world
    unmanaged_checked: bool = False
    drift: list[Drifted]
    pending: list[Pending]

    @property
    def has_drift(self) -> bool:
        return bool(self.drift)

    def counts(self) -> dict[str, int]:
        counts = {status: 0 for status in get_args(Status)}
        for item in self.drift:
            counts[item.status] += 1
        return counts


def detect(stack_name: str, declared: list[Declared], state: State, observed: Observed, *,
           unmanaged: bool = False, state_path: str = "", lifecycles: Mapping[str, Lifecycle] = {}) -> DriftReport:
    # what the next plan adopts is a pending adopt, not an orphan; a duplicate it leaves is one (planner.untracked)
    adopted, orphans = untracked(declared, state, observed)
    drift = [*_tracked(state, observed, lifecycles),
             *[Drifted(address=o.address, kind=o.kind, status="orphan", id=o.id, name=o.name) for o in orphans],
             *(_unmanaged(state, observed) if unmanaged else [])]
    return DriftReport(stack=stack_name, state_path=state_path, unmanaged_checked=unmanaged,
                       created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       checked=sum(1 for r in state.resources.values() if r.id and not is_deposed(r.address)),
                       drift=drift, pending=_pending(declared, state, lifecycles, adopted))


def live_view(state: State, observed: Observed, address: str) -> dict[str, Any] | None:
    """The live attributes of a tracked resource, in the recorded form; None when it is gone."""
    resource = state.resources[address]
    live = observed.objects.get(resource.kind, {}).get(resource.id or "")
    return None if live is None else handler_for(resource.kind).live_attributes(live, address, observed.context)


def _ignored(lifecycles: Mapping[str, Lifecycle], address: str) -> frozenset[str] | None:
    return ignored_attributes(lifecycles.get(address), address.split(".")[0])


def _tracked(state: State, observed: Observed, lifecycles: Mapping[str, Lifecycle]) -> list[Drifted]:
    out = []
    for address, resource in sorted(state.resources.items()):
        # a create still in flight (no id) or an old object left for deletion is the apply's business
        if resource.id is None or is_deposed(address):
            continue
        live = live_view(state, observed, address)
        common: dict[str, Any] = {"address": address, "kind": resource.kind, "id": resource.id}
        if live is None:
            out.append(Drifted(**common, status="deleted"))
            continue
        diff = field_changes(as_live(comparable(resource.attributes, resource.kind), live, _ignored(lifecycles, address)),
                             live)
        if diff:
            out.append(Drifted(**common, status="changed", name=live.get("name"), diff=diff))
    return out


def _unmanaged(state: State, observed: Observed) -> list[Drifted]:
    claimed = {r.id for r in state.resources.values() if r.id}
    # only kinds whose objects carry the tags can be told to belong to a stack or to none; files
    # carry none in the API: an untracked file may be another stack's upload, so none is reported
    return [Drifted(address=f"{kind} {live_id}", kind=kind, status="unmanaged", id=live_id, name=live.get("name"))
            for kind in tagged_kinds() for live_id, live in sorted(observed.objects.get(kind, {}).items())
            if live_id not in claimed and OWNER_STACK not in (live.get("metadata") or {})]


def _pending(declared: list[Declared], state: State, lifecycles: Mapping[str, Lifecycle],
             adopted: Mapping[str, str]) -> list[Pending]:
    def resolve(address: str) -> str:
        recorded = state.resources.get(address)
        return recorded.id if recorded is not None and recorded.id else unknown_id(address)

    out = []
    for item in declared:
        recorded = state.resources.get(item.address)
        if recorded is None or recorded.id is None:
            out.append(Pending(address=item.address, kind=item.kind,
                               action="adopt" if item.address in adopted else "create"))
        elif recorded.kind != item.kind:
            out.append(Pending(address=item.address, kind=item.kind, action="replace"))
        else:
            before = comparable(recorded.attributes, item.kind)
            after = as_live(comparable(item.build(resolve), item.kind), before, _ignored(lifecycles, item.address))
            diff = field_changes(before, after, handler_for(item.kind).replace_fields)
            if diff:
                action: PendingAction = "replace" if any(d.forces_replacement for d in diff) else "update"
                out.append(Pending(address=item.address, kind=item.kind, action=action, diff=diff))
    wanted = {item.address for item in declared}
    out += [Pending(address=address, kind=resource.kind, action="delete")
            for address, resource in sorted(state.resources.items()) if address not in wanted]
    return out


def refreshed(state: State, observed: Observed, report: DriftReport) -> State:
    """The state accepting the drift: changed resources take their live values, deleted ones are
    forgotten. Orphans and unmanaged objects are not taken in (that is `provisioner import`)."""
    resources = dict(state.resources)
    for item in report.drift:
        if item.status == "deleted":
            resources.pop(item.address, None)
        elif item.status == "changed":
            recorded = resources[item.address]
            hidden = handler_for(recorded.kind).apply_only_fields
            kept = {k: v for k, v in recorded.attributes.items() if k in hidden}
            live = live_view(state, observed, item.address) or {}
            resources[item.address] = recorded.model_copy(update={"attributes": {**kept, **live}})
    return state.model_copy(update={"resources": resources})
