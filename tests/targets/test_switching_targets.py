"""Moving an applied assistant to the other target replaces it: the new deployment is made, then the
old one goes (an Assistants API object is deleted, not left behind)."""
from __future__ import annotations

import json
from pathlib import Path

import openai
from tests.conftest import stack_state

STACK = "stacks/support-bot"
RESPONSES = ("--var", "assistant_target=responses")


def test_moving_to_the_responses_target_deletes_the_assistants_api_object(cli, workspace: Path, read_state,
                                                                         api: openai.OpenAI):
    assert cli("apply", STACK, "--auto-approve").code == 0
    assistant_id = read_state()["resources"]["assistants.support"]["id"]

    plan = json.loads(cli("plan", STACK, *RESPONSES, "--json").out)
    change = next(c for c in plan["changes"] if c["address"] == "assistants.support")
    assert change["action"] == "replace" and change["kind"] == "assistant_definition"
    assert [c["address"] for c in plan["changes"] if c["action"] != "no-op"] == ["assistants.support"]

    result = cli("apply", STACK, *RESPONSES, "--auto-approve")
    assert result.code == 0, result.output
    try:
        api.beta.assistants.retrieve(assistant_id)
        raise AssertionError("the Assistants API object was left behind")
    except openai.NotFoundError:
        pass
    state = read_state()["resources"]
    assert state["assistants.support"]["kind"] == "assistant_definition"
    assert not [a for a in state if "deposed" in a]
    assert cli("plan", STACK, *RESPONSES, "--detailed-exitcode").code == 0


def test_moving_back_to_the_assistants_api_creates_the_object_again(cli, workspace: Path, read_state,
                                                                   api: openai.OpenAI):
    assert cli("apply", STACK, *RESPONSES, "--auto-approve").code == 0
    result = cli("apply", STACK, "--auto-approve")
    assert result.code == 0, result.output
    resource = read_state()["resources"]["assistants.support"]
    assert resource["kind"] == "assistant" and api.beta.assistants.retrieve(resource["id"]).model == "gpt-4o"
    outputs = json.loads(stack_state(workspace, "support-bot", suffix=".outputs.json").read_text())
    assert outputs["assistants"]["support"] == {"target": "assistants_api", "id": resource["id"]}
    assert cli("plan", STACK, "--detailed-exitcode").code == 0


def test_after_the_sunset_an_applied_assistant_moves_to_the_responses_target(
        cli, workspace: Path, read_state, emulator_factory, monkeypatch, tmp_path: Path):
    # one database: first served with the Assistants API, then as OpenAI serves it after the sunset
    before = emulator_factory(db_path=tmp_path / "openai.db")
    monkeypatch.setenv("PROVISIONER_EMULATOR_URL", before.base_url)
    assert cli("apply", STACK, "--auto-approve").code == 0
    store_id = read_state()["resources"]["vector_stores.knowledge"]["id"]
    before.close()
    after = emulator_factory(db_path=tmp_path / "openai.db", assistants_api=False)
    monkeypatch.setenv("PROVISIONER_EMULATOR_URL", after.base_url)

    assert "2026-08-26" in cli("plan", STACK).err  # still asking for the Assistants API: refused
    result = cli("apply", STACK, *RESPONSES, "--auto-approve")
    assert result.code == 0, result.output
    assert "Resources: 1 added, 0 changed, 1 destroyed." in result.out
    resources = read_state()["resources"]
    assert resources["assistants.support"]["kind"] == "assistant_definition"
    assert resources["vector_stores.knowledge"]["id"] == store_id  # files and stores live on, untouched
    outputs = json.loads(stack_state(workspace, "support-bot", suffix=".outputs.json").read_text())
    assert outputs["assistants"]["support"]["definition"]["tools"][0]["vector_store_ids"] == [store_id]
    assert cli("plan", STACK, *RESPONSES, "--detailed-exitcode").code == 0
