"""The support-bot example through its whole life: apply, no-op plan, edits, removal, destroy."""
from __future__ import annotations

import json
from pathlib import Path

import openai
from tests.conftest import stack_state


STACK = "stacks/support-bot"


def _plan_json(cli) -> dict:
    result = cli("plan", STACK, "--json")
    assert result.code == 0, result.output
    return json.loads(result.out)


def _actions(plan: dict) -> dict[str, str]:
    return {c["address"]: c["action"] for c in plan["changes"] if c["action"] != "no-op"}


def test_apply_from_nothing_creates_everything_and_indexes(cli, workspace: Path, read_state, api: openai.OpenAI):
    result = cli("apply", STACK, "--auto-approve")
    assert result.code == 0, result.output
    assert "Apply complete! Resources: 7 added, 0 changed, 0 destroyed." in result.out

    state = read_state()
    store_id = state["resources"]["vector_stores.knowledge"]["id"]
    store = api.vector_stores.retrieve(store_id)
    assert store.name == "support-knowledge-dev"
    assert store.file_counts.completed == 4 and store.file_counts.total == 4  # drafts/ excluded
    members = {f.id: f for f in api.vector_stores.files.list(store_id)}
    assert all(f.status == "completed" and f.attributes == {"source": "docs"} for f in members.values())

    assistant = api.beta.assistants.retrieve(state["resources"]["assistants.support"]["id"])
    assert assistant.tool_resources.file_search.vector_store_ids == [store_id]
    assert assistant.tool_resources.code_interpreter.file_ids == [state["resources"]["files.pricing"]["id"]]
    assert sorted(t.function.name for t in assistant.tools if t.type == "function") == ["lookup_order", "open_ticket"]
    assert assistant.metadata["provisioner:stack"] == "support-bot"


def test_second_plan_shows_no_changes(cli, workspace: Path, read_state):
    assert cli("apply", STACK, "--auto-approve").code == 0
    result = cli("plan", STACK, "--detailed-exitcode")
    assert result.code == 0, result.output
    assert "No changes." in result.out


def test_editing_a_field_updates_in_place(cli, workspace: Path, read_state, api: openai.OpenAI):
    assert cli("apply", STACK, "--auto-approve").code == 0
    before = read_state()["resources"]["assistants.support"]["id"]
    stack_file = workspace / STACK / "stack.yaml"
    stack_file.write_text(stack_file.read_text().replace("temperature: 0.2", "temperature: 0.7"))

    result = cli("plan", STACK, "--detailed-exitcode")
    assert result.code == 2
    assert "~ temperature: 0.2 -> 0.7" in result.out
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in result.out

    assert cli("apply", STACK, "--auto-approve").code == 0
    assert read_state()["resources"]["assistants.support"]["id"] == before
    assert api.beta.assistants.retrieve(before).temperature == 0.7


def test_editing_one_document_reuploads_exactly_that_file(cli, workspace: Path, read_state, api: openai.OpenAI):
    assert cli("apply", STACK, "--auto-approve").code == 0
    old = read_state()["resources"]
    doc = 'file_sets.docs["docs/policies/returns.md"]'
    path = workspace / STACK / "docs" / "policies" / "returns.md"
    path.write_text(path.read_text() + "Gift cards cannot be returned.\n")

    plan = _plan_json(cli)
    assert _actions(plan) == {doc: "replace", "vector_stores.knowledge": "update"}

    result = cli("apply", STACK, "--auto-approve")
    assert result.code == 0, result.output
    new = read_state()["resources"]
    assert new[doc]["id"] != old[doc]["id"]
    unchanged = [a for a in old if a.startswith("file_sets") and a != doc]
    assert all(new[a]["id"] == old[a]["id"] for a in unchanged)
    store_id = new["vector_stores.knowledge"]["id"]
    assert store_id == old["vector_stores.knowledge"]["id"]
    live = {f.id: f.status for f in api.vector_stores.files.list(store_id)}
    assert live.get(new[doc]["id"]) == "completed" and old[doc]["id"] not in live
    try:  # the old upload is deleted, not orphaned
        api.files.retrieve(old[doc]["id"])
        raise AssertionError("the replaced file still exists")
    except openai.NotFoundError:
        pass
    assert not [a for a in new if "deposed" in a]


def test_removing_a_resource_from_the_stack_deletes_it(cli, workspace: Path, read_state, api: openai.OpenAI):
    assert cli("apply", STACK, "--auto-approve").code == 0
    pricing = read_state()["resources"]["files.pricing"]["id"]
    stack_file = workspace / STACK / "stack.yaml"
    text = stack_file.read_text()
    text = text.replace("files:\n  pricing:\n    path: data/pricing.csv\n", "")
    text = text.replace("      code_interpreter:\n        files: [pricing]\n", "")
    stack_file.write_text(text)

    plan = _plan_json(cli)
    assert _actions(plan) == {"files.pricing": "delete", "assistants.support": "update"}
    result = cli("apply", STACK, "--auto-approve")
    assert result.code == 0, result.output
    assert "1 destroyed" in result.out
    assert "files.pricing" not in read_state()["resources"]
    try:
        api.files.retrieve(pricing)
        raise AssertionError("the removed file still exists")
    except openai.NotFoundError:
        pass


def test_destroy_leaves_nothing_of_the_stack(cli, workspace: Path, read_state, api: openai.OpenAI):
    assert cli("apply", STACK, "--auto-approve").code == 0
    ids = {a: r["id"] for a, r in read_state()["resources"].items()}
    result = cli("destroy", STACK, "--auto-approve")
    assert result.code == 0, result.output
    assert "7 destroyed" in result.out
    assert read_state()["resources"] == {}
    live = {f.id for f in api.files.list()} | {v.id for v in api.vector_stores.list()} | {
        a.id for a in api.beta.assistants.list()}
    assert not live & set(ids.values())


def test_apply_refuses_without_confirmation_when_not_interactive(cli, workspace: Path, read_state):
    result = cli("apply", STACK)
    assert result.code == 1
    assert "--auto-approve" in result.err
    assert not stack_state(workspace, "support-bot").exists() or \
        read_state()["resources"] == {}
