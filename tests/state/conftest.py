"""Fixtures shared by the state tests: every backend, built the same way, for the contract suite."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from provisioner.state import InMemoryBackend, LocalFileBackend, StateBackend


class BackendPair:
    """Two handles on one store, as two runs of the tool would have."""

    def __init__(self, first: StateBackend, second: Callable[[], StateBackend]):
        self.first = first
        self.another_handle = second


def _local(tmp_path: Path) -> BackendPair:
    path = tmp_path / "state" / "stack.json"
    return BackendPair(LocalFileBackend(path), lambda: LocalFileBackend(path))


def _memory(tmp_path: Path) -> BackendPair:
    shared = InMemoryBackend()
    return BackendPair(shared, lambda: shared)


@pytest.fixture(params=[_local, _memory], ids=["local-file", "in-memory"])
def backends(request, tmp_path) -> BackendPair:
    return request.param(tmp_path)


@pytest.fixture
def backend(backends) -> StateBackend:
    return backends.first
