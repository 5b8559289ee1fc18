"""Drift detection for cron jobs, and saved plans for GitOps (plan on a PR, apply on merge)."""
from __future__ import annotations

import json
from pathlib import Path

import openai

from tests.conftest import api_writes, stack_state

QUICKSTART = "stacks/quickstart"


def _assistant_id(read_state) -> str:
    return read_state("quickstart")["resources"]["assistants.weather"]["id"]


def test_a_change_made_outside_shows_as_drift_with_exit_code_2(cli, workspace: Path, read_state, api: openai.OpenAI):
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    api.beta.agents.update(_assistant_id(read_state), instructions="Edited by hand in the dashboard.")

    result = cli("plan", QUICKSTART, "--detailed-exitcode")
    assert result.code == 2
    assert "changed outside provisioner: instructions" in result.out
    assert "Drift: 1 resource changed outside provisioner: assistants.weather" in result.out
    assert '~ instructions: "Edited by hand in the dashboard."' in result.out

    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    assert api.beta.agents.retrieve(_assistant_id(read_state)).instructions.startswith("You answer questions")
    assert cli("plan", QUICKSTART, "--detailed-exitcode").code == 0


def test_a_resource_deleted_outside_is_planned_again(cli, workspace: Path, read_state, api: openai.OpenAI):
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    old = _assistant_id(read_state)
    api.beta.agents.delete(old)
    plan = json.loads(cli("plan", QUICKSTART, "--json").out)
    change = next(c for c in plan["changes"] if c["address"] == "assistants.weather")
    assert change["action"] == "create" and change["drift"] is True
    assert "deleted outside provisioner" in change["reason"]
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    assert _assistant_id(read_state) != old


def test_saved_plan_applies_exactly_and_only_once(cli, workspace: Path, read_state):
    result = cli("plan", QUICKSTART, "--out", "quickstart.plan.json")
    assert result.code == 0
    assert "Saved the plan to quickstart.plan.json" in result.out
    saved = json.loads((workspace / "quickstart.plan.json").read_text())
    assert [c["action"] for c in saved["changes"]] == ["create"]

    applied = cli("apply", "quickstart.plan.json")  # a saved plan was reviewed already: no prompt
    assert applied.code == 0, applied.output
    assert "1 added" in applied.out
    assert read_state("quickstart")["resources"]["assistants.weather"]["id"].startswith("agent_")

    again = cli("apply", "quickstart.plan.json")
    assert again.code == 1
    assert "the state changed since this plan was made" in again.err


def test_saved_plan_is_refused_when_live_resources_changed(cli, workspace: Path, read_state, api: openai.OpenAI):
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    stack_file = workspace / QUICKSTART / "stack.yaml"
    stack_file.write_text(stack_file.read_text().replace("reasoning_effort: low", "reasoning_effort: medium"))
    assert cli("plan", QUICKSTART, "--out", "p.json").code == 0
    api.beta.agents.update(_assistant_id(read_state), name="renamed by hand")

    result = cli("apply", "p.json")
    assert result.code == 1
    assert "the live resources changed since the saved plan was made" in result.err
    assert api.beta.agents.retrieve(_assistant_id(read_state)).reasoning.effort == "low"


def test_plan_json_and_markdown_are_machine_and_review_friendly(cli, workspace: Path):
    plan = json.loads(cli("plan", QUICKSTART, "--json").out)
    assert plan["summary"]["create"] == 1 and plan["has_changes"] is True
    assert plan["changes"][0]["after"]["tools"][0]["name"] == "get_weather"  # an Agent's function tool is flat
    markdown = cli("plan", QUICKSTART, "--markdown").out
    assert "| `assistants.weather` | create |" in markdown


def test_destroy_refuses_a_saved_plan_that_is_not_a_destroy_plan(cli, workspace: Path, emulator, api):
    assert cli("plan", "stacks/quickstart", "--out", "create.json").code == 0
    writes = api_writes(emulator)
    for extra in ((), ("--auto-approve",)):
        result = cli("destroy", "create.json", *extra)
        assert result.code == 1
        assert "create.json is not a destroy plan" in result.err and "provisioner apply create.json" in result.err
        assert "Traceback" not in result.output
    assert api_writes(emulator) == writes
    assert not stack_state(workspace, "quickstart").exists()
    assert cli("apply", "create.json").code == 0  # the same plan still applies as what it is
