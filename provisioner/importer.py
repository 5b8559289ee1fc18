"""Import: put an object that already exists (made by hand, or by another tool) under a stack.

Owns checking that the address is declared and free and that the object exists, and recording it
in state, as Terraform's `import` does. It decides nothing else: the next plan diffs the object
against the stack like any other. Values the API does not return (a file's content hash, a
vector store's description and chunking) are taken from the stack. It must not change the object.
"""
from __future__ import annotations

from provisioner.api.base import Api
from provisioner.config.suggest import did_you_mean
from provisioner.errors import ProvisionerError
from provisioner.observe import observe
from provisioner.resources import handler_for
from provisioner.resources.base import Declared
from provisioner.state.manager import StateManager
from provisioner.state.model import ResourceState


def import_resource(declared: list[Declared], states: StateManager, api: Api, address: str, live_id: str,
                    workspace: str) -> None:
    by_address = {d.address: d for d in declared}
    item = by_address.get(address)
    if item is None:
        raise ProvisionerError(f"the stack declares no {address}",
                               hint=did_you_mean(address, by_address) or "declare it in the stack first, then import")
    state = states.load()
    tracked = state.resources.get(address)
    if tracked is not None and tracked.id is not None:
        raise ProvisionerError(f"{address} is already managed, as {tracked.id}",
                               hint="import only what the state does not track yet")
    owner = next((r.address for r in state.resources.values() if r.id == live_id), None)
    if owner is not None:
        raise ProvisionerError(f"{live_id} is already managed by this stack, as {owner}")
    observed = observe(api, state, {item.kind}, workspace=workspace)
    live = observed.objects.get(item.kind, {}).get(live_id)
    if live is None:
        raise ProvisionerError(f"{api.describe()} has no {item.kind.replace('_', ' ')} with id {live_id}",
                               hint=f"{address} needs the id of an existing {item.kind.replace('_', ' ')}")
    handler = handler_for(item.kind)
    # a reference to a resource with no live id yet (its create is pending) stays its address
    desired = item.build(lambda ref: (state.resources[ref].id or ref) if ref in state.resources else ref)
    found = handler.live_attributes(live, address, observed.context)
    attributes = {key: found[key] if found.get(key) is not None else desired.get(key) for key in desired}
    states.record(address, ResourceState(address=address, kind=item.kind, id=live_id, attributes=attributes,
                                         dependencies=list(item.dependencies)))
