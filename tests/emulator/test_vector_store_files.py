"""Vector store files and file batches, including asynchronous indexing and failures."""

from __future__ import annotations

import io

import openai
import pytest

from .conftest import error_body


@pytest.fixture
def store(client):
    return client.vector_stores.create(name="files-under-test")


def test_attach_is_in_progress_then_completed(client, store, upload):
    created = upload(b"x" * 4096)
    attached = client.vector_stores.files.create(
        vector_store_id=store.id, file_id=created.id, attributes={"lang": "en", "year": 2024, "public": True}
    )
    assert (attached.id, attached.object, attached.vector_store_id) == (created.id, "vector_store.file", store.id)
    assert attached.status == "in_progress"
    assert attached.attributes == {"lang": "en", "year": 2024, "public": True}
    assert attached.chunking_strategy.type == "static"  # `auto` is reported as the static 800/400 it means
    assert attached.chunking_strategy.static.max_chunk_size_tokens == 800
    done = client.vector_stores.files.poll(created.id, vector_store_id=store.id)
    assert done.status == "completed" and done.last_error is None
    assert done.usage_bytes == 4096


def test_poll_helpers_are_told_how_often_to_poll(client, store, upload):
    created = upload()
    response = client.vector_stores.files.with_raw_response.create(vector_store_id=store.id, file_id=created.id)
    assert response.headers["openai-poll-after-ms"] == "20"


def test_indexing_time_grows_with_size(client, store, upload):
    small, large = upload(b"s" * 100), upload(b"l" * 1200 * 1024)  # 0.5 ms/KiB -> +600 ms
    client.vector_stores.files.create(vector_store_id=store.id, file_id=small.id)
    client.vector_stores.files.create(vector_store_id=store.id, file_id=large.id)
    client.vector_stores.files.poll(small.id, vector_store_id=store.id)
    assert client.vector_stores.files.retrieve(large.id, vector_store_id=store.id).status == "in_progress"
    assert client.vector_stores.files.poll(large.id, vector_store_id=store.id).status == "completed"


@pytest.mark.parametrize(
    "content, filename, code",
    [
        (b"", "empty.md", "invalid_file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "diagram.md", "unsupported_file"),  # an image renamed .md
    ],
)
def test_a_supported_type_whose_content_cannot_be_read_fails_indexing(client, store, upload, content, filename, code):
    bad = upload(content, filename=filename)  # the extension is supported, so the attach is accepted
    done = client.vector_stores.files.create_and_poll(file_id=bad.id, vector_store_id=store.id)
    assert done.status == "failed"
    assert done.last_error.code == code
    assert done.usage_bytes == 0
    counts = client.vector_stores.retrieve(store.id).file_counts
    assert (counts.failed, counts.total) == (1, 1)


def test_utf8_text_and_documents_index(client, store, upload):
    files = [upload("Grüße, 東京 ✓\n".encode(), filename="greeting.txt"), upload(b"%PDF-1.7\n\x00\xff", filename="a.pdf")]
    batch = client.vector_stores.file_batches.create_and_poll(vector_store_id=store.id, file_ids=[f.id for f in files])
    assert (batch.file_counts.completed, batch.file_counts.total) == (2, 2)


def test_upload_and_poll(client, store):
    done = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=("guide.md", io.BytesIO(b"# Guide\n"))
    )
    assert done.status == "completed"
    assert client.files.retrieve(done.id).filename == "guide.md"


def test_list_with_status_filter(client, store, upload):
    good, bad = upload(), upload(b"", filename="empty.txt")
    client.vector_stores.files.create_and_poll(file_id=good.id, vector_store_id=store.id)
    client.vector_stores.files.create_and_poll(file_id=bad.id, vector_store_id=store.id)
    assert [f.id for f in client.vector_stores.files.list(store.id, filter="completed")] == [good.id]
    assert [f.id for f in client.vector_stores.files.list(store.id, filter="failed")] == [bad.id]
    assert {f.id for f in client.vector_stores.files.list(store.id)} == {good.id, bad.id}


def test_update_attributes(client, store, upload):
    created = upload()
    client.vector_stores.files.create(vector_store_id=store.id, file_id=created.id, attributes={"a": "1"})
    updated = client.vector_stores.files.update(created.id, vector_store_id=store.id, attributes={"b": 2.5})
    assert updated.attributes == {"b": 2.5}
    assert client.vector_stores.files.retrieve(created.id, vector_store_id=store.id).attributes == {"b": 2.5}


