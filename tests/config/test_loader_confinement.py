"""A stack reads only inside its folder (or folders the operator allows), and says so at file:line.

A pull request writes the stack, so every way out is tried: absolute paths, `..`, globs that climb
out, symlinked files and folders, /proc/self/environ. The refused file's content must never show.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from provisioner.config.loader import load_stack
from provisioner.trust import Trust

CANARY = "CANARY-7f3e9a-outside-the-stack"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the stack's, holding a secret whose text must never be shown."""
    folder = tmp_path / "outside"
    folder.mkdir()
    for name in ("secret.md", "secret.json"):
        (folder / name).write_text(f'{{"x": "{CANARY}"}}\n' if name.endswith(".json") else CANARY + "\n")
    return folder


def _stack(tree, body: str, links: dict[str, Path] | None = None) -> Path:
    root = tree({"stack/stack.yaml": "stack: s\n" + body, "stack/docs/ok.md": "fine"})
    for name, target in (links or {}).items():
        (root / "stack" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "stack" / name).symlink_to(target)
    return root / "stack" / "stack.yaml"


ESCAPES = {
    "absolute instructions_file": ("assistants:\n  a: {{model: m, instructions_file: {out}/secret.md}}\n", None, 3),
    "dot-dot files path": ("files:\n  f: {{path: ../outside/secret.md}}\n", None, 3),
    "glob climbing out": ('file_sets:\n  d: {{include: ["../../**"]}}\n', None, 3),
    "glob climbing out of its folder": ('file_sets:\n  d: {{include: ["docs/../../outside/*.md"]}}\n', None, 3),
    "symlinked file": ("files:\n  f: {{path: docs/link.md}}\n", {"docs/link.md": "secret.md"}, 3),
    "symlinked file in a set": ('file_sets:\n  d: {{include: ["docs/*.md"]}}\n', {"docs/link.md": "secret.md"}, 3),
    "symlinked folder in a set": ('file_sets:\n  d: {{include: ["docs/**/*.md"]}}\n', {"docs/ext": ""}, 3),
    "symlinked folder named": ('file_sets:\n  d: {{include: ["ext/*.md"]}}\n', {"ext": ""}, 3),
    "proc environ": ("assistants:\n  a: {{model: m, instructions_file: /proc/self/environ}}\n", None, 3),
    "schema file": ("functions:\n  f: {{parameters_file: ../outside/secret.json}}\n", None, 3),
    "response schema file": ("assistants:\n  a:\n    model: m\n    response_format:\n      type: json_schema\n"
                             "      json_schema: {{name: n, schema_file: ../outside/secret.json}}\n", None, 7),
    "state path": ("state: {{path: ../outside/state.json}}\n", None, 2),
    "provider data": ("provider: {{data: ../outside/emulator.db}}\n", None, 2),
}


@pytest.mark.parametrize("body, links, line", ESCAPES.values(), ids=ESCAPES.keys())
def test_every_way_out_is_a_stack_error_at_its_line(tree, errors, outside, body, links, line):
    links = {name: outside / target for name, target in (links or {}).items()}
    stack = _stack(tree, body.format(out=outside), links)
    text = errors(stack)
    assert f"stack/stack.yaml:{line}:" in text
    assert "outside the stack's folder" in text and "--allow-path" in text
    assert CANARY not in text


def test_a_symlinked_stack_file_is_refused_before_it_is_read(tree, errors, outside):
    root = tree({"stack/main.yaml": "stack: s\n"})
    (outside / "evil.yaml").write_text(f"stack: s2\nfiles: {{x: {{path: {CANARY}}}}}\n")
    (root / "stack" / "evil.yaml").symlink_to(outside / "evil.yaml")
    text = errors(root / "stack")
    assert "stack file" in text and "outside the stack's folder" in text and CANARY not in text


def test_the_operator_allows_a_folder_and_the_stack_reads_it(tree, outside):
    stack = _stack(tree, "files:\n  f: {path: ../outside/secret.md}\n"
                         'file_sets:\n  d: {include: ["../outside/*.md"]}\n')
    loaded = load_stack(stack, trust=Trust(allow_paths=(outside,)))
    assert loaded.local_files["files.f"].path == outside / "secret.md"
    assert loaded.file_sets["d"] == ['file_sets.d["../outside/secret.md"]']


