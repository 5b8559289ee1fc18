"""After an apply, the state from before it comes back with one command, making no API call; the
next plan then shows what that apply did as changes to undo, and plans saved before are refused."""
from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import api_writes, replace_in, stack_state

STACK = "stacks/support-bot"


def test_the_state_before_the_last_apply_is_restored_with_one_command(cli, workspace: Path, emulator, read_state):
    stack_file = workspace / STACK / "stack.yaml"
    assert cli("apply", STACK, "--auto-approve").code == 0
    before = read_state()
    replace_in(stack_file, "temperature: 0.2", "temperature: 0.9")
    assert cli("apply", STACK, "--auto-approve").code == 0  # the bad apply
    # the backup is the state before that apply, not one write behind its end
    assert json.loads(stack_state(workspace, "support-bot", suffix=".json.backup").read_text()) == before

    listed = cli("state", "versions", STACK)
    assert listed.code == 0, listed.output
    assert f"serial {before['serial']} " in listed.out

    replace_in(stack_file, "temperature: 0.9", "temperature: 0.2")  # the revert in the repository
    saved = cli("plan", STACK, "--out", "undo.json")
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in saved.out

    unconfirmed = cli("state", "restore", STACK)
    assert unconfirmed.code == 1 and "without confirmation" in unconfirmed.err
    writes = api_writes(emulator)
    restored = cli("state", "restore", STACK, "--auto-approve")
    assert restored.code == 0, restored.output
    assert f"Restored serial {before['serial']} as serial {read_state()['serial']}" in restored.out
    assert api_writes(emulator) == writes, "a restore makes no API call"
    assert read_state()["resources"] == before["resources"]
    assert read_state()["serial"] > before["serial"] + 1

    refused = cli("apply", "undo.json")
    assert refused.code == 1 and "Traceback" not in refused.output
    planned = cli("plan", STACK)
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in planned.out
    assert "0.9" in planned.out and "0.2" in planned.out


def test_restore_says_when_no_version_is_kept_or_the_serial_is_unknown(cli, workspace: Path):
    assert cli("apply", STACK, "--auto-approve").code == 0  # the first apply: before it, nothing
    nothing = cli("state", "restore", STACK, "--auto-approve")
    assert nothing.code == 1 and "keeps no earlier version yet" in nothing.err
    replace_in(workspace / STACK / "stack.yaml", "temperature: 0.2", "temperature: 0.9")
    assert cli("apply", STACK, "--auto-approve").code == 0
    unknown = cli("state", "restore", STACK, "999", "--auto-approve")
    assert unknown.code == 1 and "keeps no version at serial 999" in unknown.err and "Traceback" not in unknown.err
