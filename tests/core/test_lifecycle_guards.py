"""`lifecycle:` on a resource: prevent_destroy refuses deletes and replacements before any API
write; ignore_changes leaves fields edited elsewhere alone; unknown field names are stack errors."""
from __future__ import annotations

import re
from pathlib import Path

import openai

from tests.conftest import api_writes, replace_in, stack_state

STACK = "stacks/support-bot"


def _edit(workspace: Path, old: str, new: str) -> None:
    replace_in(workspace / STACK / "stack.yaml", old, new)


def _protect_the_store(workspace: Path) -> None:
    _edit(workspace, "    name: support-knowledge-${var.env}\n",
          "    name: support-knowledge-${var.env}\n    lifecycle: {prevent_destroy: true}\n")


def test_prevent_destroy_refuses_a_destroy_before_any_write(cli, workspace: Path, emulator):
    _protect_the_store(workspace)
    assert cli("apply", STACK, "--auto-approve").code == 0
    state = stack_state(workspace, "support-bot").read_text()
    writes = api_writes(emulator)

    for command in (("destroy", STACK, "--auto-approve"), ("plan", STACK, "--destroy")):
        result = cli(*command)
        assert result.code == 1, result.output
        assert "prevent_destroy" in result.err and "vector_stores.knowledge would be destroyed" in result.err
        assert "Traceback" not in result.output
    assert api_writes(emulator) == writes
    assert stack_state(workspace, "support-bot").read_text() == state


def test_prevent_destroy_refuses_a_replacement(cli, workspace: Path, emulator):
    _protect_the_store(workspace)
    assert cli("apply", STACK, "--auto-approve").code == 0
    writes = api_writes(emulator)
    _edit(workspace, "Product documentation and policies", "Product documentation")  # cannot change in place

    result = cli("apply", STACK, "--auto-approve")
    assert result.code == 1
    assert "vector_stores.knowledge would be replaced" in result.err and "description" in result.err
    assert api_writes(emulator) == writes


def test_ignore_changes_hides_a_hand_edit_of_instructions(cli, workspace: Path, read_state, api: openai.OpenAI):
    _edit(workspace, "    instructions_file: prompts/support.md\n",
          "    instructions_file: prompts/support.md\n    lifecycle:\n      ignore_changes: [instructions]\n")
    assert cli("apply", STACK, "--auto-approve").code == 0
    assistant_id = read_state()["resources"]["assistants.support"]["id"]
    api.beta.assistants.update(assistant_id, instructions="Tuned in the dashboard.")

    result = cli("plan", STACK, "--detailed-exitcode")
    assert result.code == 0, result.output
    assert "No changes." in result.out and "changed outside" not in result.out
    assert cli("drift", STACK).code == 0
    (workspace / STACK / "prompts" / "support.md").write_text("A new prompt, used only at create.\n")
    assert cli("apply", STACK, "--auto-approve").code == 0
    assert api.beta.assistants.retrieve(assistant_id).instructions == "Tuned in the dashboard."

    api.beta.assistants.update(assistant_id, temperature=0.7)  # a field not ignored still shows
    assert cli("plan", STACK, "--detailed-exitcode").code == 2


def test_ignore_changes_all_leaves_the_store_alone(cli, workspace: Path, api: openai.OpenAI, read_state):
    _edit(workspace, "    name: support-knowledge-${var.env}\n",
          "    name: support-knowledge-${var.env}\n    lifecycle: {ignore_changes: all}\n")
    assert cli("apply", STACK, "--auto-approve").code == 0
    store_id = read_state()["resources"]["vector_stores.knowledge"]["id"]
    api.vector_stores.update(store_id, name="renamed by hand", metadata={"owner": "ops"})
    assert cli("plan", STACK, "--detailed-exitcode").code == 0


def test_an_unknown_field_in_ignore_changes_is_a_stack_error(cli, workspace: Path, emulator):
    _edit(workspace, "    instructions_file: prompts/support.md\n",
          "    instructions_file: prompts/support.md\n    lifecycle:\n      ignore_changes: [instructons]\n")
    result = cli("plan", STACK)
    assert result.code == 1
    line = (workspace / STACK / "stack.yaml").read_text().splitlines().index("      ignore_changes: [instructons]") + 1
    assert re.search(rf'stack\.yaml:{line}:\d+: .*"instructons".*\n  hint: did you mean "instructions"\?', result.err), \
        result.err
    assert "Traceback" not in result.output
