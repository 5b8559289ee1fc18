"""The real API's rules the emulator holds clients to, so their bugs show here and not in production:
unsupported file types refused at attach, the per-store write limit, no coercion of wrong types,
an expired store staying expired, and JSON answers for every HTTP method."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import openai
import pytest

from provisioner.emulator.testing import running_emulator

from .conftest import error_body

SUPPORTED_FILES = "https://platform.openai.com/docs/assistants/tools/file-search/supported-files"


def _bad_request(call) -> dict:
    with pytest.raises(openai.BadRequestError) as caught:
        call()
    return error_body(caught.value)


# --- file types file_search cannot index -------------------------------------------------------


@pytest.fixture
def image(upload):
    return upload(b"\x89PNG\r\n\x1a\n", filename="diagram.png")


def _assert_unsupported(error: dict, param: str, extensions: str = ".png") -> None:
    assert error == {
        "message": f"Files with extensions [{extensions}] are not supported for retrieval. See {SUPPORTED_FILES}",
        "type": "invalid_request_error",
        "param": param,
        "code": "unsupported_file",
    }


def test_attaching_an_unsupported_type_is_a_400_at_once_and_attaches_nothing(client, upload, image):
    store = client.vector_stores.create(name="types")
    text = upload()
    _assert_unsupported(
        _bad_request(lambda: client.vector_stores.files.create(vector_store_id=store.id, file_id=image.id)), "file_ids"
    )
    # one bad file refuses the whole batch, in either form
    _assert_unsupported(
        _bad_request(
            lambda: client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=[text.id, image.id])
        ),
        "file_ids",
    )
    archive = upload(b"PK\x03\x04", filename="bundle.ZIP")
    _assert_unsupported(
        _bad_request(
            lambda: client.vector_stores.file_batches.create(
                vector_store_id=store.id, files=[{"file_id": archive.id}, {"file_id": image.id}]
            )
        ),
        "files",
        ".png, .zip",
    )
    assert client.vector_stores.retrieve(store.id).file_counts.total == 0


def test_creating_a_store_or_assistant_with_an_unsupported_type_makes_nothing(client, image):
    stores_before = {s.id for s in client.vector_stores.list(limit=100)}
    _assert_unsupported(_bad_request(lambda: client.vector_stores.create(file_ids=[image.id])), "file_ids")
    error = _bad_request(
        lambda: client.beta.assistants.create(
            model="gpt-4o",
            tools=[{"type": "file_search"}],
            tool_resources={"file_search": {"vector_stores": [{"file_ids": [image.id]}]}},
        )
    )
    _assert_unsupported(error, "tool_resources.file_search.vector_stores[0].file_ids")
    assert {s.id for s in client.vector_stores.list(limit=100)} == stores_before
    # code_interpreter takes any file: the rule is file_search's alone
    assistant = client.beta.assistants.create(
        model="gpt-4o", tools=[{"type": "code_interpreter"}], tool_resources={"code_interpreter": {"file_ids": [image.id]}}
    )
    assert assistant.tool_resources.code_interpreter.file_ids == [image.id]


# --- the per-store write limit -------------------------------------------------------------------


def test_writes_over_the_per_store_limit_are_429_with_retry_after(emulator_factory):
    limited = emulator_factory(store_write_limit=3, store_write_window_seconds=30)
    client = limited.client(max_retries=0)
    store, other = client.vector_stores.create(name="busy"), client.vector_stores.create(name="quiet")
    for index in range(3):
        client.vector_stores.update(store.id, metadata={"n": str(index)})
    with pytest.raises(openai.RateLimitError) as caught:
        client.vector_stores.update(store.id, name="one too many")
    assert error_body(caught.value)["code"] == "rate_limit_exceeded"
    assert error_body(caught.value)["type"] == "requests"
    assert store.id in error_body(caught.value)["message"]
    headers = caught.value.response.headers
    assert 1 <= int(headers["retry-after"]) <= 30
    assert 0 < int(headers["retry-after-ms"]) <= 30_000
    # a file attach, a batch and a delete are writes too; reads and other stores are not limited
    with pytest.raises(openai.RateLimitError):
        client.vector_stores.delete(store.id)
    assert client.vector_stores.retrieve(store.id).name == "busy"
    assert list(client.vector_stores.files.list(store.id)) == []
    client.vector_stores.update(other.id, name="still writable")
    assert limited.stats()["limited"] == {"vector_store_writes": 2}


def test_a_client_that_waits_as_told_gets_through(emulator_factory):
    limited = emulator_factory(store_write_limit=2, store_write_window_seconds=1)
    client = limited.client(max_retries=5)  # the SDK waits out retry-after-ms itself
    store = client.vector_stores.create(name="paced")
    uploaded = client.files.create(file=("a.md", b"# a"), purpose="assistants")
    client.vector_stores.files.create(vector_store_id=store.id, file_id=uploaded.id)
    for index in range(4):
        client.vector_stores.files.update(uploaded.id, vector_store_id=store.id, attributes={"n": index})
    assert client.vector_stores.files.retrieve(uploaded.id, vector_store_id=store.id).attributes == {"n": 3}
    assert limited.stats()["limited"]["vector_store_writes"] >= 2


def test_the_limit_is_set_by_environment_and_0_turns_it_off(emulator_factory):
    with running_emulator(env={"PROVISIONER_EMULATOR_STORE_WRITE_LIMIT": "1"}) as by_env:
        client = by_env.client(max_retries=0)
        store = client.vector_stores.create()
        client.vector_stores.update(store.id, name="first")
        with pytest.raises(openai.RateLimitError):
            client.vector_stores.update(store.id, name="second")
    unlimited = emulator_factory(store_write_limit=0)
    client = unlimited.client(max_retries=0)
    store = client.vector_stores.create()
    for index in range(350):  # past the default 300 a minute
        client.vector_stores.update(store.id, name=f"n{index}")
    assert unlimited.stats()["limited"] == {}


def test_the_default_limit_is_openais_300_writes_a_minute():
    with running_emulator() as default:  # started with no limit switch
        client = default.client(max_retries=0)
        store = client.vector_stores.create()
        for index in range(300):
            client.vector_stores.update(store.id, name=f"n{index}")
        with pytest.raises(openai.RateLimitError):
            client.vector_stores.update(store.id, name="301st")


# --- no coercion of wrong types or empty values -----------------------------------------------------


@pytest.mark.parametrize("file_ids, got", [("", "a string"), ({}, "an object")])
def test_file_ids_of_the_wrong_type_are_400_not_an_empty_list(client, file_ids, got):
    before = {s.id for s in client.vector_stores.list(limit=100)}
    error = _bad_request(lambda: client.vector_stores.create(name="coerced", file_ids=file_ids))
    assert (error["param"], error["code"]) == ("file_ids", "invalid_type")
    assert error["message"] == f"Invalid type for 'file_ids': expected an array, but got {got} instead."
    assert {s.id for s in client.vector_stores.list(limit=100)} == before


@pytest.mark.parametrize(
    "overrides, param",
    [
        ({"tools": [{"type": "file_search", "file_search": {"ranking_options": {"ranker": "", "score_threshold": 0}}}]},
         "tools[0].file_search.ranking_options.ranker"),
        ({"tools": [{"type": "file_search", "file_search": {"ranking_options": {"ranker": "best", "score_threshold": 0}}}]},
         "tools[0].file_search.ranking_options.ranker"),
        ({"tools": [{"type": "file_search", "file_search": ""}]}, "tools[0].file_search"),
        ({"tool_resources": {"code_interpreter": {"file_ids": ""}}}, "tool_resources.code_interpreter.file_ids"),
        ({"tool_resources": {"file_search": {"vector_store_ids": {}}}}, "tool_resources.file_search.vector_store_ids"),
        ({"tool_resources": {"file_search": {"vector_stores": ""}}}, "tool_resources.file_search.vector_stores"),
        ({"tool_resources": {"file_search": {"vector_stores": [{"file_ids": ""}]}}},
         "tool_resources.file_search.vector_stores[0].file_ids"),
        ({"tool_resources": {"file_search": {}}}, "tool_resources.file_search"),
        ({"tool_resources": {"file_search": {"vector_store_ids": [], "vector_stores": []}}}, "tool_resources.file_search"),
    ],
)
def test_assistant_values_are_checked_not_rewritten(client, overrides, param):
    before = {a.id for a in client.beta.assistants.list(limit=100)}
    error = _bad_request(lambda: client.beta.assistants.create(model="gpt-4o", **overrides))
    assert error["param"] == param
    assert error["type"] == "invalid_request_error"
    assert {a.id for a in client.beta.assistants.list(limit=100)} == before


def test_a_ranker_left_out_means_auto(client):
    assistant = client.beta.assistants.create(
        model="gpt-4o", tools=[{"type": "file_search", "file_search": {"ranking_options": {"score_threshold": 0.5}}}]
    )
    assert assistant.tools[0].file_search.ranking_options.ranker == "auto"


# --- an expired store stays expired ----------------------------------------------------------------


def test_modifying_an_expired_store_is_refused_and_does_not_revive_it():
    with running_emulator() as emulator:
        client = emulator.client(max_retries=0)
        store = client.vector_stores.create(expires_after={"anchor": "last_active_at", "days": 1})
        emulator.advance_clock(86400 + 1)
        for change in ({"name": "revived?"}, {"expires_after": {"anchor": "last_active_at", "days": 365}}):
            error = _bad_request(lambda: client.vector_stores.update(store.id, **change))
            assert error["message"] == f"Vector store '{store.id}' has expired."
            assert error["param"] == "vector_store_id"
        assert client.vector_stores.retrieve(store.id).status == "expired"
        assert client.vector_stores.retrieve(store.id).name == ""
        assert client.vector_stores.delete(store.id).deleted


# --- every HTTP method answers JSON ----------------------------------------------------------------


def _request(emulator, method: str, path: str = "/v1/models", headers: dict | None = None):
    parts = urlsplit(emulator.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, path, headers={"Authorization": f"Bearer {emulator.api_key}", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.getheader("content-type"), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "PROPFIND", "CONNECT"])
def test_any_method_without_a_route_is_an_openai_404(emulator, method):
    status, content_type, body = _request(emulator, method)
    assert (status, content_type) == (404, "application/json")
    assert json.loads(body) == {
        "error": {
            "message": f"Invalid URL ({method} /v1/models)",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


def test_head_answers_the_headers_of_a_json_error_without_a_body(emulator):
    status, content_type, body = _request(emulator, "HEAD")
    assert (status, content_type, body) == (404, "application/json", b"")
    # the connection stays usable: the empty HEAD answer did not desynchronise it
    assert _request(emulator, "GET")[0] == 200


def test_a_request_the_server_cannot_parse_is_answered_in_json(emulator):
    parts = urlsplit(emulator.base_url)
    too_many_headers = b"".join(b"x-h%d: 1\r\n" % index for index in range(150))
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        raw.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n" + too_many_headers + b"\r\n")
        answer = raw.makefile("rb").read()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 ") and b"application/json" in head
    error = json.loads(body)["error"]
    assert set(error) == {"message", "type", "param", "code"}
