"""Fixtures for the loader tests: write small stack trees into tmp_path and load them."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from provisioner.config.loader import load_stack
from provisioner.errors import StackError


@pytest.fixture
def tree(tmp_path: Path):
    """Write {relative path: text or bytes} under tmp_path; YAML text is dedented. Returns tmp_path."""

    def write(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return write


@pytest.fixture
def errors():
    """Load a stack that must fail; return what the user sees (the StackError's text)."""

    def load(path: Path, **kwargs) -> str:
        with pytest.raises(StackError) as info:
            load_stack(path, **kwargs)
        return str(info.value)

    return load
