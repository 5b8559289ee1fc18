"""Against an endpoint without the Assistants API (OpenAI since 2026-08-26, here the emulator with
`--assistants-api off`): an assistants_api assistant fails the plan before any change, with a
message that names the sunset and the way out; the responses target deploys as usual."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import stack_state

STACK = "stacks/support-bot"


def _writes(stats: dict) -> int:
    return sum(n for route, n in stats["requests"].items() if not route.startswith("GET"))


@pytest.fixture
def sunset(emulator_factory, workspace: Path, monkeypatch: pytest.MonkeyPatch):
    process = emulator_factory(assistants_api=False)
    monkeypatch.setenv("PROVISIONER_EMULATOR_URL", process.base_url)
    return process


@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")])
def test_an_assistants_api_assistant_fails_at_once_naming_the_sunset_and_changing_nothing(
        cli, workspace: Path, sunset, command):
    client = sunset.client()
    files, stores = len(client.files.list().data), len(client.vector_stores.list().data)
    writes = _writes(sunset.stats())

    result = cli(command[0], STACK, *command[1:])
    assert result.code == 1
    assert "does not serve the Assistants API (/v1/assistants answered 404)" in result.err
    assert "OpenAI sunset its hosted Assistants API on 2026-08-26" in result.err
    assert "target: responses" in result.err and "target: agents" in result.err
    assert "Traceback" not in result.output
    assert _writes(sunset.stats()) == writes
    assert (len(client.files.list().data), len(client.vector_stores.list().data)) == (files, stores)
    assert not stack_state(workspace, "support-bot").exists()


def test_the_same_stack_with_the_responses_target_deploys_without_the_assistants_api(cli, workspace: Path, sunset):
    result = cli("apply", STACK, "--var", "assistant_target=responses", "--auto-approve")
    assert result.code == 0, result.output
    assert not [route for route in sunset.stats()["requests"] if "/assistants" in route]
    outputs = json.loads(stack_state(workspace, "support-bot", suffix=".outputs.json").read_text())
    store_id = outputs["resources"]["vector_stores.knowledge"]
    assert sunset.client().vector_stores.retrieve(store_id).file_counts.completed == 4
    assert outputs["assistants"]["support"]["definition"]["tools"][0]["vector_store_ids"] == [store_id]
