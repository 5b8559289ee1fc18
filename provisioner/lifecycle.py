"""Lifecycle guards on declared resources: `prevent_destroy` and `ignore_changes`.

Owns checking the field names `ignore_changes` takes (with file:line; each kind's handler declares
which names its entries take and what attributes they cover), and the two effects: a plan that would delete or
replace a protected resource is refused before any change, and ignored fields compare as what is
live, so an edit made elsewhere is neither an update nor drift (the declared value is used only to
create). It must not call the API, write state or decide anything else about a change.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.addresses import address
from provisioner.config.spec import Lifecycle
from provisioner.config.suggest import did_you_mean
from provisioner.config.yaml_source import SourceMap
from provisioner.errors import DiagnosticCollector, ProvisionerError
from provisioner.plan import Action, Plan
from provisioner.resources import ignorable

# section -> the name a stack writes -> the planned attributes it covers
IGNORABLE = ignorable()
ALL = "all"


def collect(specs: Mapping[str, Mapping[str, Any]], file_sets: Mapping[str, list[str]], smap: SourceMap,
            diags: DiagnosticCollector) -> dict[str, Lifecycle]:
    """Every declared `lifecycle:` block by address (a file set's for each of its files), names checked."""
    found: dict[str, Lifecycle] = {}
    for group, fields in IGNORABLE.items():
        for name, spec in specs.get(group, {}).items():
            lifecycle = getattr(spec, "lifecycle", None)
            if lifecycle is None:
                continue
            if lifecycle.ignore_changes != ALL:
                for i, field in enumerate(lifecycle.ignore_changes):
                    if field not in fields:
                        diags.add(f'{group}.{name}: ignore_changes names "{field}", which is not a field'
                                  f" of {group} entries", smap.value((group, name, "lifecycle", "ignore_changes", i)),
                                  hint=did_you_mean(field, fields)
                                  or f"use `all` or some of: {', '.join(sorted(fields))}")
            members = file_sets.get(name, []) if group == "file_sets" else [address(group, name)]
            found.update({member: lifecycle for member in members})
    return found


def ignored_attributes(lifecycle: Lifecycle | None, group: str) -> frozenset[str] | None:
    """The attributes to compare as live; None for every one (`ignore_changes: all`)."""
    if lifecycle is None:
        return frozenset()
    if lifecycle.ignore_changes == ALL:
        return None
    fields = IGNORABLE.get(group, {})
    return frozenset(a for field in lifecycle.ignore_changes for a in fields.get(field, ()))


def as_live(attributes: dict[str, Any], live: dict[str, Any], ignored: frozenset[str] | None) -> dict[str, Any]:
    """`attributes` with the ignored ones taken from what is live, so they never differ."""
    if ignored is None:  # all: what the API never returns (a local path) stays as declared
        return {key: live[key] if key in live else value for key, value in attributes.items()}
    if not ignored:
        return attributes
    # a named field is wholly as live: absent when the live object has none (the API's default, left
    # out of the normal form) even if declared, present when live has one the stack does not declare
    out = {key: live[key] if key in ignored else value for key, value in attributes.items()
           if key not in ignored or key in live}
    return {**out, **{key: live[key] for key in sorted(ignored) if key in live and key not in out}}


def check_prevent_destroy(plan: Plan, lifecycles: Mapping[str, Lifecycle]) -> None:
    """Refuse, before any change, a plan that deletes or replaces a resource declared prevent_destroy."""
    blocked = []
    for change in plan.changes:
        lifecycle = lifecycles.get(change.address)
        if lifecycle is None or not lifecycle.prevent_destroy:
            continue
        if change.action is Action.DELETE:
            blocked.append(f"{change.address} would be destroyed" + (f" ({change.reason})" if change.reason else ""))
        elif change.action is Action.REPLACE:
            blocked.append(f"{change.address} would be replaced (destroyed, then created again)"
                           + (f": {change.reason}" if change.reason else ""))
    if blocked:
        raise ProvisionerError("the plan would destroy resources declared with `lifecycle: {prevent_destroy: true}`:\n"
                               + "\n".join(f"  {line}" for line in blocked),
                               hint="nothing was changed; if this is intended, remove prevent_destroy from"
                               " these resources first, or change the stack so they are kept")
