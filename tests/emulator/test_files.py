"""Files: multipart upload, list, retrieve, content, delete — through the official SDK."""

from __future__ import annotations

import time

import openai
import pytest

from .conftest import error_body


def test_upload_returns_a_file_object(client, upload):
    before = int(time.time())
    created = upload(b"hello world", filename="hello.md")
    assert created.id.startswith("file-")
    assert created.object == "file"
    assert created.bytes == 11
    assert created.filename == "hello.md"
    assert created.purpose == "assistants"
    assert created.status == "processed"
    assert before - 1 <= created.created_at <= int(time.time()) + 1
    assert client.files.retrieve(created.id) == created


def test_content_is_returned_for_user_data_but_refused_for_assistants(client, upload):
    data = bytes(range(256)) * 4 + b"\r\n--boundary-looking--\r\n"
    readable = upload(data, filename="blob.json", purpose="user_data")
    assert client.files.content(readable.id).read() == data

    hidden = upload(b"secret", purpose="assistants")
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.content(hidden.id)
    assert error_body(caught.value)["message"] == "Not allowed to download files of purpose: assistants."


def test_purpose_is_required_and_checked(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("a.txt", b"x"), purpose="nonsense")
    error = error_body(caught.value)
    assert error["param"] == "purpose"
    assert error["code"] == "invalid_value"


def test_list_filters_by_purpose(client, upload):
    mine = upload(purpose="vision", filename="pic.txt")
    other = upload(purpose="user_data")
    vision_ids = [f.id for f in client.files.list(purpose="vision")]
    assert mine.id in vision_ids
    assert other.id not in vision_ids


def test_batch_files_expire_after_thirty_days_by_default(client):
    created = client.files.create(file=("a.jsonl", b"{}\n"), purpose="batch")
    assert created.expires_at == created.created_at + 30 * 86400


def test_expires_after_sets_expires_at(client):
    created = client.files.create(
        file=("a.txt", b"x"), purpose="user_data", expires_after={"anchor": "created_at", "seconds": 7200}
    )
    assert created.expires_at == created.created_at + 7200


def test_delete_then_lookups_404(client, upload):
    created = upload()
    deleted = client.files.delete(created.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (created.id, "file", True)
    with pytest.raises(openai.NotFoundError) as caught:
        client.files.retrieve(created.id)
    assert error_body(caught.value)["message"] == f"No such File object: {created.id}"
    with pytest.raises(openai.NotFoundError):
        client.files.delete(created.id)
    assert created.id not in [f.id for f in client.files.list()]
