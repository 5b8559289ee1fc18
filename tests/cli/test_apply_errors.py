"""A failed apply names each failure once: one error line per failure, with its reason."""
from __future__ import annotations

from pathlib import Path

STACK = """
stack: broken
files:
  logo: {path: logo.md}
  chart: {path: chart.md}
  notes: {path: notes.md}
vector_stores:
  images: {name: images, files: [logo, notes]}
  charts: {name: charts, files: [chart]}
assistants:
  helper:
    model: gpt-4o
    tools: [{type: file_search}]
    tool_resources: {file_search: {vector_stores: [images]}}
"""


def test_each_failure_is_reported_once(cli, workspace: Path):
    # images renamed .md: attached by their extension, then indexing fails on their content
    (workspace / "broken").mkdir()
    (workspace / "broken" / "stack.yaml").write_text(STACK)
    (workspace / "broken" / "logo.md").write_bytes(b"\x89PNG not really an image")
    (workspace / "broken" / "chart.md").write_bytes(b"\x89PNG not a chart either")
    (workspace / "broken" / "notes.md").write_text("# notes\n")

    result = cli("apply", "broken", "--auto-approve")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("Error:")]
    assert sorted(errors) == ["Error: vector_stores.charts: create failed: files failed to index:",
                              "Error: vector_stores.images: create failed: files failed to index:"], result.output
    for reason in ("files.logo: indexing failed", "files.chart: indexing failed"):
        assert result.output.count(reason) == 1, result.output
    # at the end, after every progress line, where the user looks
    lines = result.err.splitlines()
    first_error = next(i for i, line in enumerate(lines) if line.startswith("Error:"))
    assert not [line for line in lines[first_error:] if line.startswith(("files.", "vector_stores.", "assistants."))]
    # a resource skipped because of a failure is named once too, and is not an error of its own
    assert result.output.count("assistants.helper: skipped") == 1, result.output
    assert "2 failed, 1 skipped" in result.out
