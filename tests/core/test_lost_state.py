"""When the state is lost, the ownership tags (and each file's marker) recover it: a plan adopts every
object they prove this stack's, workspace's and address's, and creates nothing; tagged objects at
addresses the stack dropped are orphans, deleted only with --delete-orphans; another workspace's
objects are never touched; uploads that cannot be proven (an older provisioner's random marker) are
named in a warning, never taken and never duplicated in silence."""
from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from tests.conftest import api_writes, replace_in, stack_state

STACK = "stacks/support-bot"

TWO_OF_EACH = """\
stack: orph
provider: {kind: emulator}
files:
  notes: {path: notes.md}
vector_stores:
  kb: {files: [notes]}
  old: {files: [notes]}
assistants:
  bot:
    model: gpt-4o
    tools: [{type: file_search}]
    tool_resources: {file_search: {vector_stores: [kb]}}
  helper: {model: gpt-4o, instructions: help}
"""


def _lose_state(workspace: Path, stack: str = "support-bot", folder: str | None = None) -> None:
    state = stack_state(workspace, stack, folder)
    state.unlink()
    state.with_name(state.name + ".backup").unlink(missing_ok=True)


def _plan_json(cli, *args: str) -> dict:
    result = cli("plan", *args, "--json")
    assert result.code == 0, result.output
    return json.loads(result.out)


def _actions(plan: dict) -> dict[str, str]:
    return {c["address"]: c["action"] for c in plan["changes"]}


def _ids(state: dict) -> dict[str, str]:
    return {address: r["id"] for address, r in state["resources"].items()}


def _orph(workspace: Path) -> Path:
    folder = workspace / "stacks" / "orph"
    folder.mkdir()
    (folder / "notes.md").write_text("Orders ship within two days.\n")
    (folder / "stack.yaml").write_text(TWO_OF_EACH)
    return folder / "stack.yaml"


def _orph_applied_then_lost(cli, workspace: Path, read_state) -> tuple[Path, dict[str, str]]:
    """The orph stack applied, then its state lost: its stack file, and the ids it had."""
    stack = _orph(workspace)
    assert cli("apply", "stacks/orph", "--auto-approve").code == 0
    ids = _ids(read_state("orph"))
    _lose_state(workspace, "orph")
    return stack, ids


def test_a_deleted_state_adopts_every_tagged_object_and_makes_no_api_write(cli, workspace: Path, emulator,
                                                                            read_state):
    assert cli("apply", STACK, "--auto-approve").code == 0
    applied = _ids(read_state())
    _lose_state(workspace)

    text = cli("plan", STACK)
    assert "Plan: 0 to add, 0 to change, 0 to destroy, 7 to adopt." in text.out, text.out
    assert "missing from state; adopting it instead of creating another" in text.out
    assert "adopting it instead of uploading it again" in text.out
    plan = _plan_json(cli, STACK)
    assert set(_actions(plan).values()) == {"adopt"} and len(plan["changes"]) == 7
    assert {c["address"]: c["id"] for c in plan["changes"]} == applied
    assert plan["orphans"] == [] and plan["look_alikes"] == []

    writes = api_writes(emulator)
    result = cli("apply", STACK, "--auto-approve")
    assert result.code == 0, result.output
    assert "0 added, 7 changed, 0 destroyed" in result.out
    assert api_writes(emulator) == writes  # no upload, no create, not even an update: all was as declared
    assert _ids(read_state()) == applied
    assert cli("plan", STACK, "--detailed-exitcode").code == 0


def test_adoption_still_shows_what_differs_from_the_stack(cli, workspace: Path, api: openai.OpenAI, read_state):
    assert cli("apply", STACK, "--auto-approve").code == 0
    assistant = read_state()["resources"]["assistants.support"]["id"]
    api.beta.assistants.update(assistant, instructions="Tuned in the dashboard.")
    _lose_state(workspace)

    plan = _plan_json(cli, STACK)
    [change] = [c for c in plan["changes"] if c["address"] == "assistants.support"]
    assert change["action"] == "adopt" and [d["path"] for d in change["diff"]] == ["instructions"]
    assert cli("apply", STACK, "--auto-approve").code == 0
    assert api.beta.assistants.retrieve(assistant).instructions != "Tuned in the dashboard."
    assert cli("plan", STACK, "--detailed-exitcode").code == 0


