"""What the `Api` protocol promises, checked on every implementation (the fake and the real client
over the emulator): complete lists, create/update/delete round trips in the wire shape, metadata
kept, file batches that index and list, attributes updated, NotFound for unknown ids (deleting
twice included: handlers rely on it to make deletes idempotent)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import pytest
from openai.types import FileObject, VectorStore
from openai.types.beta import Assistant
from openai.types.vector_stores import VectorStoreFile, VectorStoreFileBatch
from pydantic import BaseModel

from provisioner.api.base import Api, NotFound, Obj
from provisioner.resources.agent import COLLECTION as AGENTS
from provisioner.resources.assistant import COLLECTION as ASSISTANTS
from provisioner.errors import ApiError

# well formed, never made
UNKNOWN_FILE = "file-" + "0" * 22
UNKNOWN_STORE = "vs_" + "0" * 24
UNKNOWN_BATCH = "vsfb_" + "0" * 32
UNKNOWN_ASSISTANT = "asst_" + "0" * 24
UNKNOWN_AGENT = "agent_" + "0" * 32
MODEL = "gpt-4.1"


def assert_shape(obj: Obj, model: type[BaseModel], prefix: str) -> None:
    """Every field the SDK's type has (the handlers may read any), and an id of the API's kind."""
    assert {f.alias or name for name, f in model.model_fields.items()} <= set(obj)
    assert obj["id"].startswith(prefix)
    assert isinstance(obj["created_at"], int)


def upload(api: Api, tmp_path: Path, name: str, content: str) -> Obj:
    path = tmp_path / name
    path.write_text(content)
    return api.upload_file(path, name, "assistants")


def ids(objects: list[Obj]) -> list[str]:
    return [o["id"] for o in objects]


def wait_for_batch(api: Api, store_id: str, batch: Obj) -> Obj:
    for _ in range(200):
        if batch["status"] != "in_progress":
            return batch
        batch, pause = api.retrieve_file_batch(store_id, batch["id"])
        time.sleep(pause or 0.02)
    raise AssertionError(f"batch {batch['id']} still indexing")


def test_a_file_uploads_lists_by_purpose_and_deletes_once(impl: Api, tmp_path: Path):
    made = upload(impl, tmp_path, "notes.md", "hello")
    assert_shape(made, FileObject, "file-")
    assert (made["filename"], made["bytes"], made["purpose"]) == ("notes.md", 5, "assistants")
    listed = {f["id"]: f for f in impl.list_files()}
    assert listed[made["id"]]["filename"] == "notes.md"
    assert made["id"] in ids(impl.list_files(purpose="assistants"))
    assert made["id"] not in ids(impl.list_files(purpose="batch"))
    impl.delete_file(made["id"])
    assert made["id"] not in ids(impl.list_files())
    with pytest.raises(NotFound):
        impl.delete_file(made["id"])


def test_lists_are_complete_across_pages(impl: Api):
    # the real client reads stores and assistants 100 to a page
    stores = [impl.create_vector_store({"name": f"s{n}"})["id"] for n in range(101)]
    assistants = [impl.create_object(ASSISTANTS, {"model": MODEL, "name": f"a{n}"})["id"] for n in range(101)]
    listed_stores, listed_assistants = ids(impl.list_vector_stores()), ids(impl.list_objects(ASSISTANTS))
    assert set(stores) <= set(listed_stores) and len(listed_stores) == len(set(listed_stores))
    assert set(assistants) <= set(listed_assistants) and len(listed_assistants) == len(set(listed_assistants))
    for store_id in stores:
        impl.delete_vector_store(store_id)
    for assistant_id in assistants:
        impl.delete_object(ASSISTANTS, assistant_id)
    assert not set(stores) & set(ids(impl.list_vector_stores()))


def test_a_vector_store_round_trips_with_its_metadata(impl: Api):
    metadata = {f"key{n}": f"value {n}" for n in range(16)}  # the most the API keeps
    made = impl.create_vector_store({"name": "docs", "description": "not echoed", "metadata": metadata,
                                     "expires_after": {"anchor": "last_active_at", "days": 7}})
    assert_shape(made, VectorStore, "vs_")
    assert (made["name"], made["metadata"], made["status"]) == ("docs", metadata, "completed")
    assert made["expires_after"] == {"anchor": "last_active_at", "days": 7}
    assert made["expires_at"] == made["last_active_at"] + 7 * 86400
    assert made["file_counts"] == {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0}

    updated = impl.update_vector_store(made["id"], {"name": "renamed", "metadata": {"team": "support"}})
    assert (updated["id"], updated["name"], updated["metadata"]) == (made["id"], "renamed", {"team": "support"})
    listed = {s["id"]: s for s in impl.list_vector_stores()}[made["id"]]
    assert (listed["name"], listed["metadata"], listed["expires_after"]) == (
        "renamed", {"team": "support"}, {"anchor": "last_active_at", "days": 7})

    impl.delete_vector_store(made["id"])
    assert made["id"] not in ids(impl.list_vector_stores())
    with pytest.raises(NotFound):
        impl.delete_vector_store(made["id"])


def test_more_metadata_than_the_api_keeps_is_refused(impl: Api):
    too_many = {f"key{n}": "v" for n in range(17)}
    with pytest.raises(ApiError) as refused:
        impl.create_vector_store({"name": "crowded", "metadata": too_many})
    assert not isinstance(refused.value, NotFound)
    assert "metadata" in str(refused.value)


def test_a_file_batch_indexes_then_lists_its_files_and_the_store_counts_them(impl: Api, tmp_path: Path):
    good = upload(impl, tmp_path, "good.md", "# a readable document\n")
    empty = upload(impl, tmp_path, "empty.md", "")  # attached, then fails to index
    store = impl.create_vector_store({"name": "batched"})
    batch = impl.create_file_batch(store["id"], [
        {"file_id": good["id"], "attributes": {"edition": "first", "year": 2024}},
        {"file_id": empty["id"], "attributes": {}}])
    assert_shape(batch, VectorStoreFileBatch, "vsfb_")
    assert (batch["vector_store_id"], batch["file_counts"]["total"]) == (store["id"], 2)
    done = wait_for_batch(impl, store["id"], batch)
    assert done["status"] == "completed"  # not every file failed
    assert {k: done["file_counts"][k] for k in ("completed", "failed", "total")} == {
        "completed": 1, "failed": 1, "total": 2}

    members = {m["id"]: m for m in impl.list_file_batch_files(store["id"], batch["id"])}
    assert set(members) == {good["id"], empty["id"]}
    assert_shape(members[good["id"]], VectorStoreFile, "file-")
    assert members[good["id"]]["status"] == "completed"
    assert members[good["id"]]["attributes"] == {"edition": "first", "year": 2024}
    assert members[empty["id"]]["status"] == "failed"
    assert members[empty["id"]]["last_error"]["code"] == "invalid_file"

    in_store = {m["id"]: m for m in impl.list_vector_store_files(store["id"])}
    assert {k: m["status"] for k, m in in_store.items()} == {good["id"]: "completed", empty["id"]: "failed"}
    counted = {s["id"]: s for s in impl.list_vector_stores()}[store["id"]]
    assert (counted["file_counts"]["total"], counted["usage_bytes"] > 0) == (2, True)


def test_attributes_update_and_a_detached_file_is_gone_from_the_store_only(impl: Api, tmp_path: Path):
    first = upload(impl, tmp_path, "a.md", "alpha")
    second = upload(impl, tmp_path, "b.md", "beta")
    store = impl.create_vector_store({"name": "members"})
    wait_for_batch(impl, store["id"], impl.create_file_batch(store["id"], [{"file_id": first["id"]},
                                                                          {"file_id": second["id"]}]))
    updated = impl.update_vector_store_file(store["id"], first["id"], {"lang": "en", "draft": False})
    assert (updated["id"], updated["attributes"]) == (first["id"], {"lang": "en", "draft": False})
    listed = {m["id"]: m for m in impl.list_vector_store_files(store["id"])}
    assert listed[first["id"]]["attributes"] == {"lang": "en", "draft": False}

    impl.delete_vector_store_file(store["id"], first["id"])
    assert ids(impl.list_vector_store_files(store["id"])) == [second["id"]]
    assert first["id"] in ids(impl.list_files())  # detaching leaves the upload
    with pytest.raises(NotFound):
        impl.delete_vector_store_file(store["id"], first["id"])
    with pytest.raises(NotFound):
        impl.update_vector_store_file(store["id"], first["id"], {"lang": "fr"})

    impl.delete_file(second["id"])  # deleting a file detaches it from every store
    assert impl.list_vector_store_files(store["id"]) == []


def test_an_assistant_round_trips_with_the_defaults_the_api_fills_in(impl: Api, tmp_path: Path):
    document = upload(impl, tmp_path, "data.md", "x")
    store = impl.create_vector_store({"name": "kb"})
    made = impl.create_object(ASSISTANTS, {"model": MODEL, "name": "helper", "instructions": "Be brief.",
                                  "metadata": {"provisioner:stack": "s"},
                                  "tools": [{"type": "code_interpreter"}],
                                  "tool_resources": {"code_interpreter": {"file_ids": [document["id"]]}}})
    assert_shape(made, Assistant, "asst_")
    assert (made["model"], made["name"], made["instructions"], made["metadata"]) == (
        MODEL, "helper", "Be brief.", {"provisioner:stack": "s"})
    assert (made["temperature"], made["top_p"], made["response_format"], made["description"]) == (
        1.0, 1.0, "auto", None)

    updated = impl.update_object(ASSISTANTS, made["id"], {
        "model": MODEL, "instructions": "Be kind.",
        "tools": [{"type": "code_interpreter"}, {"type": "file_search"}],
        "tool_resources": {"file_search": {"vector_store_ids": [store["id"]]}}})
    assert (updated["id"], updated["name"], updated["instructions"]) == (made["id"], "helper", "Be kind.")
    # a tool's resources are replaced only when the update names that tool
    assert updated["tool_resources"]["code_interpreter"]["file_ids"] == [document["id"]]
    assert updated["tool_resources"]["file_search"]["vector_store_ids"] == [store["id"]]
    listed = {a["id"]: a for a in impl.list_objects(ASSISTANTS)}[made["id"]]
    assert (listed["instructions"], listed["metadata"]) == ("Be kind.", {"provisioner:stack": "s"})

    impl.delete_object(ASSISTANTS, made["id"])
    assert made["id"] not in ids(impl.list_objects(ASSISTANTS))
    with pytest.raises(NotFound):
        impl.delete_object(ASSISTANTS, made["id"])


def test_an_agent_round_trips_and_its_tools_and_metadata_are_replaced_whole(impl: Api):
    made = impl.create_object(AGENTS, {"model": MODEL, "name": "helper", "instructions": "Be brief.",
                                       "metadata": {"provisioner:stack": "s", "team": "a"}})
    assert made["id"].startswith("agent_") and isinstance(made["created_at"], int)
    assert (made["model"], made["name"], made["instructions"], made["metadata"]) == (
        MODEL, "helper", "Be brief.", {"provisioner:stack": "s", "team": "a"})
    updated = impl.update_object(AGENTS, made["id"], {"instructions": "Be kind.", "metadata": {"team": "b"}})
    assert (updated["id"], updated["name"], updated["instructions"], updated["metadata"]) == (
        made["id"], "helper", "Be kind.", {"team": "b"})
    listed = {a["id"]: a for a in impl.list_objects(AGENTS)}[made["id"]]
    assert listed["instructions"] == "Be kind."
    impl.delete_object(AGENTS, made["id"])
    assert made["id"] not in ids(impl.list_objects(AGENTS))
    with pytest.raises(NotFound):
        impl.delete_object(AGENTS, made["id"])


def test_the_models_are_listed(impl: Api):
    assert MODEL in (impl.list_models() or [])


UNKNOWN_ID_CALLS: dict[str, Callable[[Api, Obj], Any]] = {
    "delete_file": lambda api, _: api.delete_file(UNKNOWN_FILE),
    "update_vector_store": lambda api, _: api.update_vector_store(UNKNOWN_STORE, {"name": "x"}),
    "delete_vector_store": lambda api, _: api.delete_vector_store(UNKNOWN_STORE),
    "list_vector_store_files": lambda api, _: api.list_vector_store_files(UNKNOWN_STORE),
    "create_file_batch": lambda api, f: api.create_file_batch(UNKNOWN_STORE, [{"file_id": f["id"]}]),
    "retrieve_file_batch": lambda api, f: api.retrieve_file_batch(f["store"], UNKNOWN_BATCH),
    "list_file_batch_files": lambda api, f: api.list_file_batch_files(f["store"], UNKNOWN_BATCH),
    "update_vector_store_file": lambda api, f: api.update_vector_store_file(f["store"], UNKNOWN_FILE, {"a": "b"}),
    "delete_vector_store_file": lambda api, f: api.delete_vector_store_file(f["store"], UNKNOWN_FILE),
    "update_agent": lambda api, _: api.update_object(AGENTS, UNKNOWN_AGENT, {"instructions": "x"}),
    "delete_agent": lambda api, _: api.delete_object(AGENTS, UNKNOWN_AGENT),
    "update_assistant": lambda api, _: api.update_object(ASSISTANTS, UNKNOWN_ASSISTANT, {"model": MODEL}),
    "delete_assistant": lambda api, _: api.delete_object(ASSISTANTS, UNKNOWN_ASSISTANT),
}


@pytest.mark.parametrize("call", UNKNOWN_ID_CALLS, ids=list(UNKNOWN_ID_CALLS))
def test_an_unknown_id_is_not_found(impl: Api, tmp_path: Path, call: str):
    known = {**upload(impl, tmp_path, "k.md", "k"), "store": impl.create_vector_store({"name": "known"})["id"]}
    with pytest.raises(NotFound):
        UNKNOWN_ID_CALLS[call](impl, known)
