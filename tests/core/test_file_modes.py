"""Files the tool writes name live resources (and the emulator's hold every document): only their
owner may read them, whatever the umask."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from provisioner.state.local import LocalFileBackend
from tests.conftest import stack_state

STACK = "stacks/support-bot"


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def open_umask():
    """The usual umask (022) would make new files 0644: the tool must not rely on a strict one."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_state_backup_outputs_lock_and_saved_plan_are_0600(cli, workspace: Path):
    assert cli("plan", STACK, "--out", "saved/plan.json").code == 0
    assert cli("apply", "saved/plan.json").code == 0
    prompt = workspace / STACK / "prompts" / "support.md"
    prompt.write_text(prompt.read_text() + "Be kind.\n")
    assert cli("apply", STACK, "--auto-approve").code == 0
    state = stack_state(workspace, "support-bot").parent
    written = [workspace / "saved" / "plan.json", state / "support-bot.json", state / "support-bot.json.backup",
               state / "support-bot.outputs.json"]
    assert {p.name: _mode(p) for p in written} == {p.name: 0o600 for p in written}
    assert not [p.name for p in state.iterdir() if _mode(p) != 0o600]  # no temporary file left looser

    with LocalFileBackend(state / "support-bot.json").lock("a test"):
        assert _mode(state / "support-bot.json.lock") == 0o600


def test_an_existing_file_is_never_loosened(cli, workspace: Path):
    assert cli("apply", "stacks/quickstart", "--auto-approve").code == 0
    state_file = stack_state(workspace, "quickstart")
    stack = workspace / "stacks" / "quickstart" / "stack.yaml"
    # 0644 as older versions made it: tightened; 0400 set by the user: kept
    for before, after, effort in ((0o644, 0o600, "medium"), (0o400, 0o400, "high")):
        state_file.chmod(before)
        stack.write_text(re.sub(r"reasoning_effort: [a-z]+", f"reasoning_effort: {effort}", stack.read_text()))
        result = cli("apply", "stacks/quickstart", "--auto-approve")
        assert result.code == 0 and "1 changed" in result.out, result.output
        assert _mode(state_file) == after


def test_the_embedded_emulator_keeps_its_data_0600(cli, workspace: Path, monkeypatch):
    monkeypatch.delenv("PROVISIONER_EMULATOR_URL")
    assert cli("apply", "stacks/quickstart", "--auto-approve").code == 0
    data = [p for p in stack_state(workspace, "quickstart").parent.iterdir() if p.name.startswith("emulator.sqlite3")]
    assert data and {p.name: _mode(p) for p in data} == {p.name: 0o600 for p in data}
