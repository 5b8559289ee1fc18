"""Global options work where users type them: before the subcommand or after it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import QUICKSTART

ESCAPE = "\x1b["


def _on_a_terminal(*args: str) -> str:
    """What `provisioner ARGS...` prints when its output is a terminal (where colour is on by default)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI")}
    leader, follower = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "provisioner.cli", *args], stdin=subprocess.DEVNULL,
                               stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=120) == 0, b"".join(chunks).decode()
    return b"".join(chunks).decode()


def test_no_color_turns_colour_off_after_the_subcommand_as_before_it(workspace: Path):
    assert ESCAPE in _on_a_terminal("plan", QUICKSTART)
    for args in (("plan", QUICKSTART, "--no-color"), ("--no-color", "plan", QUICKSTART)):
        printed = _on_a_terminal(*args)
        assert "assistants.weather will be created" in printed
        assert ESCAPE not in printed, args


def test_debug_after_the_subcommand_shows_the_traceback(cli, workspace: Path, edit_quickstart):
    edit_quickstart("  kind: emulator\n", "  kind: compatible\n  base_url: http://127.0.0.1:9/v1\n")
    plain = cli("plan", QUICKSTART)
    debugged = cli("plan", QUICKSTART, "--debug")
    assert plain.code == debugged.code == 1
    assert "Traceback" not in plain.err and "cannot reach" in plain.err
    assert "Traceback (most recent call last)" in debugged.err and "cannot reach" in debugged.err


def test_every_command_lists_the_global_options_in_its_help(cli):
    for command in ("validate", "plan", "apply", "destroy", "show", "output", "import", "force-unlock"):
        shown = cli(command, "--help")
        assert shown.code == 0 and "--no-color" in shown.out and "--debug" in shown.out, command
