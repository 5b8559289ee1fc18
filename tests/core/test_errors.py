"""Bad stacks: a clear error with file, line and a hint, exit code 1, no traceback, nothing changed."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.conftest import stack_state

STACK = "stacks/support-bot"


def _writes(stats: dict) -> int:
    return sum(n for route, n in stats["requests"].items() if not route.startswith("GET"))


def _edit(workspace: Path, old: str, new: str, file: str = "stack.yaml") -> None:
    path = workspace / STACK / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _line_of(workspace: Path, text: str) -> int:
    lines = (workspace / STACK / "stack.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text.strip() in line)


@pytest.mark.parametrize("command", ["plan", "apply", "validate"])
@pytest.mark.parametrize("old, new, expected", [
    ("    instructions_file: prompts/support.md", "    instrutions_file: prompts/support.md",
     r'stack\.yaml:{line}:5: unknown key "instrutions_file" in assistants\.support\n  hint: did you mean "instructions_file"\?'),
    ("vector_stores: [knowledge]", "vector_stores: [knowlege]",
     r'stack\.yaml:{line}:25: unknown vector store "knowlege".*\n  hint: did you mean "knowledge"\?'),
    ("        function: open_ticket", "        function: open_tiket",
     r'stack\.yaml:\d+:\d+: .*"open_tiket".*\n  hint: did you mean "open_ticket"\?'),
])
def test_bad_stack_gives_file_line_and_hint_and_changes_nothing(cli, workspace: Path, emulator, command, old, new,
                                                               expected):
    _edit(workspace, old, new)
    expected = expected.replace("{line}", str(_line_of(workspace, new)))
    before = emulator.stats()
    args = [command, STACK] + (["--auto-approve"] if command == "apply" else [])
    result = cli(*args)
    assert result.code == 1
    assert re.search(expected, result.err), result.err
    assert "Traceback" not in result.output
    assert _writes(emulator.stats()) == _writes(before)
    assert not stack_state(workspace, "support-bot").exists()


def test_bad_function_schema_names_the_schema_file_and_the_rule(cli, workspace: Path, emulator):
    (workspace / STACK / "schemas" / "lookup_order.json").write_text(
        '{\n  "type": "object",\n  "properties": {"order_id": {"type": "strin"}},\n'
        '  "required": ["order_id"],\n  "additionalProperties": false\n}\n')
    before = emulator.stats()
    result = cli("apply", STACK, "--auto-approve")
    assert result.code == 1
    assert re.search(r"schemas/lookup_order\.json:3:\d+: .*lookup_order.*properties/order_id/type", result.err), result.err
    assert _writes(emulator.stats()) == _writes(before)


def test_every_error_is_reported_at_once(cli, workspace: Path):
    _edit(workspace, "    instructions_file: prompts/support.md", "    instrutions_file: prompts/support.md")
    _edit(workspace, "vector_stores: [knowledge]", "vector_stores: [knowlege]")
    result = cli("validate", STACK)
    assert result.code == 1
    assert "2 errors in the stack" in result.err


def test_a_bad_saved_plan_is_a_clear_error(cli, workspace: Path):
    (workspace / "broken.json").write_text('{"format_version": 1, "changes": [')
    result = cli("apply", "broken.json")
    assert result.code == 1
    assert "broken.json is not a plan this provisioner can read" in result.err
    assert "Traceback" not in result.output


def test_unknown_model_and_missing_external_ids_fail_the_plan_before_any_change(cli, workspace: Path, emulator):
    _edit(workspace, "    model: gpt-4o\n", "    model: gpt-4o-mni\n")
    _edit(workspace, "        vector_stores: [knowledge]", "        vector_stores: [vs_doesnotexist]")
    _edit(workspace, "        files: [pricing]", "        files: [pricing, file-doesnotexist]")
    before = emulator.stats()
    result = cli("apply", STACK, "--auto-approve")
    assert result.code == 1
    assert 'assistants.support uses model "gpt-4o-mni", which the endpoint does not serve ' \
           '(did you mean "gpt-4o-mini"?)' in result.err
    assert "assistants.support refers to vs_doesnotexist, which does not exist" in result.err
    assert "assistants.support refers to file-doesnotexist, which does not exist" in result.err
    assert _writes(emulator.stats()) == _writes(before)
