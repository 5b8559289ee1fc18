"""The hint for a held lock is a command that works when pasted."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.conftest import stack_state

from .conftest import QUICKSTART


def _pasted(cli, refused) -> object:
    """Run the command the refusal suggests, exactly as printed (as a shell would split it)."""
    command = re.search(r"release the lock with `([^`]+)`", refused.err)
    assert command, refused.err
    words = shlex.split(command.group(1))
    assert words[:2] == ["provisioner", "force-unlock"]
    return cli(*words[1:])


def test_the_hint_for_a_held_lock_unlocks_when_pasted(cli, workspace: Path, hold_lock):
    state = workspace / "elsewhere" / "quickstart.json"
    holder = hold_lock(f"LocalFileBackend({str(state)!r})")
    refused = cli("apply", QUICKSTART, "--auto-approve", "--state", "elsewhere/quickstart.json")
    assert refused.code == 1
    assert f"locked by apply in another process (pid {holder.pid}" in refused.err
    assert "--state elsewhere/quickstart.json" in refused.err

    unlocked = _pasted(cli, refused)
    assert unlocked.code == 0, unlocked.output
    assert "Unlocked the state" in unlocked.out
    assert cli("plan", QUICKSTART, "--state", "elsewhere/quickstart.json").code == 0


def test_the_hint_for_a_saved_plan_unlocks_its_state(cli, workspace: Path, hold_lock):
    assert cli("plan", QUICKSTART, "--out", "plan.json").code == 0
    hold_lock(f"LocalFileBackend({str(stack_state(workspace, 'quickstart'))!r})")
    refused = cli("apply", "plan.json")
    assert refused.code == 1 and "force-unlock plan.json " in refused.err

    assert _pasted(cli, refused).code == 0
    applied = cli("apply", "plan.json")
    assert applied.code == 0, applied.output


def test_the_hint_names_the_workspace_whose_state_is_locked(cli, workspace: Path, hold_lock):
    prod_state = workspace / QUICKSTART / "state" / "prod" / "quickstart.json"
    hold_lock(f"LocalFileBackend({str(prod_state)!r})")
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0  # the default workspace's state is free
    refused = cli("apply", QUICKSTART, "--auto-approve", "--workspace", "prod")
    assert refused.code == 1 and "--workspace prod" in refused.err

    assert _pasted(cli, refused).code == 0
    applied = cli("apply", QUICKSTART, "--auto-approve", "--workspace", "prod")
    assert applied.code == 0, applied.output
