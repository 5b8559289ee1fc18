"""Plan takes no lock: a scheduled plan neither fails nor blocks an apply that is running, and a plan
saved meanwhile is still refused at apply once the state has moved."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from provisioner.emulator.testing import running_emulator
from provisioner.errors import StateLockedError
from provisioner.state.local import LocalFileBackend
from tests.conftest import replace_in, stack_state

STACK = "stacks/support-bot"


def test_a_plan_runs_while_another_process_holds_the_lock_and_leaves_it_held(cli, workspace: Path, hold_lock):
    assert cli("apply", STACK, "--auto-approve").code == 0
    state_file = stack_state(workspace, "support-bot")
    holder = hold_lock(f"LocalFileBackend({str(state_file)!r})")

    replace_in(workspace / STACK / "stack.yaml", "temperature: 0.2", "temperature: 0.4")
    planned = cli("plan", STACK, "--out", "plan.json")
    assert planned.code == 0, planned.output
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in planned.out
    assert "locked" not in planned.output and "Waiting" not in planned.err
    with pytest.raises(StateLockedError, match="apply in another process"):  # still the holder's
        with LocalFileBackend(state_file).lock("me"):
            pass

    holder.communicate("go\n")
    assert holder.returncode == 0
    assert cli("state", "rm", STACK, "files.pricing").code == 0  # the state moves after the plan was saved
    refused = cli("apply", "plan.json")
    assert refused.code == 1 and "plan" in refused.err and "Traceback" not in refused.output


def test_plans_during_a_slow_apply_neither_fail_nor_make_it_fail(cli, workspace: Path, monkeypatch):
    with running_emulator(latency_ms=100, index_base_ms=1200) as slow:
        monkeypatch.setenv("PROVISIONER_EMULATOR_URL", slow.base_url)
        env = {**os.environ, "PROVISIONER_EMULATOR_URL": slow.base_url, "CI": "true"}
        apply = subprocess.Popen([sys.executable, "-m", "provisioner.cli", "apply", STACK, "--auto-approve"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        plans = []
        deadline = time.monotonic() + 120
        while apply.poll() is None and time.monotonic() < deadline:
            plans.append(cli("plan", STACK, "--detailed-exitcode"))
        output, _ = apply.communicate(timeout=60)
        assert apply.returncode == 0, output
        assert "Apply complete" in output
        assert len(plans) >= 2, "the apply should have outlasted a few plans"
        for planned in plans:
            assert planned.code in (0, 2), planned.output
            # every plan read one consistent revision: what it adds is what that revision lacked
            added = int(planned.out.split("Plan: ")[1].split(" to add")[0]) if "Plan: " in planned.out else 0
            assert 0 <= added <= 7
        assert cli("plan", STACK, "--detailed-exitcode").code == 0
