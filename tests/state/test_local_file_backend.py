"""What only the local file backend promises: real processes, crashes, backups, files on disk."""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from contextlib import ExitStack
from pathlib import Path

import pytest

from provisioner.errors import StateLockedError
from provisioner.state import LocalFileBackend, LockInfo


def _spawn(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )


@pytest.fixture
def holder(tmp_path, hold_lock):
    """A separate process holding the lock on tmp_path/state.json until the test ends."""
    path = tmp_path / "state.json"
    return path, hold_lock(f"LocalFileBackend({str(path)!r})")


def test_a_holder_that_finishes_leaves_no_lock_file(holder):
    path, process = holder
    process.communicate("go\n")
    assert process.returncode == 0
    assert not path.with_name("state.json.lock").exists()


def test_a_crashed_holders_lock_is_taken_over_and_the_log_says_why(holder, caplog):
    path, process = holder
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert path.with_name("state.json.lock").exists(), "a killed process leaves its lock file behind"
    with caplog.at_level(logging.WARNING, logger="provisioner.state.local"):
        with LocalFileBackend(path).lock("me"):
            info = LockInfo.from_json(path.with_name("state.json.lock").read_bytes())
            assert info.who == "me" and info.pid == os.getpid()
    assert f"pid {process.pid}" in caplog.text and "no longer running" in caplog.text


def test_a_lock_from_another_host_is_never_taken_over(tmp_path):
    path = tmp_path / "state.json"
    elsewhere = LockInfo(who="apply on the CI runner", pid=4242, host="ci-runner-7")
    path.with_name("state.json.lock").write_bytes(elsewhere.to_json())
    with pytest.raises(StateLockedError) as raised:
        with LocalFileBackend(path).lock("me"):
            pass
    message = str(raised.value)
    assert "ci-runner-7" in message and "another host" in message
    assert raised.value.lock_id == elsewhere.id and f"force-unlock PATH {elsewhere.id}" in message


def test_an_unreadable_lock_record_nobody_holds_is_taken_over(tmp_path):
    path = tmp_path / "state.json"
    path.with_name("state.json.lock").write_bytes(b"")
    with LocalFileBackend(path).lock("me"):
        pass
    assert not path.with_name("state.json.lock").exists()


def test_a_force_unlocked_run_that_ends_late_keeps_its_hands_off_the_new_lock(tmp_path):
    path = tmp_path / "state.json"
    slow_run = ExitStack()
    slow_run.enter_context(LocalFileBackend(path).lock("slow run"))
    held = LockInfo.from_json(path.with_name("state.json.lock").read_bytes())
    LocalFileBackend(path).force_unlock(held.id)
    with LocalFileBackend(path).lock("new run"):
        slow_run.close()
        with pytest.raises(StateLockedError, match="new run"):
            with LocalFileBackend(path).lock("third"):
                pass


def test_writing_creates_parent_directories(tmp_path):
    path = tmp_path / "deep" / "er" / "stack.json"
    LocalFileBackend(path).write(b"{}\n")
    assert path.read_bytes() == b"{}\n"


def test_a_kept_version_is_the_backup_and_writes_leave_it_alone(tmp_path):
    backend = LocalFileBackend(tmp_path / "stack.json")
    assert backend.versions() == []
    backend.write(b'{"serial": 1}\n')
    backend.keep_version(b'{"serial": 1}\n', 1, "apply")
    backend.write(b'{"serial": 2}\n')
    backend.write(b'{"serial": 3}\n')  # a run writes many times: the backup stays the state before it
    assert (tmp_path / "stack.json.backup").read_bytes() == b'{"serial": 1}\n'
    (kept,) = backend.versions()
    assert backend.read_version(kept.key) == b'{"serial": 1}\n'
    assert backend.read() == b'{"serial": 3}\n'


def test_writes_leave_no_temporary_files(tmp_path):
    backend = LocalFileBackend(tmp_path / "stack.json")
    for serial in range(3):
        backend.write(json.dumps({"serial": serial}).encode())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stack.json"]


def test_describe_is_the_path_as_the_user_typed_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert LocalFileBackend(Path("state/support-bot.json")).describe() == "state/support-bot.json"


WRITE_FOREVER = """
    import json, sys
    from provisioner.state import LocalFileBackend
    backend = LocalFileBackend(sys.argv[1])
    serial = 0
    while True:
        serial += 1
        # Large documents make a torn write likely if the write were not atomic.
        backend.write(json.dumps({"serial": serial, "padding": "x" * (200_000 + serial % 7919)}).encode())
        print(serial, flush=True)
"""


def test_a_writer_killed_mid_write_never_leaves_a_partial_file(tmp_path):
    path = tmp_path / "stack.json"
    for _ in range(5):
        writer = _spawn(WRITE_FOREVER, str(path))
        for _ in range(20):
            writer.stdout.readline()
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        document = json.loads(path.read_bytes())
        assert document["serial"] >= 20
        assert len(document["padding"]) == 200_000 + document["serial"] % 7919


def test_giving_up_after_endless_lock_churn_is_a_locked_error(tmp_path, monkeypatch):
    # Simulates other runs releasing and re-taking the lock every time this run looks at it.
    path = tmp_path / "state.json"
    path.with_name("state.json.lock").write_bytes(LockInfo(who="churn").to_json())
    monkeypatch.setattr(LocalFileBackend, "_replace_if_stale", lambda self, ours: False)
    with pytest.raises(StateLockedError, match="kept changing"):
        with LocalFileBackend(path).lock("me"):
            pass
    assert [p.name for p in tmp_path.iterdir()] == ["state.json.lock"], "no temporary lock file left"


INCREMENT_UNDER_LOCK = """
    import sys
    from provisioner.errors import StateLockedError
    from provisioner.state import LocalFileBackend
    backend = LocalFileBackend(sys.argv[1])
    done = 0
    while done < int(sys.argv[2]):
        try:
            with backend.lock("incrementer"):
                # Read-modify-write: two holders at once would lose an increment.
                backend.write(str(int(backend.read() or b"0") + 1).encode())
            done += 1
        except StateLockedError:
            pass
"""


@pytest.mark.parametrize("left_behind", [False, True], ids=["no-lock", "stale-lock-left-by-a-crash"])
def test_processes_taking_turns_on_the_lock_never_overlap(tmp_path, left_behind):
    path = tmp_path / "counter.json"
    if left_behind:
        # All workers race to take over the same stale lock first.
        path.with_name("counter.json.lock").write_bytes(LockInfo(who="crashed", pid=2**22 + 1).to_json())
    processes, rounds = 6, 25
    workers = [_spawn(INCREMENT_UNDER_LOCK, str(path), str(rounds)) for _ in range(processes)]
    for worker in workers:
        worker.communicate()
        assert worker.returncode == 0
    assert int(path.read_bytes()) == processes * rounds
    assert not path.with_name("counter.json.lock").exists()
