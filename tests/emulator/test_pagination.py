"""List envelopes and cursors: limit, order, after, before, and SDK auto-pagination."""

from __future__ import annotations

import openai
import pytest

from provisioner.emulator.testing import running_emulator

from .conftest import error_body


@pytest.fixture(scope="module")
def crowded():
    """A private emulator holding 130 assistants and 130 files, so counts are exact."""
    with running_emulator() as emulator:
        client = emulator.client()
        assistants = [client.beta.assistants.create(model="gpt-4o", name=f"a{i}").id for i in range(130)]
        files = [client.files.create(file=(f"f{i}.txt", b"x"), purpose="assistants").id for i in range(130)]
        yield emulator, assistants, files


def test_auto_pagination_over_more_than_100(crowded):
    emulator, assistants, _ = crowded
    client = emulator.client()
    emulator.reset_stats()
    seen = [a.id for a in client.beta.assistants.list(limit=100)]
    assert seen == list(reversed(assistants))  # default order is newest first
    assert emulator.stats()["requests"] == {"GET /v1/assistants": 2}


def test_envelope_and_cursors(crowded):
    emulator, assistants, _ = crowded
    client = emulator.client()
    page = client.beta.assistants.list(limit=3, order="asc")
    raw = page.model_dump()
    assert raw["object"] == "list"
    assert [a.id for a in page.data] == assistants[:3]
    assert (raw["first_id"], raw["last_id"], raw["has_more"]) == (assistants[0], assistants[2], True)
    after = client.beta.assistants.list(limit=3, order="asc", after=assistants[2])
    assert [a.id for a in after.data] == assistants[3:6]
    before = client.beta.assistants.list(limit=2, order="asc", before=assistants[5])
    assert [a.id for a in before.data] == assistants[3:5]
    last = client.beta.assistants.list(limit=5, order="asc", after=assistants[-3])
    assert [a.id for a in last.data] == assistants[-2:]
    assert last.has_more is False


def test_files_page_up_to_10000_without_before(crowded):
    emulator, _, files = crowded
    client = emulator.client()
    assert [f.id for f in client.files.list()] == list(reversed(files))  # one page of all
    page = client.files.list(limit=10, order="asc", after=files[9])
    assert [f.id for f in page.data] == files[10:20] and page.has_more is True
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.list(limit=10001)
    assert error_body(caught.value)["code"] == "integer_above_max_value"


@pytest.mark.parametrize("limit, code", [(0, "integer_below_min_value"), (101, "integer_above_max_value")])
def test_limit_range(client, limit, code):
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.list(limit=limit)
    error = error_body(caught.value)
    assert (error["param"], error["code"]) == ("limit", code)


def test_bad_order(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.list(extra_query={"order": "sideways"})
    assert error_body(caught.value)["param"] == "order"


def test_vector_store_files_paginate(client, upload):
    files = [upload() for _ in range(5)]
    store = client.vector_stores.create(file_ids=[f.id for f in files])
    ids = [f.id for f in client.vector_stores.files.list(store.id, limit=2, order="asc")]
    assert ids == [f.id for f in files]
