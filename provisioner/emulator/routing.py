"""Request/response values, the route table and the per-server application state.

Owns matching `METHOD /v1/path` to a handler and the route template used by the request
counter (ids replaced by `{id}`). Must not speak HTTP (server.py does) nor hold API rules.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .config import EmulatorConfig
from .errors import bad_json, invalid
from .store import Store


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            value = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise bad_json() from None
        if not isinstance(value, dict):
            raise invalid(
                "Invalid type for request body: expected an object, but got another type instead.",
                code="invalid_type",
            )
        return value


@dataclass
class Response:
    body: Any = None  # dict/list -> JSON, bytes -> raw
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass
class App:
    """What handlers may use: settings, storage and the clock."""

    config: EmulatorConfig
    store: Store
    clock: Callable[[], float] = time.time
    # Seconds added to the wall clock by POST /_emulator/clock/advance, so tests can reach
    # expiry dates without waiting. Process-local on purpose: a restart returns to real time.
    offset: float = 0.0

    def now(self) -> float:
        return self.clock() + self.offset


Handler = Callable[[App, Request], Any]


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], str, Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        """`template` like `/v1/vector_stores/{vector_store_id}/files`."""
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self._routes.append((method, re.compile(f"^{pattern}$"), template, handler))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str], str] | None:
        for route_method, pattern, template, handler in self._routes:
            found = pattern.match(path)
            if found and route_method == method:
                return handler, found.groupdict(), _counter_template(template)
        return None


def _counter_template(template: str) -> str:
    return re.sub(r"\{\w+\}", "{id}", template)
