"""Builds the openai SDK client for one endpoint: its retries, its timeout, and failing fast when
the endpoint cannot be reached at all.

The SDK retries a refused connection like any other (5 times, with backoff: 18 s of silence for a
wrong base_url). Until the endpoint has answered once, a connection that cannot be opened, or a
request that times out, means a wrong address or a server that is down, so it is raised at once;
afterwards the SDK's retries stand, for a server that blips mid-run, as they do for 429 and 5xx.
It must not log the key or any header.
"""
from __future__ import annotations

from typing import Any

import openai

try:
    import httpx2 as httpx  # the HTTP library of openai >= 3
except ImportError:  # pragma: no cover - openai 2 is built on httpx
    import httpx  # type: ignore[no-redef, import-not-found]

MAX_RETRIES = 5
UNREACHABLE = (httpx.ConnectError, httpx.TimeoutException)


class _FailFastHttpClient(openai.DefaultHttpxClient):
    """The SDK's own HTTP client, except that it raises an SDK error, which the SDK never retries,
    when the endpoint has never answered and cannot be reached."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.reached = False

    def send(self, request: Any, **kwargs: Any) -> Any:
        try:
            response = super().send(request, **kwargs)
        except UNREACHABLE as exc:
            if self.reached:
                raise
            raise openai.APIConnectionError(message=_reason(exc), request=request) from exc
        self.reached = True
        return response


def _reason(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "no connection within the timeout"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer within the timeout"
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
        return "unknown host"
    return str(exc) or exc.__class__.__name__


def make_client(url: str, key: str, provider: dict[str, Any]) -> openai.OpenAI:
    """`provider` is Provider.model_dump(); `timeout_seconds`, when set, bounds every request."""
    timeout = provider.get("timeout_seconds") or openai.DEFAULT_TIMEOUT
    return openai.OpenAI(base_url=url, api_key=key, organization=provider.get("organization"),
                         project=provider.get("project"), max_retries=MAX_RETRIES, timeout=timeout,
                         http_client=_FailFastHttpClient(timeout=timeout))
