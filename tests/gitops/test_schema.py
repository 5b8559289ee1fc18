"""`provisioner schema`: the stack file's JSON Schema agrees with the loader, on good and on broken stacks."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_FILES = sorted(p for p in (ROOT / "examples" / "stacks").glob("*/*.yaml"))
BROKEN = {
    "unknown top-level key": "stack: s\nassitants: {}\n",
    "misspelt assistant field": "stack: s\nassistants:\n  a: {model: gpt-4o, temprature: 0.5}\n",
    "temperature out of range": "stack: s\nassistants:\n  a: {model: gpt-4o, temperature: 3}\n",
    "unknown tool type": "stack: s\nassistants:\n  a: {model: gpt-4o, tools: [{type: retrieval}]}\n",
    "assistant without a model": "stack: s\nassistants:\n  a: {name: x}\n",
    "bad stack name": "stack: 1-bad name\n",
    "expiry beyond a year": "stack: s\nvector_stores:\n  v: {expires_after: {anchor: last_active_at, days: 400}}\n",
    "unknown file purpose": "stack: s\nfiles:\n  f: {path: a.txt, purpose: fine-tune}\n",
    "unknown provider kind": "stack: s\nprovider: {kind: azure}\n",
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Validator:
    printed = subprocess.run([sys.executable, "-m", "provisioner.cli", "schema"], capture_output=True, text=True)
    assert printed.returncode == 0, printed.stderr
    schema = json.loads(printed.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_example_stack_file_validates_against_the_schema(validator, path: Path):
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_stack_is_rejected_by_both_the_schema_and_the_loader(validator, text: str, cli, tmp_path: Path,
                                                                       monkeypatch):
    assert list(validator.iter_errors(yaml.safe_load(text))), "the schema accepted it"
    (tmp_path / "stack.yaml").write_text(text)
    (tmp_path / "a.txt").write_text("a")
    monkeypatch.chdir(tmp_path)
    result = cli("validate", "stack.yaml")
    assert result.code == 1 and "stack.yaml:" in result.err


def test_interpolations_are_accepted_where_the_loader_takes_them(validator):
    stack = {"stack": "s-${var.env}", "variables": {"t": {"default": 0.5}},
             "assistants": {"a": {"model": "gpt-4o", "temperature": "${var.t}", "target": "${var.target}"}}}
    assert [e.message for e in validator.iter_errors(stack)] == []
