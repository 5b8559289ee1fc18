"""A stack finds one state however it is named: its state and its embedded emulator live with it,
not in the working directory, and every plan and apply says which endpoint and state it uses."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import stack_state

STACK = "stacks/support-bot"


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> Path:
    """No running emulator: the stack starts its own, whose data lives with the stack."""
    monkeypatch.delenv("PROVISIONER_EMULATOR_URL")
    return workspace / STACK / "state" / "emulator.sqlite3"


def test_the_same_stack_planned_from_three_directories_finds_one_state(cli, workspace: Path, embedded: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    applied = cli("apply", STACK, "--auto-approve")
    assert applied.code == 0, applied.output
    assert "7 added" in applied.out
    assert embedded.is_file() and stack_state(workspace, "support-bot").is_file()

    for cwd, path in ((workspace / STACK, "."), (workspace / "stacks", "support-bot"),
                      (workspace / STACK / "docs", "..")):
        monkeypatch.chdir(cwd)
        result = cli("plan", path, "--detailed-exitcode")
        assert result.code == 0, (cwd, result.output)
        assert "No changes." in result.out
    assert not (workspace / "state").exists()
    assert not (workspace / STACK / "docs" / "state").exists()


def test_plan_and_apply_name_the_endpoint_and_the_state_first(cli, workspace: Path, emulator, embedded: Path):
    result = cli("plan", STACK)
    assert result.code == 0, result.output
    assert result.err.splitlines()[:2] == [
        f"Endpoint:  the embedded emulator (data in {STACK}/state/emulator.sqlite3)",
        f"State:     {STACK}/state/support-bot.json"]

    result = cli("apply", STACK, "--auto-approve", "--state", "elsewhere.json")
    assert result.code == 0, result.output
    assert result.err.splitlines()[1] == "State:     elsewhere.json"  # --state is taken from the working directory
    assert (workspace / "elsewhere.json").is_file()


def test_a_running_emulator_is_named_by_its_url(cli, workspace: Path, emulator):
    result = cli("plan", STACK)
    assert result.code == 0, result.output
    assert result.err.splitlines()[0] == f"Endpoint:  the emulator at {emulator.base_url}"
