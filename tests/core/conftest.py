"""Fixtures for end-to-end tests of the CLI against the emulator, through the real SDK over HTTP."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest

from provisioner.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "stacks"


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
    """A copy of the example stacks in a fresh directory whose state/ starts empty."""
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
def api(emulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=emulator.base_url, api_key="test", max_retries=2)


@pytest.fixture
def read_state(workspace: Path):
    """The stack's state file as JSON, as a user would inspect it."""
    def read(stack: str = "support-bot") -> dict:
        return json.loads((workspace / "state" / f"{stack}.json").read_text())
    return read