def test_responses_definitions_have_no_server_object_and_are_recorded_again(cli, workspace: Path, emulator,
                                                                             read_state):
    target = ("--var", "assistant_target=responses")
    assert cli("apply", STACK, *target, "--auto-approve").code == 0
    definition = read_state()["resources"]["assistants.support"]
    _lose_state(workspace)

    plan = _plan_json(cli, STACK, *target)
    actions = _actions(plan)
    assert actions.pop("assistants.support") == "create"  # nothing live to adopt: it is written to state again
    assert set(actions.values()) == {"adopt"} and len(actions) == 6
    writes = api_writes(emulator)
    assert cli("apply", STACK, *target, "--auto-approve").code == 0
    assert api_writes(emulator) == writes
    assert read_state()["resources"]["assistants.support"] == definition
    assert cli("plan", STACK, *target, "--detailed-exitcode").code == 0


def test_an_address_dropped_while_the_state_was_lost_is_an_orphan_deleted_only_when_asked(
        cli, workspace: Path, api: openai.OpenAI, read_state):
    stack, ids = _orph_applied_then_lost(cli, workspace, read_state)
    replace_in(stack, "  old: {files: [notes]}\n", "")
    replace_in(stack, "  helper: {model: gpt-4o, instructions: help}\n", "")

    text = cli("plan", "stacks/orph")
    assert text.code == 0, text.output
    assert "Warning: 2 orphans" in text.out and "--delete-orphans" in text.out
    assert f"vector_stores.old: {ids['vector_stores.old']}" in text.out
    assert f"assistants.helper: {ids['assistants.helper']}" in text.out
    assert "3 to adopt" in text.out and "0 to destroy" in text.out
    plan = _plan_json(cli, "stacks/orph")
    assert sorted((o["address"], o["id"]) for o in plan["orphans"]) == sorted(
        [("vector_stores.old", ids["vector_stores.old"]), ("assistants.helper", ids["assistants.helper"])])

    assert cli("apply", "stacks/orph", "--auto-approve").code == 0  # adopts, leaves the orphans alone
    assert api.vector_stores.retrieve(ids["vector_stores.old"]).id
    assert api.beta.assistants.retrieve(ids["assistants.helper"]).id
    assert "Warning: 2 orphans" in cli("plan", "stacks/orph").out  # still listed: the state never took them

    saved = workspace / "orphans.json"
    assert cli("plan", "stacks/orph", "--delete-orphans", "--out", str(saved)).code == 0
    deletes = {c["id"]: c["reason"] for c in json.loads(saved.read_text())["changes"] if c["action"] == "delete"}
    assert set(deletes) == {ids["vector_stores.old"], ids["assistants.helper"]}
    assert all(reason.startswith("orphan: ") for reason in deletes.values())
    result = cli("apply", str(saved))
    assert result.code == 0, result.output
    assert "2 destroyed" in result.out
    with pytest.raises(openai.NotFoundError):
        api.vector_stores.retrieve(ids["vector_stores.old"])
    with pytest.raises(openai.NotFoundError):
        api.beta.assistants.retrieve(ids["assistants.helper"])
    after = cli("plan", "stacks/orph", "--detailed-exitcode")
    assert after.code == 0 and "orphan" not in after.out, after.out
    assert _ids(read_state("orph")) == {a: i for a, i in ids.items() if a not in ("vector_stores.old", "assistants.helper")}


def test_a_kind_the_stack_no_longer_declares_is_searched_for_orphans_when_deleting_them(
        cli, workspace: Path, api: openai.OpenAI, read_state):
    stack, ids = _orph_applied_then_lost(cli, workspace, read_state)
    stack.write_text(TWO_OF_EACH.split("assistants:")[0])  # no assistant left: /v1/assistants is not read

    result = cli("apply", "stacks/orph", "--delete-orphans", "--auto-approve")
    assert result.code == 0, result.output
    for assistant in ("assistants.bot", "assistants.helper"):
        with pytest.raises(openai.NotFoundError):
            api.beta.assistants.retrieve(ids[assistant])
    assert api.vector_stores.retrieve(ids["vector_stores.old"]).id  # still declared: adopted, not deleted


def test_another_workspaces_objects_are_neither_adopted_nor_orphans(cli, workspace: Path, api: openai.OpenAI,
                                                                     read_state):
    prod = {"provisioner:stack": "support-bot", "provisioner:workspace": "prod"}
    # made first, so they are older than the default workspace's: age never overrides the workspace
    theirs_assistant = api.beta.assistants.create(model="gpt-4o", name="prod bot",
                                                  metadata={**prod, "provisioner:address": "assistants.support"}).id
    theirs_store = api.vector_stores.create(name="prod only",
                                            metadata={**prod, "provisioner:address": "vector_stores.archive"}).id
    assert cli("apply", STACK, "--auto-approve").code == 0
    ours = _ids(read_state())
    assert theirs_assistant not in ours.values()
    _lose_state(workspace)

    plan = _plan_json(cli, STACK, "--delete-orphans")
    assert {c["address"]: c["id"] for c in plan["changes"]} == ours
    assert plan["orphans"] == []
    text = cli("plan", STACK, "--delete-orphans").out
    assert theirs_assistant not in text and theirs_store not in text
    assert cli("apply", STACK, "--delete-orphans", "--auto-approve").code == 0
    assert api.beta.assistants.retrieve(theirs_assistant).name == "prod bot"
    assert api.vector_stores.retrieve(theirs_store).name == "prod only"


