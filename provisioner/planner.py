"""The planner: a pure function of (declared resources, state, live objects) to a Plan.

Every decision of a run is taken here: create, update in place, replace, delete, adopt or leave
alone, with the field-level diff and the reason, and whether live state drifted from what the last
apply recorded; and what apply will do about each (provisioner.schedule), so apply reads nothing
else. It must not call the API or write state.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import ChainMap
from datetime import datetime, timezone
from typing import Any, Mapping, MutableMapping, Sequence, cast

from provisioner.config.spec import Lifecycle
from provisioner.config.suggest import did_you_mean
from provisioner.diff import field_changes
from provisioner.errors import ProvisionerError
from provisioner.graph import Graph
from provisioner.lifecycle import as_live, ignored_attributes
from provisioner.observe import Observed, deposed_address, is_deposed
from provisioner.plan import PENDING_MARKER, Action, Change, LookAlike, Orphan, Plan, Replaced, unknown_id
from provisioner.resources import external_kind, handler_for
from provisioner.resources.base import DECLARED_MARKER, Declared
from provisioner.resources.file import look_alikes
from provisioner.schedule import schedule
from provisioner.state.model import ResourceState, State
from provisioner.state.surgery import tag_follows_state

NEW_ID_ACTIONS = (Action.CREATE, Action.REPLACE)
LEFT_ALONE = ("An older provisioner recorded its interrupted create without a marker, so an object it may "
              "have made cannot be told from another's and is left alone: check for a stray one")
UNPROVEN = f"new in the stack. {LEFT_ALONE}"


def make_plan(stack_name: str, declared: list[Declared], state: State, observed: Observed, *,
              destroy: bool = False, lifecycles: Mapping[str, Lifecycle] | None = None,
              replace: frozenset[str] = frozenset(), delete_orphans: bool = False, **where: Any) -> Plan:
    """`where` (provider, state_path) is carried into the plan so a saved plan can be applied alone.

    `replace` (`--replace ADDRESS`) forces those resources to be replaced, so what depends on them
    is planned against the new object's id. `delete_orphans` plans the deletion of the live objects
    tagged by this stack and workspace that it neither tracks nor adopts; else they are listed."""
    wanted = {} if destroy else {d.address: d for d in declared}
    decided: dict[str, Change] = {}
    # every id the state holds, deposed ones too: an old object waiting for deletion is never adopted
    claimed = {r.id for r in state.resources.values() if r.id}
    as_apply_reads = observed  # its context knows only the state, as a saved plan's apply observes it
    built: dict[str, dict[str, Any]] = {}  # what was built to read markers: built once
    observed, owned = _with_ownership(wanted, state, observed, built)
    adopted: set[str] = set()

    def resolve(address: str) -> str:
        change = decided[address]
        if change.action in NEW_ID_ACTIONS or change.id is None:
            return unknown_id(address)
        return change.id

    order = _dependency_order(wanted)
    for address in order:
        item = wanted[address]
        ignored = ignored_attributes((lifecycles or {}).get(address), address.split(".")[0])
        recorded = state.resources.get(address)
        tagged = owned.get(item.kind, {}).get(address, []) if recorded is None else []
        after = built.pop(address) if address in built else item.build(resolve)
        change = _decide(item, after, recorded, observed, claimed, ignored, tagged)
        if address in replace and change.action in (Action.UPDATE, Action.NOOP):
            change = change.model_copy(update={"action": Action.REPLACE, "reason": "replacement asked with --replace"})
        if change.action is Action.REPLACE:
            change = change.model_copy(update={"replaces": _replaced(change, state.resources.get(address))})
        if change.id is not None:  # an untracked object this change takes over (adopt or replace)
            claimed.add(change.id)
            # a store adopted after its files lists them by their addresses, as tracked members are
            observed.context.tracked_ids.setdefault(change.id, address)
            if change.id in tagged:
                adopted.add(address)  # any other object its tags name is an orphan
        decided[address] = change

    # decisions are pure, so checking after them still fails before any change is made
    _check_live_references(wanted, decided, observed)
    changes = [decided[a] for a in order]
    changes += [_delete(rs, observed, claimed) for address, rs in sorted(state.resources.items())
                if address not in wanted]
    orphans = _orphans(owned, claimed, observed)
    if delete_orphans:
        changes += [_delete_orphan(orphan, observed, adopted, state) for orphan in orphans]
        orphans = []
    uploads = {c.address: c.after or {} for c in changes if c.kind == "file" and c.action is Action.CREATE
               and c.address not in state.resources}
    # only files this stack's own stores hold are looked at: any other may be another workspace's
    held = _held_by_our_stores(owned, observed)
    look = [LookAlike(address=a, id=i, filename=f) for a, i, f in
            look_alikes(uploads, {i: o for i, o in observed.objects.get("file", {}).items()
                                  if i not in claimed and i in held})]
    return Plan(
        stack=stack_name,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        state_lineage=state.lineage,
        state_serial=state.serial,
        live_fingerprint=live_fingerprint(state, as_apply_reads, changes),
        changes=changes,
        steps=schedule(changes, state),
        destroy=destroy,
        orphans=orphans,
        look_alikes=look,
        **where,
    )


def _with_ownership(wanted: dict[str, Declared], state: State, observed: Observed,
                    built: dict[str, dict[str, Any]]) -> tuple[Observed, dict[str, dict[str, list[str]]]]:
    """The live objects whose tags (or declared marker) prove them this stack's and workspace's, by
    kind and the address they prove, oldest first; and `observed` with a context of its own, which
    knows the declared markers and takes the ids this plan adopts.

    Only kinds that mark what they declare are built here; what depends on nothing is built as the
    plan would build it, so it goes into `built` for the plan to use rather than build again."""
    markers = {}
    # a kind that declares a marker keeps it out of comparison: the others need not be built here
    marking = {kind for kind in {item.kind for item in wanted.values()}
               if DECLARED_MARKER in handler_for(kind).apply_only_fields}
    for address, item in wanted.items():
        # only what the state lost is looked for by its marker
        if address not in state.resources and item.kind in marking:
            attributes = item.build(unknown_id)
            if not item.dependencies:
                built[address] = attributes
            marker = attributes.get(DECLARED_MARKER)
            if marker:
                markers[marker] = address
    context = dataclasses.replace(observed.context, tracked_ids=dict(observed.context.tracked_ids),
                                  declared_markers=markers)
    owned: dict[str, dict[str, list[str]]] = {}
    for kind, objects in observed.objects.items():
        handler = handler_for(kind)
        found = sorted((live.get("created_at") or 0, live_id, proven) for live_id, live in objects.items()
                       if (proven := handler.owned_address(live, context)) is not None)
        for _, live_id, proven in found:
            owned.setdefault(kind, {}).setdefault(proven, []).append(live_id)
    return dataclasses.replace(observed, context=context), owned


def live_fingerprint(state: State, observed: Observed, changes: Sequence[Change] = ()) -> str:
    """A hash of the live side of every tracked resource, and of every untracked object `changes` act
    on (adopted, or deleted as orphans): it moves when any of them changed live or vanished."""
    tracked = {r.id for r in state.resources.values() if r.id}
    acted_on = [(c.address, c.kind, c.id) for c in changes if c.id and c.id not in tracked]
    view = {}
    for address, kind, live_id in [(a, r.kind, r.id) for a, r in state.resources.items()] + acted_on:
        live = observed.objects.get(kind, {}).get(live_id or "")
        view[address] = (None if live is None
                         else handler_for(kind).live_attributes(live, address, observed.context))
    return hashlib.sha256(json.dumps(view, sort_keys=True, default=str).encode()).hexdigest()


def _check_live_references(wanted: dict[str, Declared], decided: dict[str, Change], observed: Observed) -> None:
    """Ids of objects outside the stack must exist, and models must be served: else fail before any change."""
    problems = []
    for address, item in wanted.items():
        for ref in item.external:
            if ref not in observed.objects.get(external_kind(ref) or "", {}):
                problems.append(f"{address} refers to {ref}, which does not exist at the endpoint")
        model = (decided[address].after or {}).get("model") if handler_for(item.kind).names_model else None
        if model and observed.models is not None and model not in observed.models:
            suggestion = did_you_mean(model, observed.models)
            problems.append(f'{address} uses model "{model}", which the endpoint does not serve'
                            + (f" ({suggestion})" if suggestion else ""))
    if problems:
        raise ProvisionerError("the stack refers to things the endpoint does not have:\n"
                               + "\n".join(f"  {p}" for p in problems),
                               hint="fix these ids or models in the stack; nothing was changed")


def _dependency_order(wanted: dict[str, Declared]) -> list[str]:
    graph: Graph[str] = Graph()
    for address, item in wanted.items():
        graph.add_node(address)
        for dependency in item.dependencies:
            if dependency not in wanted:
                raise ProvisionerError(f"{address} refers to {dependency}, which the stack does not declare")
            graph.add_edge(dependency, address)
    return graph.topological_order()


def _compared(attributes: dict[str, Any], kind: str) -> dict[str, Any]:
    hidden = handler_for(kind).apply_only_fields
    return {k: v for k, v in attributes.items() if k not in hidden}


def _decide(item: Declared, after: dict[str, Any], recorded: ResourceState | None, observed: Observed,
            claimed: set[str], ignored: frozenset[str] | None = frozenset(), tagged: Sequence[str] = ()) -> Change:
    """`tagged`: the live objects that prove themselves this address's (tags, or a declared marker),
    oldest first, for an address the state does not hold."""
    handler = handler_for(item.kind)
    live_objects = observed.objects.get(item.kind, {})
    context = observed.context
    common: dict[str, Any] = {"address": item.address, "kind": item.kind, "after": after, "depends_on": list(item.dependencies)}
    wanted = _compared(after, item.kind)

    lost = _oldest_untaken(tagged, claimed)
    if lost is not None:
        # what the API does not return (a file's content hash, a store's description) is taken as declared,
        # as `provisioner import` does; for a file its marker proves the content
        # (a ChainMap writes only to its first map, so the recorded one is never changed)
        recorded_so_far = cast(MutableMapping[str, dict[str, Any]], context.recorded)
        known = dataclasses.replace(context, recorded=ChainMap({item.address: wanted}, recorded_so_far))
        before = handler.live_attributes(live_objects[lost], item.address, known)
        wanted, common["after"] = as_live(wanted, before, ignored), as_live(after, before, ignored)
        diff = field_changes(before, wanted, handler.replace_fields)
        proof, instead = (("uploaded by this stack (its name carries this file's marker)", "uploading it again")
                          if after.get(DECLARED_MARKER) else
                          (f"tagged by this stack as {item.address}", "creating another"))
        forcing = sorted({d.path for d in diff if d.forces_replacement})
        if forcing:
            return Change(**common, action=Action.REPLACE, id=lost, before=before, diff=diff,
                          reason=f"{proof} but missing from state, and {', '.join(forcing)} cannot change"
                          " in place; replacing it")
        return Change(**common, action=Action.ADOPT, id=lost, before=before, diff=diff,
                      reason=f"{proof} but missing from state; adopting it instead of {instead}")

    if recorded is None or recorded.id is None:
        found = "found the live object an interrupted apply made (it carries the marker its intent recorded)"
        live_id = _made_unrecorded(item.kind, recorded, observed, claimed)
        if live_id is not None:
            before = handler.live_attributes(live_objects[live_id], item.address, context)
            diff = field_changes(before, wanted, handler.replace_fields)
            forcing = sorted({d.path for d in diff if d.forces_replacement})
            if forcing:
                return Change(**common, action=Action.REPLACE, id=live_id, before=before, diff=diff,
                              reason=f"{found}, but {', '.join(forcing)} cannot change in place; replacing it")
            return Change(**common, action=Action.ADOPT, id=live_id, before=before, diff=diff,
                          reason=f"{found}; taking it back instead of creating another")
        return Change(**common, action=Action.CREATE,
                      reason=UNPROVEN if _unproven(recorded) else "new in the stack")

    if recorded.kind != item.kind:
        # e.g. an assistant moved to another target: make the new kind, then delete the old object
        old_live = observed.objects.get(recorded.kind, {}).get(recorded.id or "")
        before = (handler_for(recorded.kind).live_attributes(old_live, item.address, context)
                  if old_live is not None else recorded.attributes)
        return Change(**common, action=Action.REPLACE, id=recorded.id, before=before,
                      diff=field_changes(before, wanted),
                      reason=f"it is deployed as {recorded.kind} now; the stack asks for {item.kind}")

    live = live_objects.get(recorded.id or "")
    if live is None:
        return Change(**common, action=Action.CREATE, drift=True, before=None,
                      reason=f"{recorded.id} was deleted outside provisioner; it will be created again")

    before = tag_follows_state(handler.live_attributes(live, item.address, context), item.address)
    # ignored fields (lifecycle.ignore_changes) compare as live: an edit elsewhere is no update, no drift
    wanted, common["after"] = as_live(wanted, before, ignored), as_live(after, before, ignored)
    unusable = handler.unusable(live)
    if unusable:
        return Change(**common, action=Action.REPLACE, id=recorded.id, before=before,
                      diff=field_changes(before, wanted), drift=True,
                      reason=f"{recorded.id} cannot serve again: {unusable}")
    diff = field_changes(before, wanted, handler.replace_fields)
    drifted = field_changes(as_live(_compared(recorded.attributes, item.kind), before, ignored), before)
    reason = None
    if drifted:
        reason = "changed outside provisioner: " + ", ".join(sorted({d.path.split(".")[0].split("[")[0]
                                                                      for d in drifted}))
    forcing = sorted({d.path for d in diff if d.forces_replacement})
    if forcing:
        action = Action.REPLACE
        reason = f"{', '.join(forcing)} cannot change in place" + (f"; {reason}" if reason else "")
    else:
        action = Action.UPDATE if diff else Action.NOOP
    return Change(**common, action=action, id=recorded.id, before=before, diff=diff,
                  drift=bool(drifted), reason=reason)


def _replaced(change: Change, recorded: ResourceState | None) -> Replaced:
    """The old object of a replacement, as apply leaves it in state (deposed) until its delete step."""
    assert change.id is not None  # a replacement always acts on an object: the recorded one or one found
    # an untracked object (an interrupted create's) was found among the declared kind's objects
    kind = recorded.kind if recorded is not None and recorded.id is not None else change.kind
    return Replaced(address=deposed_address(change.address, change.id), id=change.id, kind=kind,
                    dependencies=list(recorded.dependencies) if recorded else [])


def _made_unrecorded(kind: str, recorded: ResourceState | None, observed: Observed, claimed: set[str]) -> str | None:
    """The live object that a create recorded as an intent (id unknown) made: the one carrying its
    marker. Nothing else is proof: another environment of the same stack makes look-alikes."""
    if recorded is None or recorded.id is not None or _unproven(recorded):
        return None
    marker = recorded.attributes[PENDING_MARKER]
    handler = handler_for(kind)
    for live_id, live in observed.objects.get(kind, {}).items():
        if live_id not in claimed and handler.carries_marker(live, marker):
            return live_id
    return None


def _unproven(recorded: ResourceState | None) -> bool:
    """An intent recorded by an older version, without a marker: what it made can never be told apart."""
    return recorded is not None and recorded.id is None and not recorded.attributes.get(PENDING_MARKER)


def _delete(resource: ResourceState, observed: Observed, claimed: set[str]) -> Change:
    # a create whose answer was lost still made an object: that one is deleted, not leaked
    made = _made_unrecorded(resource.kind, resource, observed, claimed)
    if made is not None:
        claimed.add(made)
        resource = resource.model_copy(update={"id": made})
    live = observed.objects.get(resource.kind, {}).get(resource.id or "")
    before = (handler_for(resource.kind).live_attributes(live, resource.address, observed.context)
              if live is not None else resource.attributes)
    if made is not None:
        reason = "removed from the stack before its creation finished; deleting the object it made"
    elif _unproven(resource):
        reason = f"removed from the stack before its creation finished; forgotten. {LEFT_ALONE}"
    elif resource.id is None:
        reason = "removed from the stack before its creation finished; forgotten"
    elif is_deposed(resource.address):
        reason = "left over from a replacement; deleting the old object"
    elif live is None:
        reason = "removed from the stack; already gone live, so only forgotten"
    else:
        reason = "removed from the stack"
    return Change(address=resource.address, kind=resource.kind, action=Action.DELETE, id=resource.id,
                  before=before, after=None, reason=reason, depends_on=list(resource.dependencies),
                  drift=live is None)


def _held_by_our_stores(owned: dict[str, dict[str, list[str]]], observed: Observed) -> set[str]:
    """Ids of the files attached to a vector store that state tracks or tags prove this stack's and workspace's."""
    ours = set(observed.context.tracked_ids) | {i for ids in owned.get("vector_store", {}).values() for i in ids}
    return {member["id"] for store_id, store in observed.objects.get("vector_store", {}).items() if store_id in ours
            for member in store.get("files", [])}


def untracked(declared: list[Declared], state: State, observed: Observed) -> tuple[dict[str, str], list[Orphan]]:
    """What a plan of `declared` from `state` takes of the untracked objects it proves its own (the id
    it adopts per address) and the orphans it lists, without planning the rest: drift reports them.

    These are the claims the plan's decisions make: the state's ids, for an address the state lost
    the oldest object proven its own, and what an interrupted create made."""
    wanted = {d.address: d for d in declared}
    observed, owned = _with_ownership(wanted, state, observed, {})
    claimed = {r.id for r in state.resources.values() if r.id}
    adopted = {}
    for address, item in wanted.items():
        taken = (_oldest_untaken(owned.get(item.kind, {}).get(address, []), claimed) if address not in state.resources
                 else _made_unrecorded(item.kind, state.resources[address], observed, claimed))
        if taken is not None:
            claimed.add(taken)
            adopted[address] = taken
    for address, resource in state.resources.items():
        made = None if address in wanted else _made_unrecorded(resource.kind, resource, observed, claimed)
        if made is not None:
            claimed.add(made)
    return adopted, _orphans(owned, claimed, observed)


def _oldest_untaken(tagged: Sequence[str], claimed: set[str]) -> str | None:
    """Of the objects proven one address's (oldest first), the one a plan adopts for it."""
    return next((live_id for live_id in tagged if live_id not in claimed), None)


