"""`--lock-timeout DURATION`: a run that meets another run's lock waits, naming the holder, then proceeds."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import stack_state

STACK = "stacks/support-bot"

HOLD = textwrap.dedent("""\
    import sys, time
    from provisioner.state.local import LocalFileBackend
    with LocalFileBackend(sys.argv[1]).lock("a nightly apply in CI"):
        print("locked", flush=True)
        time.sleep(2)
""")


def test_apply_waits_for_a_lock_released_by_another_process(cli, workspace: Path, read_state):
    state_file = stack_state(workspace, "support-bot")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(state_file)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = cli("apply", STACK, "--auto-approve", "--lock-timeout", "1m")
    finally:
        holder.wait(timeout=30)
    assert result.code == 0, result.output
    assert "Waiting up to 60s for the lock" in result.err and "a nightly apply in CI" in result.err
    assert "7 added" in result.out
    assert read_state()["resources"]


def test_a_lock_still_held_when_the_time_is_up_fails_naming_the_holder(cli, workspace: Path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(stack_state(workspace, "support-bot"))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = cli("apply", STACK, "--auto-approve", "--lock-timeout", "300ms")
    finally:
        holder.wait(timeout=30)
    assert result.code == 1
    assert "is locked by a nightly apply in CI" in result.err and "Traceback" not in result.output


def test_a_bad_duration_is_a_usage_error(cli, workspace: Path):
    result = cli("plan", STACK, "--lock-timeout", "10 parsecs")
    assert result.code == 1
    assert "'10 parsecs' is not a duration" in result.err
