"""Vector stores: create, list, retrieve, modify, delete, and their derived fields."""

from __future__ import annotations

import openai
import pytest

from .conftest import error_body


def test_create_with_every_field(client, upload):
    first, second = upload(b"a" * 2048), upload(b"b" * 1024)
    store = client.vector_stores.create(
        name="docs",
        description="product docs",
        file_ids=[first.id, second.id],
        metadata={"team": "search"},
        expires_after={"anchor": "last_active_at", "days": 7},
        chunking_strategy={"type": "static", "static": {"max_chunk_size_tokens": 400, "chunk_overlap_tokens": 200}},
    )
    assert store.id.startswith("vs_")
    assert store.object == "vector_store"
    assert store.name == "docs"
    assert store.metadata == {"team": "search"}
    assert store.expires_after.days == 7
    assert store.expires_at == store.last_active_at + 7 * 86400
    assert store.status == "in_progress"
    assert store.file_counts.in_progress == 2 and store.file_counts.total == 2
    assert store.usage_bytes == 0
    attached = client.vector_stores.files.retrieve(first.id, vector_store_id=store.id)
    assert attached.chunking_strategy.static.max_chunk_size_tokens == 400


def test_counts_status_and_usage_follow_indexing(client, upload):
    first, second = upload(b"a" * 2048), upload(b"b" * 1024)
    store = client.vector_stores.create(name="x", file_ids=[first.id, second.id])
    client.vector_stores.files.poll(first.id, vector_store_id=store.id)
    client.vector_stores.files.poll(second.id, vector_store_id=store.id)
    done = client.vector_stores.retrieve(store.id)
    assert done.status == "completed"
    assert done.file_counts.completed == 2 and done.file_counts.in_progress == 0
    assert done.usage_bytes == 3072


def test_modify_accepts_only_name_expires_after_metadata(client):
    store = client.vector_stores.create(name="before", metadata={"a": "1"})
    changed = client.vector_stores.update(store.id, name="after", metadata={"b": "2"}, expires_after=None)
    assert (changed.name, changed.metadata) == ("after", {"b": "2"})
    assert client.vector_stores.retrieve(store.id).name == "after"
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.update(store.id, extra_body={"description": "nope"})
    error = error_body(caught.value)
    assert (error["param"], error["code"]) == ("description", "unknown_parameter")


def test_delete_store_keeps_its_files(client, upload):
    kept = upload()
    store = client.vector_stores.create(file_ids=[kept.id])
    deleted = client.vector_stores.delete(store.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (store.id, "vector_store.deleted", True)
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(store.id)
    assert client.files.retrieve(kept.id).id == kept.id


def test_unknown_file_ids_are_rejected_and_nothing_is_created(client):
    before = {s.id for s in client.vector_stores.list(limit=100)}
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.create(name="bad", file_ids=["file-doesnotexist"])
    assert error_body(caught.value)["param"] == "file_ids[0]"
    assert {s.id for s in client.vector_stores.list(limit=100)} == before


@pytest.mark.parametrize(
    "kwargs, param, code",
    [
        ({"expires_after": {"anchor": "last_active_at", "days": 366}}, "expires_after.days", "integer_above_max_value"),
        ({"expires_after": {"anchor": "created_at", "days": 1}}, "expires_after.anchor", "invalid_value"),
        (
            {"chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 99, "chunk_overlap_tokens": 0}}},
            "chunking_strategy.static.max_chunk_size_tokens",
            "integer_below_min_value",
        ),
        (
            {"chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 4097, "chunk_overlap_tokens": 0}}},
            "chunking_strategy.static.max_chunk_size_tokens",
            "integer_above_max_value",
        ),
        (
            {"chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 401}}},
            "chunking_strategy.static.chunk_overlap_tokens",
            "integer_above_max_value",
        ),
        ({"file_ids": [f"file-{i}" for i in range(501)]}, "file_ids", "array_above_max_length"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "object_above_max_properties"),
        ({"metadata": {"k": "v" * 513}}, "metadata.k", "string_above_max_length"),
        ({"metadata": {"k": 1}}, "metadata.k", "invalid_type"),
    ],
)
def test_documented_limits(client, kwargs, param, code):
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.create(**kwargs)
    error = error_body(caught.value)
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_overlap_of_exactly_half_is_allowed(client):
    store = client.vector_stores.create(
        chunking_strategy={"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
    )
    assert store.id.startswith("vs_")


def test_unknown_store_is_404(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.vector_stores.retrieve("vs_missing")
    assert "vs_missing" in error_body(caught.value)["message"]


def test_expired_store_reports_expired_and_refuses_files(upload):
    from provisioner.emulator.testing import running_emulator

    with running_emulator() as emulator:
        client = emulator.client()
        store = client.vector_stores.create(expires_after={"anchor": "last_active_at", "days": 1})
        emulator.advance_clock(86400 + 1)
        assert client.vector_stores.retrieve(store.id).status == "expired"
        uploaded = client.files.create(file=("a.txt", b"a"), purpose="assistants")
        with pytest.raises(openai.BadRequestError) as caught:
            client.vector_stores.files.create(vector_store_id=store.id, file_id=uploaded.id)
        assert error_body(caught.value)["message"] == f"Vector store '{store.id}' has expired."


@pytest.mark.parametrize(
    "call, param",
    [
        (lambda c, vs: c.vector_stores.retrieve("asst_wrongkind"), "vector_store_id"),
        (lambda c, vs: c.beta.assistants.retrieve("vs_wrongkind"), "assistant_id"),
        (lambda c, vs: c.vector_stores.file_batches.retrieve("batch_x", vector_store_id=vs), "batch_id"),
    ],
)
def test_ids_of_the_wrong_kind_are_400(client, call, param):
    store = client.vector_stores.create()
    with pytest.raises(openai.BadRequestError) as caught:
        call(client, store.id)
    error = error_body(caught.value)
    assert (error["param"], error["code"]) == (param, "invalid_value")
    assert "Expected an ID that begins with" in error["message"]
