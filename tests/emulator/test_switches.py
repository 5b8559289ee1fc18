"""Switches for tests and benchmarks: faults, latency, the sunset switch, the request
counter, persistence across restarts, and the in-process starter."""

from __future__ import annotations

import time

import openai
import pytest

from provisioner.emulator import EmulatorConfig, start_in_thread
from provisioner.emulator.testing import running_emulator

from .conftest import error_body


def _statuses(emulator, count: int) -> list[int]:
    client = emulator.client(max_retries=0)
    statuses = []
    for _ in range(count):
        try:
            client.models.list()
            statuses.append(200)
        except openai.APIStatusError as exc:
            statuses.append(exc.status_code)
    return statuses


def test_sdk_retries_get_through_429s():
    with running_emulator(fault_rate=0.4, fault_seed=3, fault_kinds="429", retry_after_ms=10) as emulator:
        client = emulator.client(max_retries=10)
        created = [client.vector_stores.create(name=f"s{i}").id for i in range(15)]
        assert len(set(created)) == 15
        stats = emulator.stats()
        assert stats["faults"]["429"] > 0
        # Every retry is a real API call, so the counter sees them all.
        assert stats["requests"]["POST /v1/vector_stores"] == 15 + stats["faults"]["429"]
        # Faults strike before handling, so no retried create left a duplicate behind.
        assert len(list(client.vector_stores.list(limit=100))) == 15


def test_429_carries_retry_after_and_rate_limit_headers():
    with running_emulator(fault_rate=1.0, fault_kinds="429", retry_after_ms=1500) as emulator:
        client = emulator.client(max_retries=0)
        with pytest.raises(openai.RateLimitError) as caught:
            client.models.list()
        headers = caught.value.response.headers
        assert headers["retry-after"] == "2"
        assert headers["retry-after-ms"] == "1500"
        assert headers["x-ratelimit-remaining-requests"] == "0"
        assert error_body(caught.value)["code"] == "rate_limit_exceeded"


def test_500s_and_dropped_connections_are_retried():
    with running_emulator(fault_rate=0.3, fault_seed=11, fault_kinds="500,drop") as emulator:
        client = emulator.client(max_retries=8)
        for i in range(12):
            client.files.create(file=(f"f{i}.txt", b"x"), purpose="assistants")
        stats = emulator.stats()
        assert stats["faults"].get("500", 0) > 0 and stats["faults"].get("drop", 0) > 0
        assert len(list(client.files.list())) == 12

    with running_emulator(fault_rate=1.0, fault_kinds="drop") as emulator:
        with pytest.raises(openai.APIConnectionError):
            emulator.client(max_retries=0).models.list()


def test_same_seed_same_faults():
    with running_emulator(fault_rate=0.5, fault_seed=42, fault_kinds="429,500") as first:
        a = _statuses(first, 20)
    with running_emulator(fault_rate=0.5, fault_seed=42, fault_kinds="429,500") as second:
        b = _statuses(second, 20)
    assert a == b
    assert {200, 429, 500} <= set(a)


def test_latency_is_added_to_every_request():
    with running_emulator(latency_ms=150) as emulator:
        client = emulator.client()
        started = time.monotonic()
        client.models.list()
        client.models.list()
        assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("how", ["flag", "env"])
