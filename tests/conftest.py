"""Shared fixtures: a real emulator subprocess and an `openai` client pointed at it."""

from __future__ import annotations

from typing import Callable, Iterator

import openai
import pytest

from provisioner.emulator.testing import EmulatorProcess, running_emulator

# Fast enough for a quick suite, slow enough that "in_progress" is observable.
FAST_SWITCHES = {"index_base_ms": 150, "index_ms_per_kb": 0.5, "poll_after_ms": 20, "retry_after_ms": 20}


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorProcess]:
    """One in-memory emulator for the whole session, with fast indexing."""
    with running_emulator(**FAST_SWITCHES) as process:
        yield process


@pytest.fixture
def client(emulator: EmulatorProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=2)


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., EmulatorProcess]]:
    """Start extra, short-lived emulators with other switches, e.g. `emulator_factory(fault_rate=0.2)`;
    each is stopped when the test ends."""
    started: list[EmulatorProcess] = []

    def start(**switches: object) -> EmulatorProcess:
        process = EmulatorProcess({**FAST_SWITCHES, **switches})
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()
