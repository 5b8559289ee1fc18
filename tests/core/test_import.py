"""Import: objects made by hand are brought under a stack instead of being created a second time."""
from __future__ import annotations

from pathlib import Path

import openai

QUICKSTART = "stacks/quickstart"
STACK = "stacks/support-bot"


def test_an_assistant_made_by_hand_is_imported_then_brought_in_line(cli, workspace: Path, read_state,
                                                                      api: openai.OpenAI):
    made = api.beta.assistants.create(model="gpt-4o-mini", name="Weather helper", instructions="hand written")
    result = cli("import", QUICKSTART, "assistants.weather", made.id)
    assert result.code == 0, result.output
    assert f"Imported {made.id} as assistants.weather" in result.out
    assert read_state("quickstart")["resources"]["assistants.weather"]["id"] == made.id

    plan = cli("plan", QUICKSTART)
    assert "assistants.weather will be updated in place" in plan.out
    assert '~ instructions: "hand written" -> ' in plan.out
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in plan.out

    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    live = api.beta.assistants.retrieve(made.id)
    assert live.instructions.startswith("You answer questions") and live.metadata["provisioner:stack"] == "quickstart"
    assert cli("plan", QUICKSTART, "--detailed-exitcode").code == 0


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
    missing = cli("import", QUICKSTART, "assistants.weather", "asst_doesnotexist")
    assert missing.code == 1
    assert "has no assistant with id asst_doesnotexist" in missing.err
    undeclared = cli("import", QUICKSTART, "assistants.wether", "asst_x")
    assert undeclared.code == 1
    assert 'the stack declares no assistants.wether' in undeclared.err
    assert 'did you mean "assistants.weather"?' in undeclared.err

    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    other = api.beta.assistants.create(model="gpt-4o-mini")
    taken = cli("import", QUICKSTART, "assistants.weather", other.id)
    assert taken.code == 1
    assert "assistants.weather is already managed, as asst_" in taken.err
    assert "Traceback" not in missing.output + undeclared.output + taken.output
