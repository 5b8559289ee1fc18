"""Endpoints outside /v1 (`/_emulator/...`) that tests and benchmarks use to observe and steer
the emulator: the request counter, fault settings, the clock offset, a wipe of all data,
a health check.

Owns their routes and JSON shapes. Must not be reachable under /v1, be counted, or be
faulted: a benchmark reading the counter must not change what it counts.
"""

from __future__ import annotations

import json
from typing import Any

from . import errors
from .faults import FaultInjector, RequestCounter
from .routing import App, Response


def _json(body: bytes) -> dict[str, Any]:
    value = json.loads(body or b"{}")
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


def handle(
    method: str, path: str, body: bytes, *, app: App, counter: RequestCounter, faults: FaultInjector
) -> Response:
    route = f"{method} {path}"
    if route == "GET /_emulator/health":
        return Response(body={"status": "ok"})
    if route == "GET /_emulator/stats":
        return Response(body=counter.snapshot())
    if route == "POST /_emulator/stats/reset":
        counter.reset()
        return Response(body=counter.snapshot())
    if route == "GET /_emulator/faults":
        return Response(body=faults.settings())
    if route == "POST /_emulator/faults":
        try:
            settings = _json(body)
            faults.configure(rate=settings.get("rate"), kinds=settings.get("kinds"), seed=settings.get("seed", ...))
        except (ValueError, TypeError) as exc:
            return Response(body=errors.invalid(f"Invalid fault settings: {exc}").body(), status=400)
        return Response(body=faults.settings())
    if route == "POST /_emulator/reset":
        # A clean slate for tests sharing one server; the stored database is emptied too.
        app.store.wipe()
        counter.reset()
        return Response(body={"reset": True})
    if route == "POST /_emulator/clock/advance":
        try:
            seconds = float(_json(body).get("seconds", 0))
        except (ValueError, TypeError):
            return Response(body=errors.invalid('Expected a JSON body like {"seconds": 60}.').body(), status=400)
        app.offset += seconds
        return Response(body={"now": int(app.now()), "offset_seconds": app.offset})
    return Response(body=errors.invalid_url(method, path).body(), status=404)