def test_assistants_api_off_answers_like_post_sunset_openai(how):
    kwargs = {"assistants_api": False} if how == "flag" else {"env": {"PROVISIONER_EMULATOR_ASSISTANTS_API": "off"}}
    with running_emulator(**kwargs) as emulator:
        client = emulator.client(max_retries=0)
        with pytest.raises(openai.NotFoundError) as caught:
            client.beta.assistants.create(model="gpt-4o")
        assert caught.value.response.json() == {
            "error": {
                "message": "Invalid URL (POST /v1/assistants)",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        }
        with pytest.raises(openai.NotFoundError) as caught:
            client.beta.assistants.retrieve("asst_abc")
        assert error_body(caught.value)["message"] == "Invalid URL (GET /v1/assistants/asst_abc)"
        assert client.vector_stores.create(name="still here").object == "vector_store"


def test_request_counter_uses_route_templates(emulator, client):
    emulator.reset_stats()
    store = client.vector_stores.create()
    client.vector_stores.retrieve(store.id)
    client.vector_stores.retrieve(store.id)
    client.vector_stores.delete(store.id)
    stats = emulator.stats()
    assert stats["requests"] == {
        "POST /v1/vector_stores": 1,
        "GET /v1/vector_stores/{id}": 2,
        "DELETE /v1/vector_stores/{id}": 1,
    }
    assert stats["total"] == 4
    assert emulator.reset_stats()["total"] == 0


def test_everything_survives_a_restart(tmp_path):
    db = tmp_path / "emulator.sqlite3"
    with running_emulator(db_path=db, index_base_ms=2500, index_ms_per_kb=0) as emulator:
        client = emulator.client()
        uploaded = client.files.create(file=("kept.txt", b"kept"), purpose="user_data")
        store = client.vector_stores.create(name="kept", file_ids=[uploaded.id], metadata={"k": "v"})
        assistant = client.beta.assistants.create(
            model="gpt-4o", name="kept", tool_resources={"file_search": {"vector_store_ids": [store.id]}}
        )
        assert client.vector_stores.files.retrieve(uploaded.id, vector_store_id=store.id).status == "in_progress"

        emulator.restart()

        # Indexing started before the restart keeps going after it.
        assert client.vector_stores.files.retrieve(uploaded.id, vector_store_id=store.id).status == "in_progress"
        assert client.vector_stores.files.poll(uploaded.id, vector_store_id=store.id).status == "completed"
        assert client.files.retrieve(uploaded.id) == uploaded
        assert client.files.content(uploaded.id).read() == b"kept"
        assert client.vector_stores.retrieve(store.id).metadata == {"k": "v"}
        assert client.beta.assistants.retrieve(assistant.id) == assistant
    assert db.exists()


def test_in_process_starter(tmp_path):
    config = EmulatorConfig(port=0, db_path=str(tmp_path / "inproc.sqlite3"), index_base_ms=0, index_ms_per_kb=0)
    handle = start_in_thread(config)
    try:
        assert handle.base_url.startswith("http://127.0.0.1:") and handle.base_url.endswith("/v1")
        client = openai.OpenAI(base_url=handle.base_url, api_key=handle.api_key)
        uploaded = client.files.create(file=("a.txt", b"a"), purpose="assistants")
        store = client.vector_stores.create(file_ids=[uploaded.id])
        assert client.vector_stores.retrieve(store.id).status == "completed"
        assert handle.stats()["total"] == 3
    finally:
        handle.stop()
    again = start_in_thread(config)
    try:
        client = openai.OpenAI(base_url=again.base_url, api_key="anything")
        assert [f.id for f in client.files.list()] == [uploaded.id]
    finally:
        again.stop()


def test_drop_after_commits_the_work_but_loses_the_answer():
    with running_emulator(fault_rate=1.0, fault_kinds="drop_after") as emulator:
        client = emulator.client(max_retries=0)
        with pytest.raises(openai.APIConnectionError):
            client.vector_stores.create(name="orphan")
        emulator.set_faults(rate=0)
        names = [store.name for store in client.vector_stores.list()]
        assert names == ["orphan"]


def test_faults_can_be_switched_at_run_time(emulator, client):
    try:
        assert emulator.set_faults(rate=1.0, kinds=["500"], seed=1) == {"rate": 1.0, "kinds": ["500"], "seed": 1}
        with pytest.raises(openai.InternalServerError) as caught:
            emulator.client(max_retries=0).models.list()
        assert error_body(caught.value)["type"] == "server_error"
    finally:
        emulator.set_faults(rate=0.0)
    assert client.models.list().data


def test_request_log_never_contains_the_key(emulator_factory):
    emulator = emulator_factory(log_requests=True)
    client = openai.OpenAI(base_url=emulator.base_url, api_key="sk-do-not-log-me-123")
    client.vector_stores.create(name="logged")
    emulator.stop()
    log = emulator.stderr_text()
    assert "POST /v1/vector_stores" in log
    assert "sk-do-not-log-me-123" not in log


def test_reset_empties_the_server(emulator_factory):
    emulator = emulator_factory()
    client = emulator.client()
    client.files.create(file=("a.txt", b"a"), purpose="assistants")
    client.vector_stores.create()
    emulator.reset()
    assert list(client.files.list()) == [] and list(client.vector_stores.list()) == []
    assert emulator.stats()["total"] == 2  # the two list calls above
