"""Helpers for the emulator's own tests (the shared fixtures live in tests/conftest.py)."""

from __future__ import annotations

import uuid
from typing import Callable

import openai
import pytest
from openai.types import FileObject


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The SDK marks the Assistants API deprecated; the emulator still serves it on purpose.
    for item in items:
        item.add_marker(pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning"))


@pytest.fixture
def upload(client: openai.OpenAI) -> Callable[..., FileObject]:
    def _upload(content: bytes | None = None, filename: str = "notes.txt", purpose: str = "assistants") -> FileObject:
        data = content if content is not None else f"document {uuid.uuid4()}\n".encode()
        return client.files.create(file=(filename, data), purpose=purpose)

    return _upload


def error_body(exc: openai.APIStatusError) -> dict:
    """The `error` object of an API error, checked to have OpenAI's four keys."""
    body = exc.response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]
