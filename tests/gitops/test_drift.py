"""`provisioner drift` (read-only, for cron) and `provisioner refresh` (accept the drift into the state)."""
from __future__ import annotations

import json
from pathlib import Path

import openai

from provisioner.state.local import LocalFileBackend
from tests.gitops.conftest import writes
from tests.conftest import stack_state

QUICKSTART = "stacks/quickstart"
SUPPORT = "stacks/support-bot"


def _assistant_id(read_state, stack="quickstart", name="weather") -> str:
    return read_state(stack)["resources"][f"assistants.{name}"]["id"]


def _edit(workspace: Path, stack: str, old: str, new: str) -> None:
    path = workspace / stack / "stack.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))


def test_an_instruction_edited_by_hand_is_drift_in_every_format_and_drift_writes_nothing(
        cli, clean, workspace: Path, read_state, api: openai.OpenAI):
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    api.beta.agents.update(_assistant_id(read_state), instructions="Edited by hand in the dashboard.")
    state_before = (stack_state(workspace, "quickstart")).read_bytes()
    clean.reset_stats()

    text = cli("drift", QUICKSTART)
    assert text.code == 2, text.output
    assert "assistants.weather" in text.out and "changed outside provisioner" in text.out
    # recorded -> live
    assert '~ instructions: "You answer questions about the weather.' in text.out
    assert '-> "Edited by hand in the dashboard."' in text.out
    assert "Drift: 1 changed." in text.out

    report = json.loads(cli("drift", QUICKSTART, "--json").out)
    assert report["format_version"] == 1 and report["has_drift"] is True
    (item,) = report["drift"]
    assert (item["address"], item["status"], item["id"]) == ("assistants.weather", "changed", _assistant_id(read_state))
    (row,) = item["diff"]
    assert row["path"] == "instructions" and row["after"] == "Edited by hand in the dashboard."
    assert row["before"].startswith("You answer questions")
    assert report["pending"] == []

    markdown = cli("drift", QUICKSTART, "--markdown")
    assert markdown.code == 2
    assert "### provisioner drift: `quickstart`" in markdown.out
    assert "| `assistants.weather` |" in markdown.out and "Edited by hand in the dashboard." in markdown.out

    assert writes(clean) == {}, "drift must never write to the API"
    assert (stack_state(workspace, "quickstart")).read_bytes() == state_before

    # it never takes the lock, so it runs while an apply holds it (and so does plan)
    with LocalFileBackend(stack_state(workspace, "quickstart")).lock("a long apply"):
        assert cli("drift", QUICKSTART).code == 2
        assert cli("plan", QUICKSTART).code == 0


def test_an_unapplied_stack_edit_is_pending_not_drift(cli, clean, workspace: Path):
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    _edit(workspace, QUICKSTART, "reasoning_effort: low", "reasoning_effort: medium")

    result = cli("drift", QUICKSTART)
    assert result.code == 0, result.output
    assert "No drift" in result.out
    assert "Pending edits of the stack" in result.out and "assistants.weather: update (reasoning)" in result.out
    report = json.loads(cli("drift", QUICKSTART, "--json").out)
    assert report["drift"] == [] and report["has_drift"] is False
    assert [(p["address"], p["action"]) for p in report["pending"]] == [("assistants.weather", "update")]
    assert report["pending"][0]["diff"][0] == {"path": "reasoning.effort", "before": "low", "after": "medium",
                                               "forces_replacement": False}


def test_a_store_deleted_by_hand_a_tagged_orphan_and_a_hand_made_assistant_are_each_reported(
        cli, clean, workspace: Path, read_state, api: openai.OpenAI):
    assert cli("apply", SUPPORT, "--auto-approve").code == 0
    store_id = read_state()["resources"]["vector_stores.knowledge"]["id"]
    api.vector_stores.delete(store_id)
    orphan = api.vector_stores.create(name="lost", metadata={"provisioner:stack": "support-bot",
                                                             "provisioner:address": "vector_stores.archive"})
    hand_made = api.beta.assistants.create(model="gpt-4o", name="made by hand")
    clean.reset_stats()

    report = json.loads(cli("drift", SUPPORT, "--json").out)
    found = {(d["status"], d["id"]): d for d in report["drift"]}
    assert found[("deleted", store_id)]["address"] == "vector_stores.knowledge"
    assert found[("orphan", orphan.id)]["address"] == "vector_stores.archive"
    assert not any(d["status"] == "unmanaged" for d in report["drift"])  # only with --unmanaged

    result = cli("drift", SUPPORT, "--unmanaged")
    assert result.code == 2
    assert f"vector_stores.knowledge ({store_id}): deleted outside provisioner" in result.out
    assert f"vector_stores.archive ({orphan.id}) \"lost\": tagged with this stack but not in its state" in result.out
    assert f"assistant {hand_made.id} \"made by hand\": made outside any stack" in result.out
    # the stack's own assistant and files are tagged or tracked: never unmanaged
    assert result.out.count("made outside any stack") == 1
    assert writes(clean) == {}


def test_refresh_accepts_the_drift_then_drift_is_clean(cli, clean, workspace: Path, read_state,
                                                       api: openai.OpenAI):
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    api.beta.agents.update(_assistant_id(read_state), instructions="Edited by hand.")

    refused = cli("refresh", QUICKSTART)  # no terminal to confirm on
    assert refused.code == 1 and "without confirmation" in refused.err
    clean.reset_stats()
    result = cli("refresh", QUICKSTART, "--auto-approve")
    assert result.code == 0, result.output
    assert "Refresh will record in the state" in result.out and '-> "Edited by hand."' in result.out
    assert "1 resource updated, 0 forgotten" in result.out
    assert writes(clean) == {}
    assert read_state("quickstart")["resources"]["assistants.weather"]["attributes"]["instructions"] == "Edited by hand."

    assert cli("drift", QUICKSTART).code == 0
    # the stack still says otherwise: that is now a pending edit, which apply brings back
    plan = cli("plan", QUICKSTART, "--detailed-exitcode")
    assert plan.code == 2 and "changed outside provisioner" not in plan.out
    assert cli("refresh", QUICKSTART, "--auto-approve").out.startswith("Nothing to refresh")


def test_refresh_forgets_a_resource_deleted_by_hand_and_the_next_apply_makes_it_again(
        cli, clean, workspace: Path, read_state, api: openai.OpenAI):
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    old = _assistant_id(read_state)
    api.beta.agents.delete(old)
    assert cli("refresh", QUICKSTART, "--auto-approve").code == 0
    assert "assistants.weather" not in read_state("quickstart")["resources"]
    drift = cli("drift", QUICKSTART)
    assert drift.code == 0 and "+ assistants.weather: create" in drift.out
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    assert _assistant_id(read_state) != old
