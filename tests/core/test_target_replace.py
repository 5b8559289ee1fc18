"""`--target ADDRESS` applies one resource and what it depends on, with a warning; `--replace ADDRESS`
replaces one resource (create before destroy) and is refused with prevent_destroy."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import replace_in

STACK = "stacks/support-bot"


def test_target_applies_one_store_and_its_files_only(cli, workspace: Path, read_state):
    planned = cli("plan", STACK, "--target", "vector_stores.knowledge")
    assert planned.code == 0, planned.output
    assert "Resource targeting is in effect" in planned.err
    assert "assistants.support" not in planned.out

    applied = cli("apply", STACK, "--auto-approve", "--target", "vector_stores.knowledge")
    assert applied.code == 0, applied.output
    recorded = set(read_state()["resources"])
    assert "vector_stores.knowledge" in recorded and "assistants.support" not in recorded
    assert "files.pricing" not in recorded  # the assistant's file, not the store's
    assert any(a.startswith("file_sets.docs") for a in recorded)

    rest = cli("plan", STACK)
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in rest.out  # the assistant and its file


def test_an_unknown_target_is_an_error(cli, workspace: Path):
    refused = cli("plan", STACK, "--target", "vector_stores.nope")
    assert refused.code == 1 and "vector_stores.nope" in refused.err and "Traceback" not in refused.output


def test_replace_replaces_the_assistant_and_respects_prevent_destroy(cli, workspace: Path, read_state):
    assert cli("apply", STACK, "--auto-approve").code == 0
    old_id = read_state()["resources"]["assistants.support"]["id"]
    replaced = cli("apply", STACK, "--auto-approve", "--replace", "assistants.support")
    assert replaced.code == 0, replaced.output
    assert "replacement asked with --replace" in replaced.out and "1 destroyed" in replaced.out
    new_id = read_state()["resources"]["assistants.support"]["id"]
    assert new_id != old_id
    assert cli("plan", STACK, "--detailed-exitcode").code == 0

    stack = workspace / STACK / "stack.yaml"
    replace_in(stack, "    temperature: 0.2", "    temperature: 0.2\n    lifecycle:\n      prevent_destroy: true")
    refused = cli("apply", STACK, "--auto-approve", "--replace", "assistants.support")
    assert refused.code == 1 and "assistants.support would be replaced" in refused.err
    assert read_state()["resources"]["assistants.support"]["id"] == new_id
