"""Shared fixtures: a real emulator subprocess, an `openai` client pointed at it, and the CLI harness."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import openai
import pytest

from provisioner.cli import main
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


HOLD_LOCK = """
import sys
from provisioner.state import *
with ({handle}).lock("apply in another process"):
    print("locked", flush=True)
    sys.stdin.readline()  # hold until told to go, or until killed
"""


@pytest.fixture
def hold_lock() -> Iterator[Callable[[str], subprocess.Popen]]:
    """Starts a process that holds the lock of the backend built by the given source, until the test ends."""
    started: list[subprocess.Popen] = []

    def start(handle: str) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-c", HOLD_LOCK.format(handle=handle)],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        started.append(process)
        assert process.stdout.readline().strip() == "locked"
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


# ---- the end-to-end CLI harness (tests/core, tests/targets) ----

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "stacks"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator) -> Path:
    """A copy of the example stacks in a fresh directory whose state/ starts empty, against an emulator
    emptied too: an earlier test's objects carry the same stacks' tags, which a fresh state adopts."""
    emulator.reset()
    shutil.copytree(EXAMPLES, tmp_path / "stacks")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PROVISIONER_EMULATOR_URL", emulator.base_url)
    monkeypatch.delenv("CI", raising=False)
    return tmp_path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Runs `provisioner ARGS...` in this process, as a user would type it; returns code and output."""
    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(["--no-color", *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)
    return run


@pytest.fixture
def api(client: openai.OpenAI) -> openai.OpenAI:
    """The SDK client the CLI tests use to look at (and tamper with) what is live."""
    return client


def stack_state(workspace: Path, stack: str, folder: str | None = None, suffix: str = ".json") -> Path:
    """Where the stack named `stack`, kept in stacks/<folder> (default: its name), keeps its state
    by default: state/ in the stack's own folder, whatever the working directory."""
    return workspace / "stacks" / (folder or stack) / "state" / f"{stack}{suffix}"


def api_writes(emulator: EmulatorProcess) -> int:
    """Requests so far that could change something live: every method but GET, from the stats."""
    return sum(n for route, n in emulator.stats()["requests"].items() if not route.startswith("GET"))


def replace_in(path: Path, old: str, new: str) -> None:
    """Edit a stack file as a user would; `old` must be there."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


@pytest.fixture
def read_state(workspace: Path):
    """The stack's state file as JSON, as a user would inspect it."""
    def read(stack: str = "support-bot") -> dict:
        return json.loads(stack_state(workspace, stack).read_text())
    return read


# The quickstart's assistant on the Assistants API (the quickstart itself deploys an Agent), with
# what only that target takes (temperature, a strict function): for tests of that target.
WEATHER_ASSISTANT = """\
stack: weather
provider:
  kind: emulator
functions:
  get_weather:
    description: Current weather for a city.
    strict: true
    parameters:
      type: object
      properties:
        city: {type: string, description: "City name, e.g. Paris"}
        unit: {type: string, enum: [celsius, fahrenheit]}
      required: [city, unit]
      additionalProperties: false
assistants:
  weather:
    target: assistants_api
    model: gpt-4o-mini
    name: Weather helper
    instructions: |
      You answer questions about the weather. Call get_weather for current conditions.
    tools:
      - type: function
        function: get_weather
    temperature: 0.3
    metadata:
      team: examples
"""


def weather_assistant(workspace: Path) -> str:
    """Writes stacks/weather (WEATHER_ASSISTANT) into the workspace; returns the path to pass the CLI."""
    folder = workspace / "stacks" / "weather"
    folder.mkdir(parents=True)
    (folder / "stack.yaml").write_text(WEATHER_ASSISTANT)
    return "stacks/weather"
