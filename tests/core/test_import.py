"""Import: objects made by hand are brought under a stack instead of being created a second time."""
from __future__ import annotations

from pathlib import Path

import openai
import pytest

from tests.conftest import weather_assistant

QUICKSTART = "stacks/quickstart"
STACK = "stacks/support-bot"


@pytest.mark.parametrize("target", ["agents", "assistants_api"])
def test_an_assistant_made_by_hand_is_imported_then_brought_in_line(cli, workspace: Path, read_state,
                                                                      api: openai.OpenAI, target: str):
    # the quickstart deploys an Agent; the weather stack, its assistant as an Assistants API object
    stack, name = (QUICKSTART, "quickstart") if target == "agents" else (weather_assistant(workspace), "weather")
    collection = api.beta.agents if target == "agents" else api.beta.assistants
    made = collection.create(model="gpt-4o-mini", name="Weather helper", instructions="hand written")
    result = cli("import", stack, "assistants.weather", made.id)
    assert result.code == 0, result.output
    assert f"Imported {made.id} as assistants.weather" in result.out
    assert read_state(name)["resources"]["assistants.weather"]["id"] == made.id

    plan = cli("plan", stack)
    assert "assistants.weather will be updated in place" in plan.out
    assert '~ instructions: "hand written" -> ' in plan.out
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in plan.out

    assert cli("apply", stack, "--auto-approve").code == 0
    live = collection.retrieve(made.id)
    assert live.instructions.startswith("You answer questions") and live.metadata["provisioner:stack"] == name
    assert cli("plan", stack, "--detailed-exitcode").code == 0


def test_an_uploaded_document_is_imported_and_never_uploaded_again(cli, workspace: Path, read_state,
                                                                    api: openai.OpenAI, emulator):
    path = workspace / STACK / "data" / "pricing.csv"
    uploaded = api.files.create(file=("pricing.csv", path.read_bytes()), purpose="assistants")
    assert cli("import", STACK, "files.pricing", uploaded.id).code == 0
    emulator.reset_stats()
    assert cli("apply", STACK, "--auto-approve").code == 0
    assert read_state()["resources"]["files.pricing"]["id"] == uploaded.id
    assert emulator.stats()["requests"]["POST /v1/files"] == 4  # the four documents, not pricing.csv


def test_import_refuses_what_it_cannot_do(cli, workspace: Path, api: openai.OpenAI):
    missing = cli("import", QUICKSTART, "assistants.weather", "agent_doesnotexist")
    assert missing.code == 1
    assert "has no agent with id agent_doesnotexist" in missing.err
    undeclared = cli("import", QUICKSTART, "assistants.wether", "agent_x")
    assert undeclared.code == 1
    assert 'the stack declares no assistants.wether' in undeclared.err
    assert 'did you mean "assistants.weather"?' in undeclared.err

    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    other = api.beta.agents.create(model="gpt-4o-mini")
    taken = cli("import", QUICKSTART, "assistants.weather", other.id)
    assert taken.code == 1
    assert "assistants.weather is already managed, as agent_" in taken.err
    assert "Traceback" not in missing.output + undeclared.output + taken.output
