"""Fixtures shared by the state tests: every backend, built the same way, for the contract suite,
and a throwaway PostgreSQL server for the postgres backend (started here, never mocked)."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from provisioner.state import InMemoryBackend, LocalFileBackend, PostgresBackend, StateBackend


class BackendPair:
    """Two handles on one store, as two runs of the tool would have.

    `in_another_process` is Python source that builds a handle on the same store in another
    process (with `from provisioner.state import *` done), or None for a store a process cannot share.
    """

    def __init__(self, first: StateBackend, second: Callable[[], StateBackend], in_another_process: str | None):
        self.first = first
        self.another_handle = second
        self.in_another_process = in_another_process


# ---- a throwaway PostgreSQL server ----

PG_PASSWORD = "pw-" + uuid.uuid4().hex  # a real password, so tests can check it never leaks


@dataclass
class PgServer:
    conninfo: str
    password: str


def _server_binaries() -> Path:
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(p).parent for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)]
    for directory in candidates:
        if (directory / "pg_ctl").exists():
            return directory
    pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are not installed, so the postgres state"
                " backend cannot be tested; install them (Debian: apt-get install -y postgresql; .ci/run does)",
                pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL cluster in a temporary directory, on 127.0.0.1 only, for the whole session."""
    bin_dir = _server_binaries()
    # initdb refuses to run as root: then the cluster belongs to the postgres user
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    # not under pytest's tmp dir, which another user may not be allowed to enter
    root = Path(tempfile.mkdtemp(prefix="provisioner-pg-"))
    data, log = root / "data", root / "server.log"
    (root / "pwfile").write_text(PG_PASSWORD + "\n")
    if as_user:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(root / "pwfile", "postgres", "postgres")

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, str(bin_dir / args[0]), *args[1:]], cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            log_text = log.read_text() if log.exists() else ""
            pytest.fail(f"{args[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log_text}", pytrace=False)

    port = _free_port()
    run("initdb", "-D", str(data), "-U", "provisioner", f"--pwfile={root / 'pwfile'}",
        "--auth=scram-sha-256", "-E", "UTF8", "--no-sync")
    run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", "start",
        "-o", f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off")
    try:
        yield PgServer(f"host=127.0.0.1 port={port} dbname=postgres user=provisioner password={PG_PASSWORD}",
                       PG_PASSWORD)
    finally:
        run("pg_ctl", "-D", str(data), "-w", "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


# ---- every backend, for the contract suite ----


def _local(tmp_path: Path, request) -> BackendPair:
    path = tmp_path / "state" / "stack.json"
    return BackendPair(LocalFileBackend(path), lambda: LocalFileBackend(path), f"LocalFileBackend({str(path)!r})")


def _memory(tmp_path: Path, request) -> BackendPair:
    shared = InMemoryBackend()
    return BackendPair(shared, lambda: shared, None)


def _postgres(tmp_path: Path, request) -> BackendPair:
    conninfo = request.getfixturevalue("pg_server").conninfo
    name = f"stack-{uuid.uuid4().hex[:12]}"  # a fresh row per test: tests share one server
    return BackendPair(PostgresBackend(conninfo, name), lambda: PostgresBackend(conninfo, name),
                       f"PostgresBackend({conninfo!r}, {name!r})")


@pytest.fixture(params=[_local, _memory, _postgres], ids=["local-file", "in-memory", "postgres"])
def backends(request, tmp_path) -> BackendPair:
    return request.param(tmp_path, request)


@pytest.fixture(params=[_local, _postgres], ids=["local-file", "postgres"])
def shared_backends(request, tmp_path) -> BackendPair:
    """The backends that separate processes share, as separate runs of the tool do."""
    return request.param(tmp_path, request)


@pytest.fixture
def backend(backends) -> StateBackend:
    return backends.first
