"""`provisioner state list|show|rm|mv`: edits of the state that make no API write, after which the
next plan of the matching stack shows no change."""
from __future__ import annotations

import json
from pathlib import Path

import openai

from tests.conftest import api_writes, replace_in

STACK = "stacks/support-bot"


def _edit(workspace: Path, old: str, new: str) -> None:
    replace_in(workspace / STACK / "stack.yaml", old, new)


def _rename_the_store_in_the_stack(workspace: Path) -> None:
    _edit(workspace, "  knowledge:\n", "  kb:\n")
    _edit(workspace, "vector_stores: [knowledge]", "vector_stores: [kb]")


def test_state_list_and_show(cli, workspace: Path, read_state):
    assert cli("apply", STACK, "--auto-approve").code == 0
    listed = cli("state", "list", STACK)
    assert listed.code == 0
    assert listed.out.splitlines() == sorted(read_state()["resources"])
    store = read_state()["resources"]["vector_stores.knowledge"]
    shown = cli("state", "show", STACK, "vector_stores.knowledge", "--json")
    assert json.loads(shown.out) == store
    assert store["id"] in cli("state", "show", STACK, "vector_stores.knowledge").out
    missing = cli("state", "show", STACK, "vector_stores.knowldge")
    assert missing.code == 1 and 'did you mean "vector_stores.knowledge"' in missing.err


def test_state_mv_keeps_the_object_and_makes_no_api_write(cli, workspace: Path, emulator, read_state,
                                                            api: openai.OpenAI):
    assert cli("apply", STACK, "--auto-approve").code == 0
    store_id = read_state()["resources"]["vector_stores.knowledge"]["id"]
    writes = api_writes(emulator)

    result = cli("state", "mv", STACK, "vector_stores.knowledge", "vector_stores.kb")
    assert result.code == 0, result.output
    _rename_the_store_in_the_stack(workspace)
    plan = cli("plan", STACK, "--detailed-exitcode")
    assert plan.code == 0, plan.output
    assert "No changes." in plan.out
    assert api_writes(emulator) == writes
    assert read_state()["resources"]["vector_stores.kb"]["id"] == store_id
    assert api.vector_stores.retrieve(store_id).status == "completed"


def test_state_mv_refuses_a_taken_address_or_another_kind(cli, workspace: Path, read_state):
    assert cli("apply", STACK, "--auto-approve").code == 0
    before = read_state()
    taken = cli("state", "mv", STACK, "files.pricing", 'file_sets.docs["faq.md"]')
    assert taken.code == 1 and "a resource keeps its kind" in taken.err
    cli("state", "mv", STACK, "vector_stores.knowledge", "vector_stores.kb")
    cli("state", "mv", STACK, "vector_stores.kb", "vector_stores.knowledge")
    assistant = read_state()["resources"]["assistants.support"]
    assert assistant["dependencies"] == before["resources"]["assistants.support"]["dependencies"]
    first, second = sorted(a for a in before["resources"] if a.startswith("file_sets."))[:2]
    clash = cli("state", "mv", STACK, first, second)
    assert clash.code == 1 and f"the state already holds {second}" in clash.err


def test_state_rm_forgets_without_deleting(cli, workspace: Path, emulator, read_state, api: openai.OpenAI):
    assert cli("apply", STACK, "--auto-approve").code == 0
    assistant_id = read_state()["resources"]["assistants.support"]["id"]
    writes = api_writes(emulator)

    result = cli("state", "rm", STACK, "assistants.support")
    assert result.code == 0 and "nothing was deleted" in result.out
    assert "assistants.support" not in read_state()["resources"]
    stack = (workspace / STACK / "stack.yaml").read_text()
    (workspace / STACK / "stack.yaml").write_text(stack[:stack.index("assistants:\n")])
    (workspace / STACK / "target.yaml").unlink()
    plan = cli("plan", STACK, "--detailed-exitcode")
    assert plan.code == 0, plan.output
    assert api_writes(emulator) == writes
    assert api.beta.assistants.retrieve(assistant_id).id == assistant_id


def test_a_moved_block_renames_without_an_api_write(cli, workspace: Path, emulator, read_state):
    assert cli("apply", STACK, "--auto-approve").code == 0
    store_id = read_state()["resources"]["vector_stores.knowledge"]["id"]
    writes = api_writes(emulator)
    _rename_the_store_in_the_stack(workspace)
    (workspace / STACK / "moved.yaml").write_text("moved:\n  - {from: vector_stores.knowledge, to: vector_stores.kb}\n")

    plan = cli("plan", STACK)
    assert plan.code == 0, plan.output
    assert "vector_stores.knowledge has moved to vector_stores.kb" in plan.out and "No changes." in plan.out
    result = cli("apply", STACK, "--auto-approve")
    assert result.code == 0, result.output
    assert read_state()["resources"]["vector_stores.kb"]["id"] == store_id
    again = cli("plan", STACK, "--detailed-exitcode")
    assert again.code == 0 and "has moved" not in again.out  # done once; the block may stay
    assert api_writes(emulator) == writes


def test_a_removed_block_forgets_without_deleting(cli, workspace: Path, emulator, read_state, api: openai.OpenAI):
    assert cli("apply", STACK, "--auto-approve").code == 0
    assistant_id = read_state()["resources"]["assistants.support"]["id"]
    writes = api_writes(emulator)
    stack = (workspace / STACK / "stack.yaml").read_text()
    (workspace / STACK / "stack.yaml").write_text(
        stack[:stack.index("assistants:\n")] + "removed:\n  - {address: assistants.support, destroy: false}\n")

    plan = cli("plan", STACK, "--out", "forget.json")
    assert plan.code == 0, plan.output
    assert "assistants.support will be forgotten" in plan.out and "No changes." in plan.out
    assert cli("apply", "forget.json").code == 0
    assert "assistants.support" not in read_state()["resources"]
    assert cli("plan", STACK, "--detailed-exitcode").code == 0
    assert api_writes(emulator) == writes
    assert api.beta.assistants.retrieve(assistant_id).id == assistant_id


def test_removed_of_a_declared_resource_is_a_stack_error(cli, workspace: Path):
    (workspace / STACK / "removed.yaml").write_text("removed:\n  - {address: vector_stores.knowledge, destroy: false}\n")
    result = cli("plan", STACK)
    assert result.code == 1
    assert "removed.yaml:2:" in result.err and "vector_stores.knowledge is still declared" in result.err
