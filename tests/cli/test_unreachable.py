"""An endpoint that cannot be reached: say what is contacted, fail fast, and let a timeout be set."""
from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Iterator

import pytest

STACK = """
stack: far
provider:
  kind: compatible
  base_url: {url}
{extra}
files:
  notes: {{path: notes.md}}
"""


def _stack(workspace: Path, url: str, extra: str = "") -> str:
    (workspace / "far").mkdir()
    (workspace / "far" / "stack.yaml").write_text(STACK.format(url=url, extra=extra))
    (workspace / "far" / "notes.md").write_text("# notes\n")
    return "far"


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that takes connections and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def test_a_refused_connection_fails_fast_and_says_what_it_contacted(cli, workspace: Path, closed_port: int):
    url = f"http://127.0.0.1:{closed_port}/v1"
    stack = _stack(workspace, url)
    started = time.monotonic()
    result = cli("plan", stack)
    elapsed = time.monotonic() - started
    assert result.code == 1
    assert result.err.splitlines()[0] == f"Endpoint:  {url} (provider compatible)"
    assert f"cannot reach {url} (connection refused)" in result.err
    assert "hint: check the provider's base_url and that the server is running" in result.err
    assert "Traceback" not in result.output
    assert elapsed < 2, f"{elapsed:.1f} s"  # the SDK's own retries took 18 s


def test_timeout_seconds_bounds_a_server_that_never_answers(cli, workspace: Path, silent_server: str):
    stack = _stack(workspace, silent_server, "  timeout_seconds: 0.5")
    started = time.monotonic()
    result = cli("plan", stack)
    elapsed = time.monotonic() - started
    assert result.code == 1
    assert f"cannot reach {silent_server} (no answer within the timeout)" in result.err, result.err
    assert elapsed < 10, f"{elapsed:.1f} s"  # without it: the SDK's 600 s, five times over


def test_a_timeout_must_be_positive(cli, workspace: Path, closed_port: int):
    stack = _stack(workspace, f"http://127.0.0.1:{closed_port}/v1", "  timeout_seconds: 0")
    result = cli("validate", stack)
    assert result.code == 1
    assert "stack.yaml:6:" in result.err and "timeout_seconds" in result.err, result.err
