"""Helpers for the first-hour CLI tests: the quickstart stack, edited as a user would."""
from __future__ import annotations

from pathlib import Path

import pytest

QUICKSTART = "stacks/quickstart"


@pytest.fixture
def edit_quickstart(workspace: Path):
    """Replace `old` with `new` in the quickstart stack file; returns the 1-based line of `new`'s first line."""
    def edit(old: str, new: str) -> int:
        path = workspace / QUICKSTART / "stack.yaml"
        text = path.read_text()
        assert old in text
        text = text.replace(old, new)
        path.write_text(text)
        return text[: text.index(new)].count("\n") + 1
    return edit
