"""`--target ADDRESS` and `--replace ADDRESS`: checking the addresses and narrowing a plan to targets.

Owns which changes a targeted plan keeps (the targets and everything they depend on, through each
change's depends_on; a delete only if targeted itself) with their steps, and the warning that the
plan is partial. It must not decide actions: the planner does (`make_plan(replace=...)`).
"""
from __future__ import annotations

from collections.abc import Iterable

from provisioner.errors import ProvisionerError
from provisioner.plan import Plan

TARGETING_WARNING = (
    "Warning: Resource targeting is in effect\n\n"
    "You are creating a plan with --target, so it may not show all of the changes the stack asks for;\n"
    "do not make a habit of it. Use it to recover from mistakes or to work around a failure, and run a\n"
    "plan without --target afterwards to see what is left.\n")


def check_addresses(option: str, addresses: Iterable[str], known: Iterable[str]) -> None:
    """Every address given to `option` is declared by the stack or held in its state."""
    known = set(known)
    unknown = [a for a in addresses if a not in known]
    if unknown:
        raise ProvisionerError(f"{option} {', '.join(unknown)}: no such resource in the stack or its state",
                               hint="addresses look like vector_stores.knowledge; `provisioner state list PATH`"
                               " lists those in the state")


def targeted(plan: Plan, targets: Iterable[str]) -> Plan:
    """The plan with only the changes of `targets` and of what they depend on, transitively."""
    by_address = {c.address: c for c in plan.changes}
    by_node = {s.node: s.address for s in plan.steps}
    keep: set[str] = set()
    pending = list(targets)
    while pending:
        address = pending.pop()
        if address in keep or address not in by_address:
            continue
        keep.add(address)
        pending.extend(by_address[address].depends_on)
    # the steps of what is kept, and their waits among them: each wait is between two kept steps alone
    steps = [s.model_copy(update={"wait_for": [n for n in s.wait_for if by_node[n] in keep]})
             for s in plan.steps if s.address in keep]
    return plan.model_copy(update={"changes": [c for c in plan.changes if c.address in keep], "steps": steps})
