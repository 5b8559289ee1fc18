"""A pull request's stack, run through the CLI: it reads nothing outside its folder, and plans nothing.

For each way out, validate and plan fail with file:line and exit 1, the refused file's text shows in
no output, and the API was never called (the emulator's request counter stays at zero).
"""
from __future__ import annotations

from pathlib import Path

import pytest

STACK = "stacks/support-bot"
CANARY = "CANARY-41d2c8-runner-secret"

ESCAPES = {
    "absolute path": ("prompts/support.md", "{outside}/secret.md", None),
    "dot-dot path": ("prompts/support.md", "../../outside/secret.md", None),
    "proc environ": ("prompts/support.md", "/proc/self/environ", None),
    "glob climbing out": ('"docs/**/*.md"', '"../../**/*.md"', None),
    "symlinked file": ("prompts/support.md", "prompts/link.md", ("prompts/link.md", "secret.md")),
    "symlinked folder": ('"docs/**/*.md"', '"docs/**/*.md"', ("docs/shared", "")),
}


@pytest.mark.parametrize("old, new, link", ESCAPES.values(), ids=ESCAPES.keys())
def test_an_escape_fails_validate_and_plan_without_reading_or_calling(cli, workspace: Path, emulator,
                                                                       old, new, link):
    outside = workspace / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(CANARY + "\n")
    stack_file = workspace / STACK / "stack.yaml"
    text = stack_file.read_text()
    assert old in text
    stack_file.write_text(text.replace(old, new.format(outside=outside)))
    if link:
        (workspace / STACK / link[0]).symlink_to(outside / link[1])
    emulator.reset_stats()
    for command in (["validate", STACK], ["plan", STACK], ["plan", STACK, "--markdown"]):
        result = cli(*command)
        assert result.code == 1, result.output
        assert f"{STACK}/stack.yaml:" in result.err and "outside the stack's folder" in result.err
        assert CANARY not in result.output and "Traceback" not in result.output
    assert emulator.stats()["total"] == 0


def test_the_runners_environment_is_not_readable_unless_the_operator_allows_it(cli, workspace: Path, emulator,
                                                                               monkeypatch):
    monkeypatch.setenv("RUNNER_DB_PASSWORD", CANARY)
    stack_file = workspace / STACK / "stack.yaml"
    stack_file.write_text(stack_file.read_text().replace("instructions_file: prompts/support.md",
                                                         'instructions: "the password is ${env:RUNNER_DB_PASSWORD}"'))
    emulator.reset_stats()
    for command in (["validate", STACK], ["plan", STACK], ["plan", STACK, "--markdown"]):
        result = cli(*command)
        assert result.code == 1 and "--allow-env RUNNER_DB_PASSWORD" in result.err, result.output
        assert f"{STACK}/stack.yaml:" in result.err and CANARY not in result.output
    assert emulator.stats()["total"] == 0
    assert cli("validate", STACK, "--allow-env", "RUNNER_DB_PASSWORD").code == 0


def test_the_operator_can_allow_a_folder_by_flag(cli, workspace: Path):
    shared = workspace / "shared"
    shared.mkdir()
    (shared / "support.md").write_text("Shared instructions.\n")
    stack_file = workspace / STACK / "stack.yaml"
    stack_file.write_text(stack_file.read_text().replace("prompts/support.md", "../../shared/support.md"))
    assert cli("validate", STACK).code == 1
    assert cli("validate", STACK, "--allow-path", "shared").code == 0


def test_a_foreign_endpoint_needs_the_operator_and_gets_no_request(cli, workspace: Path, emulator, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-" + "k" * 40)
    stack_file = workspace / STACK / "stack.yaml"
    stack_file.write_text(stack_file.read_text().replace(
        "provider:\n  kind: emulator\n", "provider:\n  kind: compatible\n  base_url: https://collector.example/v1\n"))
    emulator.reset_stats()
    result = cli("plan", STACK)
    assert result.code == 1
    assert f"{STACK}/stack.yaml:7:13: provider.base_url https://collector.example/v1 is not an endpoint" in result.err
    assert "--allow-endpoint https://collector.example/v1" in result.err
    assert emulator.stats()["total"] == 0


def test_an_image_in_a_store_is_refused_at_plan(cli, workspace: Path, emulator):
    (workspace / STACK / "docs" / "diagram.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    stack_file = workspace / STACK / "stack.yaml"
    stack_file.write_text(stack_file.read_text().replace('"docs/**/*.md"', '"docs/**/*"'))
    emulator.reset_stats()
    result = cli("plan", STACK)
    assert result.code == 1 and 'file_sets.docs["docs/diagram.png"]' in result.err
    assert "file_search indexes only" in result.err and emulator.stats()["total"] == 0
