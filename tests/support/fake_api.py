"""An in-process recording fake of the `Api` protocol (provisioner/api/base.py), for fast tests of
handlers and the applier.

Owns objects kept in memory in the wire shapes the real client returns from the emulator (ids
with the API's prefixes, `created_at`, metadata, a vector store's `file_counts` and `status`,
file batches that complete), NotFound for unknown ids, and the record of every call made, as
`Call(method, args)` with the arguments by name, so a test asserts the API calls it caused.
Ids are deterministic (`vs_fake0001`...), so data-driven cases can name them.

It must stay faithful: tests/contract/ runs the same checks on it and on the real client over the
emulator. It must not speak HTTP, and checks bodies only as far as the contract promises.

A new object kind is one `Collection` in `__init__` and a few `@recorded` methods over it.
"""
from __future__ import annotations

import copy
import functools
import inspect
import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

from openai.types import FileObject, VectorStore
from openai.types.beta import Assistant
from openai.types.vector_stores import VectorStoreFile, VectorStoreFileBatch
from pydantic import BaseModel

from provisioner.api.base import Collection as ApiCollection
from provisioner.api.base import NotFound, Obj
from provisioner.emulator.config import DEFAULT_MODELS
from provisioner.emulator.indexing import SEARCHABLE_EXTENSIONS
from provisioner.emulator.resources.files import PURPOSES
from provisioner.emulator.validation import AUTO_CHUNKING
from provisioner.errors import ApiError

F = TypeVar("F", bound=Callable[..., Any])

MAX_METADATA_PAIRS = 16
# what the Assistants API assumes for a field a create leaves out, and echoes back
ASSISTANT_DEFAULTS: dict[str, Any] = {
    "name": None, "description": None, "instructions": None, "tools": [], "tool_resources": {},
    "temperature": 1.0, "top_p": 1.0, "response_format": "auto", "reasoning_effort": None, "metadata": {},
}


@dataclass(frozen=True)
class Call:
    method: str
    args: dict[str, Any]


@dataclass
class Failure:
    """A call the fake answers with an error instead, while `when(args)` holds, `times` times."""
    method: str
    error: Exception
    when: Callable[[dict[str, Any]], bool]
    times: int | None


def recorded(method: F) -> F:
    """Records the call (its arguments by name, copied as sent), raises an injected failure, and
    hands back a copy of the answer, so neither side can change the other's objects afterwards."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(self: FakeApi, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments
        arguments = copy.deepcopy({k: v for k, v in arguments.items() if k != "self"})
        with self._lock:
            self.calls.append(Call(method.__name__, arguments))
            self._raise_injected(method.__name__, arguments)
            return copy.deepcopy(method(self, *args, **kwargs))
    return wrapper  # type: ignore[return-value]


def _shape(model: type[BaseModel], obj: Obj) -> Obj:
    """Every field of the SDK's model, None where the server sent none: the shape the real client
    gives (`_dump` of a parsed object, or a listed item filled in the same way)."""
    return {**{f.alias or name: None for name, f in model.model_fields.items()}, **obj}


class Collection:
    """One kind of object by id, in the order made; NotFound in the emulator's words."""

    def __init__(self, what: str, prefix: str, counter: itertools.count[int]):
        self.what, self.prefix, self._counter = what, prefix, counter
        self.objects: dict[str, Obj] = {}

    def add(self, obj: Obj) -> Obj:
        obj = {**obj, "id": f"{self.prefix}fake{next(self._counter):04d}", "created_at": int(time.time())}
        self.objects[obj["id"]] = obj
        return obj

    def get(self, doing: str, object_id: str) -> Obj:
        try:
            return self.objects[object_id]
        except KeyError:
            raise NotFound(f"{doing}: No {self.what} found with id '{object_id}'.") from None

    def remove(self, doing: str, object_id: str) -> Obj:
        self.get(doing, object_id)
        return self.objects.pop(object_id)

    def newest_first(self) -> list[Obj]:
        # the API lists newest first (order=desc), as every list the real client reads
        return list(reversed(self.objects.values()))


@dataclass
class _Member:
    """A file attached to a store: its wire object, and how many more reads it stays in_progress."""
    obj: Obj
    batch_id: str | None
    pending_reads: int = 0
    outcome: str = "completed"
    error: Obj | None = None
    size: int = 0  # usage_bytes once indexed


@dataclass
class _Store:
    members: dict[str, _Member] = field(default_factory=dict)


