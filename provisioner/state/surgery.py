"""State surgery: forgetting resources and moving them to another address, as pure edits of a State.

Owns the rules of `state rm` and `state mv` (and the stack's `moved:`/`removed:` blocks): what may
be moved where, and everything in the state that names the old address (other resources'
dependencies and membership keys, the object's own ownership tag as recorded) follows it, so the
next plan sees no change. It must not call the API, read the stack or write storage: the caller
persists the result under the state's lock.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from provisioner.config.suggest import did_you_mean
from provisioner.errors import ProvisionerError
from provisioner.resources.base import OWNER_ADDRESS
from provisioner.state.model import ResourceState, State

_ADDRESS = re.compile(r'^(?P<group>[a-z_]+)\.[A-Za-z][A-Za-z0-9_\-]{0,63}(\[".+"\])?$')


def tracked(state: State, address: str) -> ResourceState:
    resource = state.resources.get(address)
    if resource is None:
        hint = did_you_mean(address, state.resources) or "`provisioner state list PATH` shows every address"
        raise ProvisionerError(f"the state holds no {address}", hint=hint)
    return resource


def _group(address: str) -> str:
    match = _ADDRESS.match(address)
    if match is None:
        raise ProvisionerError(f'"{address}" is not a resource address',
                               hint='addresses look like vector_stores.NAME, assistants.NAME, files.NAME')
    return match["group"]


def forget(state: State, addresses: Iterable[str]) -> State:
    """The state without these resources; their live objects stay as they are, unmanaged."""
    addresses = list(addresses)
    for address in addresses:
        tracked(state, address)
    kept = {a: r for a, r in state.resources.items() if a not in addresses}
    return state.model_copy(update={"resources": kept})


def move(state: State, old: str, new: str) -> State:
    """The state with the resource at `old` now at `new` (same kind), and every mention following it."""
    tracked(state, old)
    if _group(old) != _group(new):
        raise ProvisionerError(f"cannot move {old} to {new}: a resource keeps its kind",
                               hint=f"the new address must start with {_group(old)}.")
    if new in state.resources:
        raise ProvisionerError(f"cannot move {old} to {new}: the state already holds {new}",
                               hint=f"`provisioner state rm PATH {new}` first if that one should be forgotten")
    moved = {}
    for address, entry in state.resources.items():
        if address == old:
            entry = entry.model_copy(update={"address": new, "attributes": _retag(entry.attributes, old, new)})
            address = new
        else:
            entry = entry.model_copy(update={
                "attributes": _renamed_keys(entry.attributes, old, new),
                "dependencies": [new if d == old else d for d in entry.dependencies]})
        moved[address] = entry
    return state.model_copy(update={"resources": moved})


def _retag(attributes: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    metadata = attributes.get("metadata")
    if isinstance(metadata, dict) and metadata.get(OWNER_ADDRESS) == old:
        return {**attributes, "metadata": {**metadata, OWNER_ADDRESS: new}}
    return attributes


def _renamed_keys(value: Any, old: str, new: str) -> Any:
    """Membership maps are keyed by address (a store's files): the key follows the move."""
    if isinstance(value, dict):
        return {(new if k == old else k): _renamed_keys(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed_keys(v, old, new) for v in value]
    return value


def tag_follows_state(live: dict[str, Any], address: str) -> dict[str, Any]:
    """A tracked object's address tag, as the planner compares it, is the address the state gives it:
    a move changes no live object, so the tag made at create may still name the old address."""
    metadata = live.get("metadata")
    if isinstance(metadata, dict) and metadata.get(OWNER_ADDRESS) not in (None, address):
        return {**live, "metadata": {**metadata, OWNER_ADDRESS: address}}
    return live


def edits_of_stack(state: State, moved: Iterable[Any], removed: Iterable[Any]) -> tuple[list[dict[str, str]], list[str]]:
    """The stack's `moved:` and `removed: {destroy: false}` blocks that this state still has to take:
    a move already made (or of something never applied) and a resource already forgotten are done."""
    moves = [{"from": m.from_, "to": m.to} for m in moved if m.from_ in state.resources]
    forgets = [r.address for r in removed if not r.destroy and r.address in state.resources]
    return moves, forgets


def replay(state: State, moves: Iterable[dict[str, str]], forgets: Iterable[str]) -> State:
    """`state` with these edits made (those it already has are skipped), as plan showed them."""
    for entry in moves:
        if entry["from"] in state.resources:
            state = move(state, entry["from"], entry["to"])
    present = [address for address in forgets if address in state.resources]
    return forget(state, present) if present else state
