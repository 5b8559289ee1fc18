"""The contract every StateBackend passes (Terraform's statemgr/testing.go, for our protocol)."""
from __future__ import annotations

import signal
import socket
import threading
import time

import pytest

from provisioner.errors import StateError, StateLockedError
from provisioner.state import ResourceState, StateBackend, StateManager


def test_is_a_state_backend(backend):
    assert isinstance(backend, StateBackend)
    assert backend.describe()


def test_reading_an_empty_backend_gives_none(backend):
    assert backend.read() is None


def test_write_then_read_round_trips_and_overwrites(backend):
    backend.write(b'{"serial": 1}\n')
    assert backend.read() == b'{"serial": 1}\n'
    backend.write(b'{"serial": 2}\n')
    assert backend.read() == b'{"serial": 2}\n'


def test_a_fresh_backend_has_an_empty_journal(backend):
    assert backend.read_journal() == []


def test_appended_entries_are_read_back_in_order_by_another_handle(backends):
    backends.first.append([b"00000001 one", b"00000002 two"])
    backends.first.append([b"00000003 three"])
    assert backends.another_handle().read_journal() == [b"00000001 one", b"00000002 two", b"00000003 three"]


def test_a_write_replaces_the_snapshot_and_drops_the_journal(backends):
    backends.first.write(b'{"serial": 1}\n')
    backends.first.append([b"entry after the snapshot"])
    backends.first.write(b'{"serial": 2}\n')
    other = backends.another_handle()
    assert other.read() == b'{"serial": 2}\n' and other.read_journal() == []
    backends.first.append([b"the next run's entry"])
    assert other.read_journal() == [b"the next run's entry"]


def test_a_manager_on_another_handle_replays_what_was_recorded_but_not_folded(backends):
    recorder = StateManager(backends.first, "support-bot")
    recorder.persist(recorder.load())
    store = {"address": "vector_stores.kb", "kind": "vector_store", "id": "vs_1", "attributes": {"files": {}}}
    recorder.record("vector_stores.kb", ResourceState.model_validate(store))
    recorder.record_members("vector_stores.kb", {"a.md": {"file_id": "file-a", "attributes": {}}})
    recorder.record("files.x", ResourceState(address="files.x", kind="file", id="file-x"))
    recorder.record("files.x", None)
    replayed = StateManager(backends.another_handle(), "support-bot").load()
    assert replayed.serial == 5 and list(replayed.resources) == ["vector_stores.kb"]
    assert replayed.resources["vector_stores.kb"].attributes["files"]["a.md"]["file_id"] == "file-a"
    recorder.compact()
    assert backends.another_handle().read_journal() == []
    assert StateManager(backends.another_handle(), "support-bot").load() == replayed


def test_lock_excludes_a_second_locker_and_names_the_holder(backends):
    with backends.first.lock("apply by alice"):
        with pytest.raises(StateLockedError) as raised:
            with backends.another_handle().lock("apply by bob"):
                pass
    message = str(raised.value)
    assert "apply by alice" in message and "pid" in message and "since" in message
    assert "force-unlock" in message


def test_lock_is_released_on_exit(backends):
    with backends.first.lock("first"):
        pass
    with backends.another_handle().lock("second"):
        pass


def test_lock_is_released_when_the_body_raises(backends):
    with pytest.raises(RuntimeError):
        with backends.first.lock("first"):
            raise RuntimeError("apply crashed")
    with backends.another_handle().lock("second"):
        pass


def test_a_refused_locker_does_not_release_the_holders_lock(backends):
    with backends.first.lock("holder"):
        with pytest.raises(StateLockedError):
            with backends.another_handle().lock("intruder"):
                pass
        with pytest.raises(StateLockedError):
            with backends.another_handle().lock("intruder again"):
                pass


def test_only_one_of_many_simultaneous_lockers_wins(backends):
    contenders = 8
    start = threading.Barrier(contenders)
    refused = threading.Semaphore(0)
    winners, errors = [], []

    def contend(n):
        handle = backends.another_handle()
        start.wait()
        try:
            with handle.lock(f"worker {n}"):
                winners.append(n)
                # Hold on until every other contender has been refused.
                for _ in range(contenders - 1):
                    if not refused.acquire(timeout=10):
                        errors.append("a second contender got the lock")
                        return
        except StateLockedError:
            refused.release()

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and not errors


def test_force_unlock_frees_the_lock_only_with_the_right_id(backends):
    with backends.first.lock("crashed run"):
        with pytest.raises(StateLockedError) as raised:
            with backends.another_handle().lock("me"):
                pass
        lock_id = raised.value.lock_id
        with pytest.raises(StateError, match="locked with id"):
            backends.another_handle().force_unlock("0" * 32)
        backends.another_handle().force_unlock(lock_id)
        with backends.another_handle().lock("me"):
            pass


def test_force_unlock_of_an_unlocked_state_is_an_error(backend):
    with pytest.raises(StateError, match="not locked"):
        backend.force_unlock("0" * 32)


# ---- between processes: what separate runs of the tool see ----

@pytest.fixture
def holder(shared_backends, hold_lock):
    """A separate process holding the lock until the test ends."""
    return shared_backends, hold_lock(shared_backends.in_another_process)


def test_lock_excludes_another_process_and_names_it(holder):
    backends, process = holder
    with pytest.raises(StateLockedError) as raised:
        with backends.another_handle().lock("me"):
            pass
    message = str(raised.value)
    assert "apply in another process" in message
    assert f"pid {process.pid} on {socket.gethostname()}" in message


def test_lock_is_free_again_once_the_other_process_finishes(holder):
    backends, process = holder
    process.communicate("go\n")
    assert process.returncode == 0
    with backends.another_handle().lock("me"):
        pass


def test_a_killed_holders_lock_is_released(holder):
    backends, process = holder
    process.send_signal(signal.SIGKILL)
    process.wait()
    # The server or the kernel notices the dead holder on its own schedule: wait for it, boundedly.
    deadline = time.monotonic() + 30
    while True:
        try:
            with backends.another_handle().lock("me"):
                return
        except StateLockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
