"""The real API's per-vector-store write limit: an apply that writes to one store more often than
the server allows slows down and converges, instead of failing."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai

from provisioner.api.limiter import StoreWriteLimiter
from provisioner.api.openai_api import OpenAIApi

from .test_edge_cases import actions, apply_ok, edit, ids, no_changes, plan_json, write_stack

DOCUMENTS = 100


def _spend_the_store_budget(client: openai.OpenAI, store_id: str, file_ids: list[str]) -> None:
    """Another client writes to the store until the server refuses, so the window is full when the
    apply starts however fast this machine is (rewriting attributes to the values they have)."""
    def write_until_refused(file_id: str) -> bool:
        for _ in range(DOCUMENTS):
            try:
                client.vector_stores.files.update(file_id, vector_store_id=store_id, attributes={"edition": "first"})
            except openai.RateLimitError:
                return True
        return False

    with ThreadPoolExecutor(8) as pool:
        assert any(pool.map(write_until_refused, file_ids[:8]))


def test_an_apply_over_the_per_store_write_limit_backs_off_and_converges(cli, workspace: Path, emulator_factory,
                                                                           monkeypatch):
    # 30 writes per 3 s: 100 attribute updates need three windows more than the limit allows at once
    limited = emulator_factory(store_write_limit=30, store_write_window_seconds=3)
    monkeypatch.setenv("PROVISIONER_EMULATOR_URL", limited.base_url)
    docs = {f"docs/doc{n:03}.md": f"Document number {n}.\n" for n in range(DOCUMENTS)}
    stack = write_stack(workspace, "paced", """\
        stack: paced
        file_sets:
          docs: {include: ["docs/*.md"]}
        vector_stores:
          kb:
            file_sets: [{file_set: docs, attributes: {edition: first}}]
        """, docs)
    apply_ok(cli, stack, "--parallelism", "8")
    store_id = ids(workspace, "paced")["vector_stores.kb"]
    client = limited.client(max_retries=0)
    edit(workspace, stack, "edition: first", "edition: second")
    assert actions(plan_json(cli, stack)) == {"vector_stores.kb": "update"}

    _spend_the_store_budget(client, store_id, [member.id for member in client.vector_stores.files.list(store_id)])
    limited.reset_stats()
    result = apply_ok(cli, stack, "--parallelism", "8")
    assert "0 added, 1 changed, 0 destroyed" in result.out

    stats = limited.stats()
    assert stats["limited"].get("vector_store_writes", 0) > 0, "no write was refused: the backoff went untested"
    assert stats["requests"]["POST /v1/vector_stores/{id}/files/{id}"] == DOCUMENTS + stats["limited"]["vector_store_writes"]
    members = list(client.vector_stores.files.list(store_id, limit=100))
    assert len(members) == DOCUMENTS
    assert all(member.attributes == {"edition": "second"} for member in members)
    no_changes(cli, stack)


def _store_with_a_file(api: OpenAIApi) -> tuple[str, str]:
    store = api.create_vector_store({"name": "paced"})
    uploaded = api.upload_file(Path(__file__), "a.py", "assistants")
    api.create_file_batch(store["id"], [{"file_id": uploaded["id"]}])  # a write: the limiter counts it
    return store["id"], uploaded["id"]


def test_the_client_paces_its_writes_to_the_store_limit_by_itself(emulator_factory):
    limited = emulator_factory(store_write_limit=10, store_write_window_seconds=1)
    client = limited.client(max_retries=0)  # no retry at all: a single 429 would fail a write
    api = OpenAIApi(client, "test", StoreWriteLimiter(limit=10, window_seconds=1))
    store_id, file_id = _store_with_a_file(api)
    with ThreadPoolExecutor(4) as pool:  # several threads of one apply share the store's budget
        list(pool.map(lambda n: api.update_vector_store_file(store_id, file_id, {"n": n}), range(25)))
    assert limited.stats()["limited"] == {}
    assert limited.stats()["requests"]["POST /v1/vector_stores/{id}/files/{id}"] == 25
    assert client.vector_stores.files.retrieve(file_id, vector_store_id=store_id).attributes["n"] in range(25)


def test_a_429_holds_the_store_off_and_the_write_is_sent_again(emulator_factory):
    limited = emulator_factory(store_write_limit=5, store_write_window_seconds=1)
    client = limited.client(max_retries=0)  # the SDK gives up at once: only the Api's own rounds retry
    api = OpenAIApi(client, "test")  # believes in OpenAI's 300 a minute, so it meets the lower limit
    store_id, file_id = _store_with_a_file(api)
    for n in range(12):
        api.update_vector_store_file(store_id, file_id, {"n": n})
    assert limited.stats()["limited"]["vector_store_writes"] > 0
    assert client.vector_stores.files.retrieve(file_id, vector_store_id=store_id).attributes == {"n": 11}
