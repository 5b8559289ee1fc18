"""HTTP-level behaviour every client sees: auth, unknown routes, bad bodies, headers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import openai
import pytest

from provisioner.emulator.testing import running_emulator

from .conftest import error_body


def _raw(url: str, method: str = "GET", headers: dict | None = None, data: bytes | None = None):
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_missing_bearer_key_is_401(emulator):
    status, _, body = _raw(emulator.base_url + "/files")
    assert status == 401
    error = json.loads(body)["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("You didn't provide an API key.")


def test_configured_key_is_enforced_without_echoing_it():
    with running_emulator(api_key="sk-right-key-1234") as emulator:
        assert emulator.client().models.list().data
        wrong = openai.OpenAI(base_url=emulator.base_url, api_key="sk-wrong-key-9876", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as caught:
            wrong.models.list()
        error = error_body(caught.value)
        assert error["code"] == "invalid_api_key"
        assert "sk-wrong-key-9876" not in error["message"]


def test_unknown_route_is_openai_invalid_url(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.get("/threads/thread_abc/nothing", cast_to=object)
    assert error_body(caught.value) == {
        "message": "Invalid URL (GET /v1/threads/thread_abc/nothing)",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_invalid_json_body(emulator):
    status, _, body = _raw(
        emulator.base_url + "/vector_stores",
        method="POST",
        headers={"Authorization": f"Bearer {emulator.api_key}", "Content-Type": "application/json"},
        data=b"{not json",
    )
    assert status == 400
    assert json.loads(body)["error"]["message"].startswith("We could not parse the JSON body")


def test_success_is_200_with_openai_headers(client):
    response = client.vector_stores.with_raw_response.create(name="headers")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"].startswith("req_")
    assert "x-ratelimit-remaining-requests" in response.headers


def test_unix_timestamps(client):
    import time

    store = client.vector_stores.create()
    assert isinstance(store.created_at, int)
    assert abs(store.created_at - time.time()) < 5
