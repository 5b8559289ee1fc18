"""Fixtures for the GitOps tests: a clean emulator (no objects left by other tests) and its write count."""
from __future__ import annotations

import pytest


@pytest.fixture
def clean(emulator, workspace):
    """The session's emulator emptied, so every object on it belongs to this test."""
    emulator.reset()
    return emulator


def writes(emulator) -> dict[str, int]:
    """Requests that could change something (anything but GET), by route, since the last reset_stats()."""
    return {route: n for route, n in emulator.stats()["requests"].items() if not route.startswith("GET")}
