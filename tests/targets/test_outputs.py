"""What applications read after apply: `provisioner output` and the outputs file next to the state."""
from __future__ import annotations

import json
from pathlib import Path
from tests.conftest import stack_state

STACK = "stacks/support-bot"
RESPONSES = ("--var", "assistant_target=responses")


def _outputs_file(workspace: Path) -> Path:
    return stack_state(workspace, "support-bot", suffix=".outputs.json")


def test_output_prints_ids_and_definitions_as_text_and_json(cli, workspace: Path, read_state):
    assert cli("apply", STACK, *RESPONSES, "--auto-approve").code == 0
    resources = read_state()["resources"]
    store_id = resources["vector_stores.knowledge"]["id"]

    text = cli("output", STACK, *RESPONSES)
    assert text.code == 0, text.output
    assert f"vector_stores.knowledge = {store_id}" in text.out
    assert f"files.pricing = {resources['files.pricing']['id']}" in text.out
    assert "assistants.support (responses definition) =" in text.out
    shown = json.loads(text.out.split("assistants.support (responses definition) =\n", 1)[1])
    assert shown["tools"][0]["vector_store_ids"] == [store_id]

    as_json = cli("output", STACK, *RESPONSES, "--json")
    assert as_json.code == 0, as_json.output
    outputs = json.loads(as_json.out)
    assert outputs == json.loads(_outputs_file(workspace).read_text())
    assert outputs["resources"]["vector_stores.knowledge"] == store_id
    assert outputs["assistants"]["support"] == {"target": "responses", "definition": shown}

    for name in ("support", "assistants.support"):
        one = cli("output", STACK, name, "--json", *RESPONSES)
        assert one.code == 0 and json.loads(one.out) == shown
    assert cli("output", STACK, "vector_stores.knowledge", *RESPONSES).out == store_id + "\n"


def test_output_of_an_assistants_api_assistant_is_its_id(cli, workspace: Path, read_state):
    assert cli("apply", STACK, "--auto-approve").code == 0
    assistant_id = read_state()["resources"]["assistants.support"]["id"]
    assert cli("output", STACK, "support").out == assistant_id + "\n"
    outputs = json.loads(cli("output", STACK, "--json").out)
    assert outputs["assistants"]["support"] == {"target": "assistants_api", "id": assistant_id}
    assert f"assistants.support = {assistant_id}" in cli("output", STACK).out


def test_an_unknown_output_name_is_an_error_with_a_suggestion(cli, workspace: Path):
    assert cli("apply", STACK, *RESPONSES, "--auto-approve").code == 0
    result = cli("output", STACK, "suport", *RESPONSES)
    assert result.code == 1
    assert 'has no output named "suport"' in result.err and 'did you mean "support"?' in result.err


def test_removing_an_assistant_removes_its_definition_from_the_outputs(cli, workspace: Path):
    assert cli("apply", STACK, *RESPONSES, "--auto-approve").code == 0
    stack_file = workspace / STACK / "stack.yaml"
    text = stack_file.read_text()
    stack_file.write_text(text[:text.index("\nassistants:")] + "\n")

    assert cli("apply", STACK, *RESPONSES, "--auto-approve").code == 0
    outputs = json.loads(_outputs_file(workspace).read_text())
    assert outputs["assistants"] == {} and "vector_stores.knowledge" in outputs["resources"]


def test_destroy_removes_the_outputs(cli, workspace: Path, read_state):
    assert cli("apply", STACK, *RESPONSES, "--auto-approve").code == 0
    assert _outputs_file(workspace).exists()

    result = cli("destroy", STACK, *RESPONSES, "--auto-approve")
    assert result.code == 0, result.output
    assert "7 destroyed" in result.out
    assert not _outputs_file(workspace).exists()
    assert read_state()["resources"] == {}
    assert "has no outputs" in cli("output", STACK, *RESPONSES).out
    assert cli("output", STACK, "support", *RESPONSES).code == 1