@pytest.mark.parametrize(
    "attributes, code",
    [
        ({f"k{i}": "v" for i in range(17)}, "object_above_max_properties"),
        ({"k" * 65: "v"}, "string_above_max_length"),
        ({"k": "v" * 513}, "string_above_max_length"),
        ({"k": ["not", "scalar"]}, "invalid_type"),
    ],
)
def test_attribute_limits(client, store, upload, attributes, code):
    created = upload()
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.files.create(vector_store_id=store.id, file_id=created.id, attributes=attributes)
    assert error_body(caught.value)["code"] == code


def test_detach_keeps_the_file(client, store, upload):
    created = upload()
    client.vector_stores.files.create(vector_store_id=store.id, file_id=created.id)
    deleted = client.vector_stores.files.delete(created.id, vector_store_id=store.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (created.id, "vector_store.file.deleted", True)
    assert client.files.retrieve(created.id).id == created.id
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.retrieve(created.id, vector_store_id=store.id)
    assert client.vector_stores.retrieve(store.id).file_counts.total == 0


def test_deleting_a_file_removes_it_from_every_store(client, upload):
    created = upload()
    stores = [client.vector_stores.create(file_ids=[created.id]) for _ in range(2)]
    client.files.delete(created.id)
    for store in stores:
        assert list(client.vector_stores.files.list(store.id)) == []
        assert client.vector_stores.retrieve(store.id).file_counts.total == 0


def test_references_to_missing_objects(client, store, upload):
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.files.create(vector_store_id=store.id, file_id="file-missing")
    assert error_body(caught.value)["param"] == "file_id"
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.create(vector_store_id="vs_missing", file_id=upload().id)
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.retrieve("file-missing", vector_store_id=store.id)


# --- batches -----------------------------------------------------------------------------


def test_batch_create_and_poll(client, store, upload):
    files = [upload() for _ in range(3)] + [upload(b"", filename="empty.md")]
    batch = client.vector_stores.file_batches.create(
        vector_store_id=store.id, file_ids=[f.id for f in files], attributes={"source": "batch"}
    )
    assert batch.id.startswith("vsfb_")
    assert (batch.object, batch.status, batch.vector_store_id) == ("vector_store.files_batch", "in_progress", store.id)
    assert batch.file_counts.in_progress == 4
    done = client.vector_stores.file_batches.poll(batch.id, vector_store_id=store.id)
    assert done.status == "completed"
    assert (done.file_counts.completed, done.file_counts.failed, done.file_counts.total) == (3, 1, 4)
    listed = list(client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id))
    assert {f.id for f in listed} == {f.id for f in files}
    assert all(f.attributes == {"source": "batch"} for f in listed)
    failed = list(client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id, filter="failed"))
    assert [f.id for f in failed] == [files[-1].id]


def test_batch_with_per_file_settings(client, store, upload):
    first, second = upload(), upload()
    batch = client.vector_stores.file_batches.create_and_poll(
        vector_store_id=store.id,
        files=[
            {"file_id": first.id, "attributes": {"n": 1}},
            {
                "file_id": second.id,
                "chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 0}},
            },
        ],
    )
    assert batch.file_counts.completed == 2
    assert client.vector_stores.files.retrieve(first.id, vector_store_id=store.id).attributes == {"n": 1}
    second_file = client.vector_stores.files.retrieve(second.id, vector_store_id=store.id)
    assert second_file.chunking_strategy.static.max_chunk_size_tokens == 200


def test_batch_upload_and_poll(client, store):
    batch = client.vector_stores.file_batches.upload_and_poll(
        store.id, files=[(f"doc{i}.txt", io.BytesIO(f"doc {i}".encode())) for i in range(4)]
    )
    assert (batch.status, batch.file_counts.completed) == ("completed", 4)
    assert client.vector_stores.retrieve(store.id).file_counts.completed == 4


def test_batch_cancel_stops_pending_files(client, upload):
    slow = client.vector_stores.create(name="slow")
    files = [upload(b"z" * 2 * 1024 * 1024) for _ in range(2)]  # ~1 s each at 0.5 ms/KiB
    batch = client.vector_stores.file_batches.create(vector_store_id=slow.id, file_ids=[f.id for f in files])
    cancelled = client.vector_stores.file_batches.cancel(batch.id, vector_store_id=slow.id)
    assert cancelled.status == "cancelled"
    assert (cancelled.file_counts.cancelled, cancelled.file_counts.in_progress) == (2, 0)
    statuses = {f.status for f in client.vector_stores.files.list(slow.id)}
    assert statuses == {"cancelled"}


def test_batch_rejects_bad_input(client, store, upload):
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=[])
    assert error_body(caught.value)["param"] == "file_ids"
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=[upload().id, "file-missing"])
    assert error_body(caught.value)["param"] == "file_ids[1]"
    assert client.vector_stores.retrieve(store.id).file_counts.total == 0
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.file_batches.retrieve("vsfb_missing", vector_store_id=store.id)
