"""`provisioner show PLANFILE` prints a saved plan, as Terraform's `show` does."""
from __future__ import annotations

import json
from pathlib import Path

from .conftest import QUICKSTART


def test_show_prints_a_saved_plan_as_text_and_json(cli, workspace: Path, emulator):
    planned = cli("plan", QUICKSTART, "--out", "plan.json")
    assert planned.code == 0
    emulator.reset_stats()

    shown = cli("show", "plan.json")
    assert shown.code == 0, shown.output
    assert "assistants.weather will be created" in shown.out
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in shown.out
    assert planned.out.startswith(shown.out)

    as_json = cli("show", "plan.json", "--json")
    assert as_json.code == 0
    document = json.loads(as_json.out)
    assert document["stack"] == "quickstart" and document["summary"]["create"] == 1
    assert [c["address"] for c in document["changes"]] == ["assistants.weather"]
    assert emulator.stats()["total"] == 0  # a saved plan is shown from the file alone


def test_show_of_a_stack_still_prints_its_state(cli, workspace: Path):
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    shown = cli("show", QUICKSTART)
    assert shown.code == 0 and "assistants.weather  agent_" in shown.out