def test_symlinks_that_stay_inside_are_followed_and_loops_end(tree):
    stack = _stack(tree, 'file_sets:\n  d: {include: ["docs/**/*.md"]}\n')
    docs = stack.parent / "docs"
    (docs / "sub").mkdir()
    (docs / "sub" / "up").symlink_to(docs)  # a loop
    (docs / "sub" / "again").symlink_to(docs)  # and another: a walk that follows both would never end
    (docs / "alias.md").symlink_to(docs / "ok.md")
    assert load_stack(stack).file_sets["d"] == ['file_sets.d["docs/alias.md"]', 'file_sets.d["docs/ok.md"]']


def test_a_name_too_long_is_a_stack_error_not_a_crash(tree, errors):
    stack = _stack(tree, "assistants:\n  a: {model: m, instructions_file: " + "x" * 300 + ".md}\n"
                         "functions:\n  f: {parameters_file: " + "y" * 300 + ".json}\n")
    text = errors(stack)
    assert "stack/stack.yaml:3:" in text and "stack/stack.yaml:5:" in text
    assert "File name too long" in text and "unexpected" not in text


def test_an_image_in_a_vector_store_is_refused_but_code_interpreter_takes_it(tree, errors):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
    root = tree({"stack/stack.yaml": """
        stack: s
        files:
          chart: {path: docs/chart.png}
        file_sets:
          docs: {include: ["docs/*"]}
        vector_stores:
          kb: {file_sets: [docs]}
          direct: {files: [chart]}
        assistants:
          a:
            model: m
            tools: [{type: code_interpreter}]
            tool_resources: {code_interpreter: {files: [chart]}}
    """, "stack/docs/chart.png": png, "stack/docs/guide.md": "g"})
    text = errors(root / "stack" / "stack.yaml")
    assert 'stack.yaml:7:20: file_sets.docs["docs/chart.png"]' in text
    assert "stack.yaml:8:20: files.chart" in text and "file_search indexes only" in text
    assert text.count("cannot go in vector_stores") == 2
    (root / "stack" / "stack.yaml").write_text((root / "stack" / "stack.yaml").read_text()
                                               .replace("  direct: {files: [chart]}\n", "")
                                               .replace('include: ["docs/*"]', 'include: ["docs/*"], exclude: ["**/*.png"]'))
    assert load_stack(root / "stack" / "stack.yaml").vector_stores.keys() == {"kb"}


ENDPOINTS = {
    "foreign base_url": ("provider: {kind: compatible, base_url: 'https://collector.example/v1'}\n", "base_url"),
    "openai with a foreign base_url": ("provider: {kind: openai, base_url: 'https://collector.example/v1'}\n",
                                       "base_url"),
    "emulator with a foreign base_url": ("provider: {kind: emulator, base_url: 'http://10.1.2.3/v1'}\n", "base_url"),
    "another secret as the key": ("provider: {kind: openai, api_key_env: AWS_SECRET_ACCESS_KEY}\n", "api_key_env"),
}


@pytest.mark.parametrize("body, field", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_the_key_goes_only_where_the_operator_allows(tree, errors, body, field):
    stack = _stack(tree, body)
    text = errors(stack)
    assert f"stack/stack.yaml:2:" in text and f"provider.{field}" in text and "the operator allowed" in text
    allowed = Trust(endpoints=("https://collector.example/v1", "http://10.1.2.3/v1"), key_envs=("AWS_SECRET_ACCESS_KEY",))
    assert load_stack(stack, trust=allowed).provider is not None


@pytest.mark.parametrize("provider", [
    "{kind: openai}", "{kind: compatible, base_url: 'http://127.0.0.1:8000/v1'}",
    "{kind: compatible, base_url: 'http://localhost:9/v1/'}", "{kind: emulator, api_key_env: ANYTHING}",
])
def test_openai_loopback_and_the_embedded_emulator_need_nothing(tree, provider):
    assert load_stack(_stack(tree, f"provider: {provider}\n")).provider is not None


def test_the_allowed_lists_can_come_from_the_environment(tree, monkeypatch):
    stack = _stack(tree, "provider: {kind: compatible, base_url: 'https://proxy.internal/v1', api_key_env: PROXY_KEY}\n")
    monkeypatch.setenv("PROVISIONER_ALLOWED_ENDPOINTS", "https://other/v1 https://proxy.internal/v1")
    monkeypatch.setenv("PROVISIONER_ALLOWED_KEY_ENVS", "PROXY_KEY")
    assert load_stack(stack).provider.base_url == "https://proxy.internal/v1"
    assert os.environ["PROVISIONER_ALLOWED_KEY_ENVS"] == "PROXY_KEY"