OLD_UPLOADS = """\
stack: legacy
provider: {kind: emulator}
files:
  pricing: {path: pricing.md}
file_sets:
  docs: {include: ["docs/*.md"]}
vector_stores:
  kb: {files: [pricing], file_sets: [docs]}
"""


def test_uploads_of_an_older_provisioner_in_its_stores_are_named_in_a_warning_never_taken(
        cli, workspace: Path, api: openai.OpenAI, read_state):
    folder = workspace / "stacks" / "legacy"
    (folder / "docs").mkdir(parents=True)
    contents = {"pricing.md": "plan,price\nbasic,10\n", "docs/a.md": "# A\n", "docs/b.md": "# B\n"}
    for name, text in contents.items():
        (folder / name).write_text(text)
    (folder / "stack.yaml").write_text(OLD_UPLOADS)
    # what an older provisioner left after its state was lost: its tagged store holding uploads with
    # random markers, and one without any
    old = {name: api.files.create(file=(uploaded, contents[name].encode()), purpose="assistants").id
           for name, uploaded in (("pricing.md", "pricing.3f9a0c1b2d4e.md"), ("docs/a.md", "a.0a1b2c3d4e5f.md"),
                                  ("docs/b.md", "b.md"))}
    store = api.vector_stores.create(name="kb", file_ids=list(old.values()), metadata={
        "provisioner:stack": "legacy", "provisioner:address": "vector_stores.kb"})
    # the same name and size outside this stack's stores may be anyone's (another workspace's): not named
    loose = api.files.create(file=("a.5a5a5a5a5a5a.md", contents["docs/a.md"].encode()), purpose="assistants").id

    text = cli("plan", "stacks/legacy")
    assert text.code == 0, text.output
    assert "Warning: 3 files at the endpoint have the name, purpose and size of a file this plan uploads" in text.out
    assert "cannot be proven to be this stack's" in text.out and "provisioner import" in text.out
    for live_id in old.values():
        assert live_id in text.out
    assert loose not in text.out
    plan = _plan_json(cli, "stacks/legacy")
    assert sorted(item["id"] for item in plan["look_alikes"]) == sorted(old.values())
    assert _actions(plan) == {"files.pricing": "create", 'file_sets.docs["docs/a.md"]': "create",
                              'file_sets.docs["docs/b.md"]': "create", "vector_stores.kb": "adopt"}
    assert {c["address"]: c["id"] for c in plan["changes"]}["vector_stores.kb"] == store.id

    # the remedy the warning names: import one, and it is not uploaded again
    assert cli("import", "stacks/legacy", "files.pricing", old["pricing.md"]).code == 0
    result = cli("apply", "stacks/legacy", "--auto-approve")
    assert result.code == 0, result.output
    assert "Warning: 2 files" in result.out and "2 added" in result.out
    assert read_state("legacy")["resources"]["files.pricing"]["id"] == old["pricing.md"]
    live = {f.id for f in api.files.list()}
    assert set(old.values()) <= live  # left alone
    after = cli("plan", "stacks/legacy", "--detailed-exitcode")
    assert after.code == 0 and "Warning" not in after.out, after.output


def _edit_outside_refuses(cli, emulator, read_state, saved: Path, stack: str, edit) -> None:
    """`edit` changes live an object the saved plan acts on but the state does not track: apply refuses."""
    state_before = stack_state(saved.parent, stack).read_bytes() if stack_state(saved.parent, stack).exists() else None
    edit()
    writes = api_writes(emulator)
    result = cli("apply", str(saved))
    assert result.code == 1, result.output
    assert "the live resources changed since the saved plan was made" in result.err
    assert "run plan again" in result.err and "Traceback" not in result.output
    assert api_writes(emulator) == writes
    now = stack_state(saved.parent, stack)
    assert (now.read_bytes() if now.exists() else None) == state_before


def test_a_saved_plan_is_refused_when_an_object_it_adopts_changed_live(cli, workspace: Path, emulator,
                                                                        api: openai.OpenAI, read_state):
    assert cli("apply", STACK, "--auto-approve").code == 0
    store = read_state()["resources"]["vector_stores.knowledge"]["id"]
    _lose_state(workspace)
    saved = workspace / "adopt.json"
    assert cli("plan", STACK, "--out", str(saved)).code == 0
    assert {c["address"]: c["action"] for c in json.loads(saved.read_text())["changes"]}[
        "vector_stores.knowledge"] == "adopt"

    _edit_outside_refuses(cli, emulator, read_state, saved, "support-bot",
                          lambda: api.vector_stores.update(store, name="renamed in the dashboard"))
    assert api.vector_stores.retrieve(store).name == "renamed in the dashboard"


