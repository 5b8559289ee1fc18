"""Waiting for indexing follows the server's pace (`openai-poll-after-ms`), as the SDK's own
*_and_poll helpers do: no sooner, so a slow endpoint is not hammered, and no later, so an apply
does not sit idle after the files are ready."""
from __future__ import annotations

from pathlib import Path

import pytest

from .test_edge_cases import apply_ok, write_stack

STACK = """\
    stack: paced
    files:
      guide: {path: guide.md}
    vector_stores:
      kb: {files: [guide]}
    """


def _batch_reads(emulator) -> int:
    return sum(n for route, n in emulator.stats()["requests"].items()
               if route.startswith("GET") and "/file_batches/" in route and not route.endswith("/files"))


@pytest.mark.parametrize("poll_after_ms, reads", [(100, range(10, 40)), (1000, range(1, 4))])
def test_indexing_is_polled_as_often_as_the_server_asks(cli, workspace: Path, emulator_factory, monkeypatch,
                                                        poll_after_ms: int, reads: range):
    # indexing takes 1.5 s: every 0.1 s is 10 reads or more; every 1 s is at most 3 (after 0.1, 1.1, 2.1 s)
    paced = emulator_factory(index_base_ms=1500, poll_after_ms=poll_after_ms)
    monkeypatch.setenv("PROVISIONER_EMULATOR_URL", paced.base_url)
    stack = write_stack(workspace, "paced", STACK, {"guide.md": "The guide.\n"})
    apply_ok(cli, stack)
    assert _batch_reads(paced) in reads, paced.stats()["requests"]
