"""OpenAI error bodies: the exception handlers raise and the JSON the wire carries.

Owns the exact wording and shape of error responses. Must not decide *when* a request is
invalid; validators and handlers do that and raise ApiError.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered as `{"error": {"message", "type", "param", "code"}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def not_found(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(404, message, param=param, code=code)


def invalid_url(method: str, path: str) -> ApiError:
    # What api.openai.com answers for a route it does not serve, including the sunset
    # Assistants API.
    return ApiError(404, f"Invalid URL ({method} {path})")


def missing_api_key() -> ApiError:
    return ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header "
        "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
        "username) if you're accessing the API from your browser and are prompted for a username and "
        "password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
    )


def incorrect_api_key(key: str) -> ApiError:
    # Only a masked form of the key ever leaves the process, as OpenAI does.
    masked = key[:3] + "*" * 6 + key[-4:] if len(key) > 8 else "*" * len(key)
    return ApiError(
        401,
        f"Incorrect API key provided: {masked}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        code="invalid_api_key",
    )


def _retry_headers(retry_after_ms: int) -> dict[str, str]:
    # Retry-After carries whole seconds, rounded up; the SDK prefers the exact retry-after-ms.
    return {"Retry-After": str(max(1, -(-retry_after_ms // 1000))), "retry-after-ms": str(retry_after_ms)}


def rate_limited(retry_after_ms: int) -> ApiError:
    return ApiError(
        429,
        "Rate limit reached for requests. Please try again in "
        f"{retry_after_ms}ms. Visit https://platform.openai.com/account/rate-limits to learn more.",
        type="requests",
        code="rate_limit_exceeded",
        headers={
            **_retry_headers(retry_after_ms),
            "x-ratelimit-limit-requests": "5000",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": f"{retry_after_ms}ms",
            "x-ratelimit-limit-tokens": "800000",
            "x-ratelimit-remaining-tokens": "800000",
            "x-ratelimit-reset-tokens": "0s",
        },
    )


def store_write_limited(vector_store_id: str, limit: int, window_seconds: float, retry_after_ms: int) -> ApiError:
    """Too many writes to one vector store: the account-wide request budget is untouched."""
    return ApiError(
        429,
        f"Rate limit reached for writes to vector store {vector_store_id}: limit {limit} per "
        f"{window_seconds:g}s. Please try again in {retry_after_ms}ms. "
        "Visit https://platform.openai.com/account/rate-limits to learn more.",
        type="requests",
        code="rate_limit_exceeded",
        headers=_retry_headers(retry_after_ms),
    )


def unsupported_file(extensions: str, param: str) -> ApiError:
    # OpenAI's answer when an attach names a file whose extension file_search cannot index, e.g.
    # "Files with extensions [.png] are not supported for retrieval. See ...".
    return ApiError(
        400,
        f"Files with extensions [{extensions}] are not supported for retrieval. "
        "See https://platform.openai.com/docs/assistants/tools/file-search/supported-files",
        param=param,
        code="unsupported_file",
    )


def server_error(status: int = 500) -> ApiError:
    return ApiError(
        status,
        "The server had an error while processing your request. Sorry about that!",
        type="server_error",
    )


def bad_json() -> ApiError:
    return ApiError(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
        "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
        "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
        "help center at help.openai.com.)",
    )
