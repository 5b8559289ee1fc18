"""Data-driven planner cases: (stack, state, live) -> the actions and reasons a user would see.

Each `cases/<name>.json` holds a stack (YAML text, with any files it needs), the state resources,
the live objects by kind, and the expected action (and optionally reason fragment, drift flag,
live id, diffed paths and a replacement's old object) per address, and the orphans and look-alike
uploads ("address id") it lists (none unless given; `delete_orphans: true` plans the orphans'
deletion instead); optionally also every step apply will take, each with the steps it waits for,
and the addresses of `--target` (`target`), which narrow the plan as the CLI does.
The planner is pure, so no server is involved here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioner.config.loader import load_stack
from provisioner.observe import Observed, observe_context
from provisioner.planner import make_plan
from provisioner.resources import HANDLERS
from provisioner.state.model import ResourceState, State
from provisioner.targeting import targeted

CASES = sorted((Path(__file__).parent / "cases").glob("*.json"))


def _plan(case: dict, tmp_path: Path):
    for name, text in case.get("files", {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "stack.yaml").write_text(case["stack"])
    stack = load_stack(tmp_path / "stack.yaml")
    state = State.new(stack.name).model_copy(update={"serial": 3, "resources": {
        address: ResourceState(address=address, **resource) for address, resource in case["state"].items()}})
    observed = Observed({kind: {o["id"]: o for o in objects} for kind, objects in case["live"].items()},
                        observe_context(state))
    declared = [d for handler in HANDLERS.values() for d in handler.declare(stack)]
    plan = make_plan(stack.name, declared, state, observed, lifecycles=stack.lifecycles,
                     delete_orphans=case.get("delete_orphans", False))
    return targeted(plan, case["target"]) if "target" in case else plan


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_planner_case(case_file: Path, tmp_path: Path):
    case = json.loads(case_file.read_text())
    plan = _plan(case, tmp_path)
    changes = {c.address: c for c in plan.changes}
    assert {a: c.action.value for a, c in changes.items()} == {a: e["action"] for a, e in case["expect"].items()}
    assert sorted(f"{o.address} {o.id}" for o in plan.orphans) == sorted(case.get("orphans", []))
    assert sorted(f"{o.address} {o.id}" for o in plan.look_alikes) == sorted(case.get("look_alikes", []))
    for address, expected in case["expect"].items():
        change = changes[address]
        if "reason" in expected:
            assert expected["reason"] in (change.reason or ""), change.reason
        if "drift" in expected:
            assert change.drift is expected["drift"]
        if "diff" in expected:
            assert sorted(d.path for d in change.diff) == sorted(expected["diff"])
        if "id" in expected:
            assert change.id == expected["id"]
        if "after" in expected:
            for key, value in expected["after"].items():
                assert change.after[key] == value
        if "replaces" in expected:
            assert change.replaces is not None and change.replaces.model_dump(include={"id", "kind"}) == expected["replaces"]
    if "steps" in case:
        assert {step.node: step.wait_for for step in plan.steps} == case["steps"]
        assert list(case["steps"]) == [step.node for step in plan.steps]  # the order apply takes them in
