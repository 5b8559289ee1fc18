"""Waiting for a state lock held by another run (`--lock-timeout DURATION`).

Owns parsing a duration (`10s`, `2m`, `500ms`, `1h`, or plain seconds) and retrying a backend's
lock until it is free or the time is up, saying once who holds it. It must not take a lock any
other way than through the state manager, nor ever break one.
"""
from __future__ import annotations

import contextlib
import re
import time
from typing import Callable, Iterator

from provisioner.errors import StateLockedError
from provisioner.state.manager import StateManager

_DURATION = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|m|h)?\s*$")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}
POLL_SECONDS = 0.25


def parse_duration(text: str) -> float:
    """Seconds in `text`; ValueError with the accepted forms if it is not a duration."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration: write e.g. 30s, 2m, 500ms or 1h")
    return float(match["n"]) * _SECONDS[match["unit"]]


@contextlib.contextmanager
def lock_waiting(states: StateManager, who: str, timeout: float, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the state's lock, waiting up to `timeout` seconds for another run to release it."""
    deadline = time.monotonic() + timeout
    waited = False
    while True:
        held = contextlib.ExitStack()
        try:
            held.enter_context(states.lock(who))
            break
        except StateLockedError as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            if not waited:
                say(f"Waiting up to {timeout:g}s for the lock: {exc.message}")
                waited = True
            time.sleep(min(POLL_SECONDS, left))
    if waited:
        say("Got the lock.")
    with held:
        yield
