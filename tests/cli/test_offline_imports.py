"""Offline commands do not pay for the SDK: `--help` and `validate` never import `openai` or the
emulator's server (checked in a fresh interpreter, as a user's shell runs the tool)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import QUICKSTART

REPORT = """
import json, sys
from provisioner.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m == "openai" or m.startswith(("openai.", "provisioner.emulator.server")))
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def _imported(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", REPORT, *args], capture_output=True, text=True, timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [("--help",), ("plan", "--help"),
                                  ("validate", QUICKSTART), ("show", QUICKSTART)])
def test_offline_commands_do_not_import_the_sdk(workspace: Path, args: tuple[str, ...]):
    report = _imported(*args)
    assert report["code"] == 0
    assert report["heavy"] == [], report


def test_a_command_that_reaches_the_api_does_import_it(workspace: Path):
    report = _imported("plan", QUICKSTART)
    assert report["code"] == 0 and "openai" in report["heavy"]
