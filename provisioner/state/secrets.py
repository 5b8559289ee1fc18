"""Guard that keeps credentials out of state files.

State is committed, shared and printed in diffs, so it must never hold an API key or an
Authorization header value. Nothing is supposed to put one there; this is defence in depth,
checked on every write. It must not log or echo the value it finds, only where it was.
"""
from __future__ import annotations

import re
from typing import Any

from provisioner.errors import StateError

# An OpenAI-style key: `sk-` (not the tail of a longer word such as `disk-`) and 20+ key characters.
_API_KEY = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{20,}")
# An Authorization header value: the whole string is a scheme and a token. Matching the whole
# string keeps prose such as instructions starting "Basic rules: ..." from tripping the guard.
_AUTH_VALUE = re.compile(r"\s*(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]{16,}\s*", re.IGNORECASE)
# A header line embedded in a longer text, e.g. a captured request dump.
_AUTH_LINE = re.compile(r"\bauthorization\s*:\s*(?:Bearer|Basic)\s+\S+", re.IGNORECASE)
_AUTH_KEYS = {"authorization", "proxy-authorization"}


def _find(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        if _API_KEY.search(value):
            return f"{path} holds what looks like an API key"
        if _AUTH_VALUE.fullmatch(value) or _AUTH_LINE.search(value):
            return f"{path} holds what looks like an Authorization header value"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                if key.lower() in _AUTH_KEYS and item not in (None, ""):
                    return f"{where} is an Authorization header"
                if found := _find(key, f"a key under {path or 'the document'}"):
                    return found
            if found := _find(item, where):
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            if found := _find(item, f"{path}[{index}]"):
                return found
    return None


def refuse_secrets(document: Any, source: str) -> None:
    """Raise StateError if `document` (plain JSON data) contains anything credential-like."""
    problem = _find(document, "")
    if problem:
        raise StateError(
            f"refusing to write state {source}: {problem}",
            hint="credentials must never be stored in state; find what put it in the resource's"
            " attributes or outputs and keep it out (read keys from the environment instead)",
        )
