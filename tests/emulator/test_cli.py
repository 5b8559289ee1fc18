"""The command line: options, environment variables, defaults."""

from __future__ import annotations

import subprocess
import sys

import click

from provisioner.emulator.cli import emulator_command
from provisioner.emulator.testing import running_emulator


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "provisioner.emulator", *args], capture_output=True, text=True, timeout=30
    )


def test_emulator_command_is_a_click_command():
    assert isinstance(emulator_command, click.Command)
    names = {option for param in emulator_command.params for option in param.opts}
    expected = {"--host", "--port", "--db", "--in-memory", "--latency-ms", "--fault-rate", "--fault-seed"}
    assert expected | {"--assistants-api", "--models", "--poll-after-ms", "--index-ms-per-kb"} <= names


def test_help_lists_the_switches():
    result = _run("--help")
    assert result.returncode == 0
    for flag in ("--port", "--db", "--in-memory", "--fault-rate", "--assistants-api", "PROVISIONER_EMULATOR"):
        assert flag in result.stdout


def test_bad_switch_values_are_usage_errors():
    assert _run("--fault-rate", "2").returncode == 2
    result = _run("--fault-kinds", "429,meteor", "--port", "0", "--in-memory")
    assert result.returncode == 2 and "meteor" in result.stderr


def test_default_database_is_state_emulator_sqlite3_under_cwd(tmp_path):
    with running_emulator(in_memory=False, cwd=str(tmp_path)) as emulator:
        emulator.client().vector_stores.create(name="on disk")
    assert (tmp_path / "state" / "emulator.sqlite3").exists()


def test_switches_from_environment(tmp_path):
    env = {"PROVISIONER_EMULATOR_MODELS": "gpt-4o,custom-model", "PROVISIONER_EMULATOR_DB": str(tmp_path / "e.db")}
    with running_emulator(in_memory=False, env=env) as emulator:
        assert [m.id for m in emulator.client().models.list()] == ["gpt-4o", "custom-model"]
    assert (tmp_path / "e.db").exists()


def test_taken_port_is_a_one_line_error(emulator):
    result = _run("--port", str(emulator.port), "--in-memory")
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{emulator.port}" in result.stderr
    assert "Traceback" not in result.stderr