def _orphans(owned: dict[str, dict[str, list[str]]], claimed: set[str], observed: Observed) -> list[Orphan]:
    """Objects proven this stack's and workspace's that nothing took: the state tracks none of them and
    the plan adopts none. An address the stack dropped, or a second object of one tracked or adopted."""
    return [Orphan(address=address, kind=kind, id=live_id, name=observed.objects[kind][live_id].get("name"))
            for kind, by_address in owned.items() for address, ids in sorted(by_address.items())
            for live_id in ids if live_id not in claimed]


def orphan_address(orphan: Orphan) -> str:
    """Its own address in a plan: the address its tags name may be another change's (a duplicate)."""
    return f"{orphan.address} (orphan {orphan.id})"


def _delete_orphan(orphan: Orphan, observed: Observed, adopted: set[str], state: State) -> Change:
    live = observed.objects[orphan.kind][orphan.id]
    before = handler_for(orphan.kind).live_attributes(live, orphan.address, observed.context)
    tracked = state.resources.get(orphan.address)
    if orphan.address in adopted:
        why = f"another object tagged by this stack as {orphan.address}, which took the oldest"
    elif tracked is not None and tracked.id:
        why = f"another object tagged by this stack as {orphan.address}, which the state tracks as {tracked.id}"
    else:
        why = f"tagged by this stack as {orphan.address}, which it neither declares nor tracks"
    return Change(address=orphan_address(orphan), kind=orphan.kind, action=Action.DELETE, id=orphan.id,
                  before=before, reason=f"orphan: {why}; deleting it (--delete-orphans)")