def test_a_saved_plan_is_refused_when_an_orphan_it_deletes_changed_or_vanished(cli, workspace: Path, emulator,
                                                                                api: openai.OpenAI, read_state):
    stack, ids = _orph_applied_then_lost(cli, workspace, read_state)
    stack.write_text(TWO_OF_EACH.split("assistants:")[0])  # the assistants are orphans now
    saved = workspace / "orphans.json"
    assert cli("plan", "stacks/orph", "--delete-orphans", "--out", str(saved)).code == 0

    _edit_outside_refuses(cli, emulator, read_state, saved, "orph", lambda: api.beta.assistants.update(
        ids["assistants.helper"], instructions="someone else's now"))
    assert api.beta.assistants.retrieve(ids["assistants.helper"]).instructions == "someone else's now"
    assert cli("plan", "stacks/orph", "--delete-orphans", "--out", str(saved)).code == 0
    _edit_outside_refuses(cli, emulator, read_state, saved, "orph",
                          lambda: api.beta.assistants.delete(ids["assistants.bot"]))
    assert api.beta.assistants.retrieve(ids["assistants.helper"]).id  # not deleted


def test_delete_orphans_with_a_target_is_refused_rather_than_dropping_the_orphans_delete(
        cli, workspace: Path, api: openai.OpenAI, read_state):
    stack, ids = _orph_applied_then_lost(cli, workspace, read_state)
    replace_in(stack, "  helper: {model: gpt-4o, instructions: help}\n", "")

    for command in ("plan", "apply"):
        result = cli(command, "stacks/orph", "--target", "vector_stores.kb", "--delete-orphans",
                     *(["--auto-approve"] if command == "apply" else []))
        assert result.code == 1, result.output
        assert "--delete-orphans cannot be combined with --target" in result.err
        assert "Traceback" not in result.output
    assert api.beta.assistants.retrieve(ids["assistants.helper"]).id


def test_a_duplicate_of_a_tracked_address_is_an_orphan_to_plan_and_drift_alike(cli, workspace: Path,
                                                                               api: openai.OpenAI, read_state):
    _orph(workspace)
    assert cli("apply", "stacks/orph", "--auto-approve").code == 0
    ids = _ids(read_state("orph"))
    # an outside script copies a tracked store, tags and all
    tags = api.vector_stores.retrieve(ids["vector_stores.kb"]).metadata
    duplicate = api.vector_stores.create(name="kb copy", metadata=tags).id

    plan = _plan_json(cli, "stacks/orph")
    assert [(o["address"], o["id"]) for o in plan["orphans"]] == [("vector_stores.kb", duplicate)]
    drift = json.loads(cli("drift", "stacks/orph", "--json").out)
    assert [(d["address"], d["id"]) for d in drift["drift"] if d["status"] == "orphan"] == [
        ("vector_stores.kb", duplicate)]

    planned = cli("plan", "stacks/orph", "--delete-orphans")
    assert f"which the state tracks as {ids['vector_stores.kb']}" in planned.out, planned.out
    result = cli("apply", "stacks/orph", "--delete-orphans", "--auto-approve")
    assert result.code == 0, result.output
    with pytest.raises(openai.NotFoundError):
        api.vector_stores.retrieve(duplicate)
    assert api.vector_stores.retrieve(ids["vector_stores.kb"]).id  # the tracked one stays
    assert _ids(read_state("orph")) == ids
    assert json.loads(cli("drift", "stacks/orph", "--json").out)["drift"] == []


def test_drift_after_a_lost_state_shows_what_the_plan_adopts_as_pending_adopt_not_orphans(
        cli, workspace: Path, read_state):
    stack, ids = _orph_applied_then_lost(cli, workspace, read_state)
    replace_in(stack, "  helper: {model: gpt-4o, instructions: help}\n", "")

    report = json.loads(cli("drift", "stacks/orph", "--json").out)
    plan = _plan_json(cli, "stacks/orph")
    assert [(d["address"], d["id"]) for d in report["drift"] if d["status"] == "orphan"] == [
        (o["address"], o["id"]) for o in plan["orphans"]] == [("assistants.helper", ids["assistants.helper"])]
    # drift reads the kinds that carry tags (and those the state tracks): the file is not looked at
    adopts = {c["address"] for c in plan["changes"] if c["action"] == "adopt" and c["kind"] != "file"}
    assert {p["address"] for p in report["pending"] if p["action"] == "adopt"} == adopts
    assert adopts == set(ids) - {"assistants.helper", "files.notes"}
