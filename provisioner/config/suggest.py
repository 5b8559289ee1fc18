"""Did-you-mean hints for names the user mistyped.

Owns the one closeness rule every message uses, so hints read the same everywhere. It must not
decide whether something is an error.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[object]) -> str | None:
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f'did you mean "{close[0]}"?' if close else None