class FakeApi:
    """`index_reads`: how many reads of a batch (or of its store) show its files still indexing."""

    def __init__(self, index_reads: int = 0, models: list[str] | None = None):
        self.calls: list[Call] = []
        self.index_reads = index_reads
        self._models = list(DEFAULT_MODELS) if models is None else models
        self._lock = threading.RLock()
        self._failures: list[Failure] = []
        counter = itertools.count(1)  # one sequence for every kind: an id never repeats in a run
        self.files = Collection("file", "file-", counter)
        self.vector_stores = Collection("vector store", "vs_", counter)
        self.batches = Collection("file batch", "vsfb_", counter)
        self.assistants = Collection("assistant", "asst_", counter)
        self.agents = Collection("agent", "agent_", counter)
        self._contents: dict[str, bytes] = {}
        self._stores: dict[str, _Store] = {}

    # ---- for tests ----
    def fail(self, method: str, error: Exception | None = None,
             when: Callable[[dict[str, Any]], bool] = lambda args: True, times: int | None = None) -> None:
        """Answer calls of `method` whose arguments satisfy `when` with `error` (an HTTP 500 by default)."""
        self._failures.append(Failure(method, error or ApiError(f"{method}: HTTP 500: injected failure"), when, times))

    def called(self, *methods: str) -> list[Call]:
        """The calls made so far, only those to `methods` when given."""
        return [call for call in self.calls if not methods or call.method in methods]

    @property
    def writes(self) -> list[Call]:
        """The calls that could change something live (all but describe, list_* and retrieve_*)."""
        return [c for c in self.calls if c.method != "describe" and not c.method.startswith(("list_", "retrieve_"))]

    def _raise_injected(self, method: str, args: dict[str, Any]) -> None:
        for failure in self._failures:
            if failure.method == method and failure.times != 0 and failure.when(args):
                if failure.times is not None:
                    failure.times -= 1
                raise failure.error

    # ---- the protocol ----
    @recorded
    def describe(self) -> str:
        return "<fake api>"

    @recorded
    def list_models(self) -> list[str] | None:
        return list(self._models)

    @recorded
    def list_files(self, purpose: str | None = None) -> list[Obj]:
        return [f for f in self.files.newest_first() if purpose is None or f["purpose"] == purpose]

    @recorded
    def upload_file(self, path: Path, filename: str, purpose: str) -> Obj:
        if purpose not in PURPOSES:
            raise ApiError(f"upload {filename}: HTTP 400: Invalid value for 'purpose': '{purpose}'.")
        content = Path(path).read_bytes()
        obj = self.files.add(_shape(FileObject, {
            "object": "file", "bytes": len(content), "filename": filename, "purpose": purpose,
            "status": "processed", "expires_at": None, "status_details": None}))
        self._contents[obj["id"]] = content
        return obj

    @recorded
    def delete_file(self, file_id: str) -> None:
        self.files.remove(f"delete file {file_id}", file_id)
        del self._contents[file_id]
        for store in self._stores.values():  # deleting a file detaches it from every store
            store.members.pop(file_id, None)

    @recorded
    def list_vector_stores(self) -> list[Obj]:
        return [self._store_view(s) for s in self.vector_stores.newest_first()]

    @recorded
    def create_vector_store(self, body: Obj) -> Obj:
        _check_metadata("create vector store", body.get("metadata"))
        now = int(time.time())
        obj = self.vector_stores.add(_shape(VectorStore, {
            "object": "vector_store", "name": body.get("name") or "", "usage_bytes": 0,
            "metadata": dict(body.get("metadata") or {}), "expires_after": body.get("expires_after"),
            "last_active_at": now}))
        self._stores[obj["id"]] = _Store()
        for file_id in body.get("file_ids") or []:
            self._attach(obj["id"], {"file_id": file_id}, None)
        return self._store_view(obj)

    @recorded
    def update_vector_store(self, vector_store_id: str, body: Obj) -> Obj:
        doing = f"update vector store {vector_store_id}"
        obj = self.vector_stores.get(doing, vector_store_id)
        unknown = set(body) - {"name", "expires_after", "metadata"}
        if unknown:
            raise ApiError(f"{doing}: HTTP 400: Unknown parameter: '{sorted(unknown)[0]}'.")
        _check_metadata(doing, body.get("metadata"))
        if "name" in body:
            obj["name"] = body["name"] or ""
        if "expires_after" in body:
            obj["expires_after"] = body["expires_after"]
        if "metadata" in body:
            obj["metadata"] = dict(body["metadata"] or {})
        obj["last_active_at"] = int(time.time())
        return self._store_view(obj)

    @recorded
    def delete_vector_store(self, vector_store_id: str) -> None:
        self.vector_stores.remove(f"delete vector store {vector_store_id}", vector_store_id)
        del self._stores[vector_store_id]

    @recorded
    def list_vector_store_files(self, vector_store_id: str) -> list[Obj]:
        self.vector_stores.get(f"list files of vector store {vector_store_id}", vector_store_id)
        return [self._member_view(m) for m in reversed(self._stores[vector_store_id].members.values())]

    @recorded
    def create_file_batch(self, vector_store_id: str, files: list[Obj]) -> Obj:
        doing = f"attach files to vector store {vector_store_id}"
        self.vector_stores.get(doing, vector_store_id)
        for entry in files:
            if entry["file_id"] not in self.files.objects:
                raise ApiError(f"{doing}: HTTP 400: No file found with id '{entry['file_id']}'.")
            extension = os.path.splitext(self.files.objects[entry["file_id"]]["filename"])[1].lower()
            if extension not in SEARCHABLE_EXTENSIONS:
                raise ApiError(f"{doing}: HTTP 400: Files with extensions [{extension or 'none'}] are not supported "
                               "for retrieval.")
        batch = self.batches.add(_shape(VectorStoreFileBatch, {
            "object": "vector_store.files_batch", "vector_store_id": vector_store_id}))
        for entry in files:
            self._attach(vector_store_id, entry, batch["id"])
        return self._batch_view(batch, read=False)

    @recorded
    def retrieve_file_batch(self, vector_store_id: str, batch_id: str) -> tuple[Obj, float | None]:
        doing = f"read file batch {batch_id}"
        self.vector_stores.get(doing, vector_store_id)
        return self._batch_view(self._batch(doing, vector_store_id, batch_id), read=True), 0.0

    @recorded
    def list_file_batch_files(self, vector_store_id: str, batch_id: str) -> list[Obj]:
        doing = f"list files of batch {batch_id}"
        self.vector_stores.get(doing, vector_store_id)
        self._batch(doing, vector_store_id, batch_id)
        members = self._stores[vector_store_id].members.values()
        return [self._member_view(m) for m in reversed(members) if m.batch_id == batch_id]

    @recorded
    def update_vector_store_file(self, vector_store_id: str, file_id: str, attributes: Obj) -> Obj:
        member = self._member(f"update attributes of {file_id} in {vector_store_id}", vector_store_id, file_id)
        member.obj["attributes"] = dict(attributes)
        return self._member_view(member)

    @recorded
    def delete_vector_store_file(self, vector_store_id: str, file_id: str) -> None:
        self._member(f"detach {file_id} from {vector_store_id}", vector_store_id, file_id)
        del self._stores[vector_store_id].members[file_id]

    @recorded
    def list_assistants(self) -> list[Obj]:
        return self.assistants.newest_first()

    @recorded
    def create_assistant(self, body: Obj) -> Obj:
        if "model" not in body:
            raise ApiError("create assistant: HTTP 400: Missing required parameter: 'model'.")
        _check_metadata("create assistant", body.get("metadata"))
        fields = {**ASSISTANT_DEFAULTS, **{k: v for k, v in body.items() if v is not None}}
        return self.assistants.add(_shape(Assistant, {"object": "assistant", **fields}))

    @recorded
    def update_assistant(self, assistant_id: str, body: Obj) -> Obj:
        doing = f"update assistant {assistant_id}"
        obj = self.assistants.get(doing, assistant_id)
        _check_metadata(doing, body.get("metadata"))
        for key, value in body.items():
            if key == "tool_resources":  # a tool's resources are replaced only when the tool is named
                obj[key] = {**(obj.get(key) or {}), **(value or {})}
            else:
                obj[key] = ASSISTANT_DEFAULTS.get(key) if value is None else value
        return obj

    @recorded
    def delete_assistant(self, assistant_id: str) -> None:
        self.assistants.remove(f"delete assistant {assistant_id}", assistant_id)

    @recorded
    def list_agents(self) -> list[Obj]:
        return self.agents.newest_first()

    @recorded
    def create_agent(self, body: Obj) -> Obj:
        if "model" not in body or "name" not in body:
            raise ApiError("create agent: HTTP 400: Missing required parameter: 'model' or 'name'.")
        _check_metadata("create agent", body.get("metadata"))
        return self.agents.add({"object": "agent", "tools": [], "metadata": {},
                                **{k: v for k, v in body.items() if v is not None}})

    @recorded
    def update_agent(self, agent_id: str, body: Obj) -> Obj:
        doing = f"update agent {agent_id}"
        obj = self.agents.get(doing, agent_id)
        _check_metadata(doing, body.get("metadata"))
        obj.update(body)  # tools and metadata are replaced whole, as the API does
        return obj

    @recorded
    def delete_agent(self, agent_id: str) -> None:
        self.agents.remove(f"delete agent {agent_id}", agent_id)

    # ---- the protocol's plain collections, recorded under each kind's own call names ----
    def list_objects(self, collection: ApiCollection) -> list[Obj]:
        return getattr(self, f"list_{collection.noun}s")()  # type: ignore[no-any-return]

    def create_object(self, collection: ApiCollection, body: Obj) -> Obj:
        return getattr(self, f"create_{collection.noun}")(body)  # type: ignore[no-any-return]

    def update_object(self, collection: ApiCollection, object_id: str, body: Obj) -> Obj:
        return getattr(self, f"update_{collection.noun}")(object_id, body)  # type: ignore[no-any-return]

    def delete_object(self, collection: ApiCollection, object_id: str) -> None:
        getattr(self, f"delete_{collection.noun}")(object_id)

    # ---- vector store members and batches ----
    def _attach(self, store_id: str, entry: Obj, batch_id: str | None) -> None:
        file_id = entry["file_id"]
        size = len(self._contents.get(file_id, b""))
        empty = size == 0
        self._stores[store_id].members[file_id] = _Member(
            _shape(VectorStoreFile, {
                "id": file_id, "object": "vector_store.file", "created_at": int(time.time()),
                "vector_store_id": store_id, "usage_bytes": 0, "status": "in_progress", "last_error": None,
                "attributes": dict(entry.get("attributes") or {}),
                "chunking_strategy": copy.deepcopy(entry.get("chunking_strategy") or AUTO_CHUNKING)}),
            batch_id, self.index_reads,
            # what indexing ends in, as the emulator decides it: an empty file cannot be parsed
            "failed" if empty else "completed",
            {"code": "invalid_file", "message": "The file could not be parsed because it is empty."} if empty else None,
            size)

    def _member(self, doing: str, store_id: str, file_id: str) -> _Member:
        self.vector_stores.get(doing, store_id)
        member = self._stores[store_id].members.get(file_id)
        if member is None:
            raise NotFound(f"{doing}: No file found with id '{file_id}' in vector store '{store_id}'.")
        return member

    def _batch(self, doing: str, store_id: str, batch_id: str) -> Obj:
        batch = self.batches.get(doing, batch_id)
        if batch["vector_store_id"] != store_id:
            raise NotFound(f"{doing}: No file batch found with id '{batch_id}' in vector store '{store_id}'.")
        return batch

    @staticmethod
    def _member_view(member: _Member) -> Obj:
        done = member.pending_reads <= 0
        status = member.outcome if done else "in_progress"
        return {**member.obj, "status": status, "usage_bytes": member.size if status == "completed" else 0,
                "last_error": member.error if status == "failed" else None}

    def _counts(self, members: list[_Member], read: bool) -> dict[str, int]:
        """`file_counts` over members; a read moves their indexing on by one step."""
        counts = {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": len(members)}
        for member in members:
            if read:
                member.pending_reads -= 1
            counts[self._member_view(member)["status"]] += 1
        return counts

    def _batch_view(self, batch: Obj, read: bool) -> Obj:
        store = self._stores.get(batch["vector_store_id"])
        members = [m for m in store.members.values() if m.batch_id == batch["id"]] if store else []
        counts = self._counts(members, read)
        status = ("in_progress" if counts["in_progress"] else
                  "failed" if counts["total"] and counts["failed"] == counts["total"] else "completed")
        return {**batch, "file_counts": counts, "status": status}

    def _store_view(self, obj: Obj) -> Obj:
        counts = self._counts(list(self._stores[obj["id"]].members.values()), read=True)
        expires_after = obj.get("expires_after")
        expires_at = obj["last_active_at"] + expires_after["days"] * 86400 if expires_after else None
        usage = sum(self._member_view(m)["usage_bytes"] for m in self._stores[obj["id"]].members.values())
        status = ("expired" if expires_at is not None and time.time() >= expires_at else
                  "in_progress" if counts["in_progress"] else "completed")
        return {**obj, "file_counts": counts, "status": status, "expires_at": expires_at, "usage_bytes": usage}


def _check_metadata(doing: str, metadata: Obj | None) -> None:
    if metadata is not None and len(metadata) > MAX_METADATA_PAIRS:
        raise ApiError(f"{doing}: HTTP 400: Invalid 'metadata': too many properties. Expected an object with at "
                       f"most {MAX_METADATA_PAIRS} properties, but got an object with {len(metadata)} properties "
                       "instead.")
