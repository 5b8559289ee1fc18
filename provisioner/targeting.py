"""`--target ADDRESS` and `--replace ADDRESS`: checking the addresses and narrowing a plan to targets.

Owns which changes a targeted plan keeps (the targets and everything they depend on, through each
change's depends_on; a delete only if targeted itself) with their steps, ordered as in the whole plan
(through the steps it drops), and the warning that the plan is partial. It must not decide actions: the planner does (`make_plan(replace=...)`).
"""
from __future__ import annotations

from collections.abc import Iterable

from provisioner.errors import ProvisionerError
from provisioner.plan import Plan, Step

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
    keep: set[str] = set()
    pending = list(targets)
    while pending:
        address = pending.pop()
        if address in keep or address not in by_address:
            continue
        keep.add(address)
        pending.extend(by_address[address].depends_on)
    return plan.model_copy(update={"changes": [c for c in plan.changes if c.address in keep],
                                   "steps": _kept_steps(plan.steps, keep)})


def _kept_steps(steps: list[Step], keep: set[str]) -> list[Step]:
    """The steps of the kept changes. A kept step waits for every kept step it reached through dropped
    ones: two kept steps ordered only by a step the targeted plan drops keep that order.

    Steps are listed after all they wait for (Step), so one pass in order suffices; a dropped step's
    kept predecessors are worked out once, so the cost is the plan's size times those (few) steps."""
    place = {s.node: i for i, s in enumerate(steps)}
    reach: dict[str, list[str]] = {}  # dropped step -> the kept steps it waits for, directly or through dropped
    out = []
    for step in steps:
        waits = sorted({w for node in step.wait_for for w in reach.get(node, (node,))}, key=place.__getitem__)
        if step.address in keep:
            out.append(step.model_copy(update={"wait_for": waits}))
        else:
            reach[step.node] = waits
    return out
