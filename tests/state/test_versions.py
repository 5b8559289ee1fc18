"""Every run that writes keeps the state as it was before it, on every backend, and only once per run."""
from __future__ import annotations

import uuid

from provisioner.state import PostgresBackend, ResourceState, StateManager
from provisioner.state.model import decode
from provisioner.state.versions import kept_versions


def _file(n: int) -> ResourceState:
    return ResourceState(address=f"files.f{n}", kind="file", id=f"file-{n}")


def _run(manager: StateManager, who: str, numbers: range) -> None:
    with manager.lock(who):
        manager.load()
        for n in numbers:
            manager.record(f"files.f{n}", _file(n))


def test_the_version_kept_is_the_state_before_the_run_not_a_mid_run_one(shared_backends):
    manager = StateManager(shared_backends.first, "support-bot")
    _run(manager, "apply one", range(0, 3))
    _run(manager, "apply two", range(3, 9))  # many writes, and a fold at the end
    newest = kept_versions(StateManager(shared_backends.another_handle(), "support-bot"))[0]
    assert newest.serial == 3
    kept = decode(shared_backends.first.read_version(newest.key), "kept")
    assert sorted(kept.resources) == ["files.f0", "files.f1", "files.f2"]


def test_a_run_that_writes_nothing_keeps_nothing(shared_backends):
    manager = StateManager(shared_backends.first, "support-bot")
    _run(manager, "apply", range(0, 2))
    before = kept_versions(manager)
    _run(manager, "apply with no changes", range(0, 0))
    assert kept_versions(manager) == before


def test_postgres_keeps_the_last_twenty_runs(pg_server):
    manager = StateManager(PostgresBackend(pg_server.conninfo, f"v-{uuid.uuid4().hex[:8]}"), "support-bot")
    for n in range(25):
        _run(manager, f"apply {n}", range(n, n + 1))
    versions = kept_versions(manager)
    assert len(versions) == 20
    assert [v.serial for v in versions] == list(range(24, 4, -1))
    assert versions[0].run == "apply 24"
