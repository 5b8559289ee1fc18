"""`Api` over the official openai SDK, for OpenAI, any compatible base_url, or the emulator.

Translates SDK errors into ApiError/NotFound with the server's message; the SDK's own retries
handle 429 and 5xx. Writes to a vector store keep to OpenAI's per-store limit (limiter.py) and,
answered 429 still after the SDK's retries, hold the store off and come back as told. A call that
makes an object is never repeated when its outcome is unknown (a 5xx, a timeout, a connection lost
after sending: the server may have made it): it fails, and the next plan takes the object back
through the marker its intent recorded in state. It must not log
request headers: they carry the key.
"""
from __future__ import annotations

import functools
import random
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

import openai
from openai.types import FileObject, VectorStore
from openai.types.vector_stores import VectorStoreFile
from pydantic import BaseModel

from provisioner.api.base import Collection, NotFound, Obj
from provisioner.api.limiter import StoreWriteLimiter
from provisioner.errors import ApiError

T = TypeVar("T")

# the answers after which the server surely made nothing, so a create may be sent again (never a 5xx)
RETRY_STATUSES = frozenset({408, 409, 429})
RETRY_DELAY_START = 0.5
RETRY_DELAY_MAX = 8.0
RETRY_AFTER_MAX = 60.0
# Rounds of (the SDK's own retries, then a hold-off as long as the 429 asked) a store write gets:
# a limit of N writes a minute always frees a place within a round or two, even with many threads.
RATE_LIMIT_ROUNDS = 10
LOST_ANSWER_HINT = ("the server may have made it before the connection was lost; apply again: the next plan "
                    "takes it back instead of making a second one")
SERVER_ERROR_HINT = ("a server error can come after the object was made, so it was not sent again; apply again: "
                     "the next plan takes back what was made instead of making a second one")


def _dump(obj: Any) -> Obj:
    # by alias: the wire shape (e.g. a json_schema response format's `schema`, which the SDK calls `schema_`)
    return obj.model_dump(mode="json", exclude_unset=False, by_alias=True)


def _listed(fetch: Callable[..., Any], model: type[BaseModel] | None, **params: Any) -> list[Obj]:
    """Every item of a cursor-paginated list, read from its raw JSON pages, following `has_more`
    and `after` as the SDK's pager does, through the same client (auth, retries).

    A list of 10,000 files would otherwise build and dump 10,000 SDK objects. Each item gets
    the model's fields it lacks as None, the shape `_dump` gives (without a model, items are
    taken as the server sent them)."""
    blank = {field.alias or name: None for name, field in model.model_fields.items()} if model else {}
    items: list[Obj] = []
    after: dict[str, str] = {}
    while True:
        page = fetch(**params, **after).http_response.json()
        data = page.get("data") or []
        items.extend({**blank, **item} for item in data)
        if not data or page.get("has_more") is False:
            return items
        after = {"after": data[-1]["id"]}


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body) if isinstance(body, dict) else {}
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return exc.message


class OpenAIApi:
    def __init__(self, client: openai.OpenAI, label: str, store_writes: StoreWriteLimiter | None = None):
        self._client = client
        self._label = label
        # creates go through _create: the SDK's retries would repeat them after a lost answer too
        self._once = client.with_options(max_retries=0)
        self._create_retries = client.max_retries
        # one per Api, so every thread of an apply shares each store's budget
        self._store_writes = store_writes or StoreWriteLimiter()

    def describe(self) -> str:
        return self._label

    def _call(self, what: str, fn: Callable[[], T], creates: bool = False) -> T:
        try:
            return fn()
        except openai.NotFoundError as exc:
            raise NotFound(f"{what}: {_message(exc)}") from None
        except openai.APIStatusError as exc:
            raise ApiError(f"{what}: HTTP {exc.status_code}: {_message(exc)}") from None
        except openai.APIConnectionError as exc:
            if creates:
                raise ApiError(f"{what}: the connection to {self._label} was lost before the answer "
                               f"({exc.__class__.__name__})", hint=LOST_ANSWER_HINT) from None
            raise ApiError(f"{what}: cannot reach {self._label} ({exc.message.rstrip('.').lower()})",
                           hint="check the provider's base_url and that the server is running") from None

    def _create(self, what: str, fn: Callable[[openai.OpenAI], T]) -> T:
        """A call that makes an object: sent again only after an answer saying nothing was made."""
        def attempts() -> T:
            attempt = 0
            while True:
                try:
                    return fn(self._once)
                except openai.APIStatusError as exc:
                    if exc.status_code >= 500:  # it may come after the server made the object
                        raise ApiError(f"{what}: HTTP {exc.status_code}: {_message(exc)}; whether the server "
                                       "made it is unknown", hint=SERVER_ERROR_HINT) from None
                    if exc.status_code not in RETRY_STATUSES or attempt >= self._create_retries:
                        raise
                    time.sleep(_retry_delay(attempt, exc))
                    attempt += 1
        return self._call(what, attempts, creates=True)

    def _store_write(self, what: str, store_id: str, fn: Callable[[], T]) -> T:
        """A write to one vector store: paced to the store's limit, and sent again after a 429 (which
        means the server did nothing) for as long as it keeps saying when to come back."""
        def attempts() -> T:
            for attempt in range(RATE_LIMIT_ROUNDS):
                # a long wait here shows no progress line: ApplyContext.progress does not reach
                # the Api seam (it would have to be passed through every call)
                self._store_writes.acquire(store_id)
                try:
                    return fn()
                except openai.RateLimitError as exc:
                    self._store_writes.hold_off(store_id, _retry_delay(attempt, exc))
            self._store_writes.acquire(store_id)
            return fn()
        return self._call(what, attempts)

    def list_models(self) -> list[str] | None:
        try:
            return self._call("list models", lambda: [m.id for m in self._client.models.list()])
        except NotFound:
            return None

    # files
    def list_files(self, purpose: str | None = None) -> list[Obj]:
        kwargs = {"purpose": purpose} if purpose else {}
        return self._call("list files", lambda: _listed(
            self._client.files.with_raw_response.list, FileObject, limit=10_000, **kwargs))

    def upload_file(self, path: Path, filename: str, purpose: str) -> Obj:
        def upload(client: openai.OpenAI) -> Obj:
            with open(path, "rb") as handle:
                # the SDK types purpose as the Literal of today's purposes; the seam carries the
                # stack's text, and the server answers a 400 naming one it does not know
                return _dump(client.files.create(file=(filename, handle),
                                                 purpose=purpose))  # type: ignore[arg-type]
        return self._create(f"upload {filename}", upload)

    def delete_file(self, file_id: str) -> None:
        self._call(f"delete file {file_id}", lambda: self._client.files.delete(file_id))

    # vector stores
    def list_vector_stores(self) -> list[Obj]:
        return self._call("list vector stores", lambda: _listed(
            self._client.vector_stores.with_raw_response.list, VectorStore, limit=100))

    def create_vector_store(self, body: Obj) -> Obj:
        return self._create("create vector store", lambda client: _dump(client.vector_stores.create(**body)))

    def update_vector_store(self, vector_store_id: str, body: Obj) -> Obj:
        return self._store_write(f"update vector store {vector_store_id}", vector_store_id,
                                 lambda: _dump(self._client.vector_stores.update(vector_store_id, **body)))

    def delete_vector_store(self, vector_store_id: str) -> None:
        self._store_write(f"delete vector store {vector_store_id}", vector_store_id,
                          lambda: self._client.vector_stores.delete(vector_store_id))

    def list_vector_store_files(self, vector_store_id: str) -> list[Obj]:
        return self._call(f"list files of vector store {vector_store_id}", lambda: _listed(
            self._client.vector_stores.files.with_raw_response.list, VectorStoreFile,
            vector_store_id=vector_store_id, limit=100))

    def create_file_batch(self, vector_store_id: str, files: list[Obj]) -> Obj:
        # entries cross the seam as plain dicts in the wire shape of the SDK's `File` TypedDict
        return self._store_write(f"attach files to vector store {vector_store_id}", vector_store_id, lambda: _dump(
            self._client.vector_stores.file_batches.create(vector_store_id, files=files)))  # type: ignore[arg-type]

    def retrieve_file_batch(self, vector_store_id: str, batch_id: str) -> tuple[Obj, float | None]:
        def retrieve() -> tuple[Obj, float | None]:
            raw = self._client.vector_stores.file_batches.with_raw_response.retrieve(
                batch_id, vector_store_id=vector_store_id)
            return _dump(raw.parse()), _poll_after(raw.headers)
        return self._call(f"read file batch {batch_id}", retrieve)

    def list_file_batch_files(self, vector_store_id: str, batch_id: str) -> list[Obj]:
        return self._call(f"list files of batch {batch_id}", lambda: _listed(
            self._client.vector_stores.file_batches.with_raw_response.list_files, VectorStoreFile,
            batch_id=batch_id, vector_store_id=vector_store_id, limit=100))

    def update_vector_store_file(self, vector_store_id: str, file_id: str, attributes: Obj) -> Obj:
        return self._store_write(f"update attributes of {file_id} in {vector_store_id}", vector_store_id, lambda: _dump(
            self._client.vector_stores.files.update(file_id, vector_store_id=vector_store_id, attributes=attributes)))

    def delete_vector_store_file(self, vector_store_id: str, file_id: str) -> None:
        self._store_write(f"detach {file_id} from {vector_store_id}", vector_store_id,
                          lambda: self._client.vector_stores.files.delete(file_id, vector_store_id=vector_store_id))

    # plain collections (assistants, agents, ...): the SDK resource found by its attribute path
    def list_objects(self, collection: Collection) -> list[Obj]:
        resource = _resource(self._client, collection)
        return self._call(f"list {collection.noun}s", lambda: _listed(
            resource.with_raw_response.list, None, limit=collection.page_size))

    def create_object(self, collection: Collection, body: Obj) -> Obj:
        return self._create(f"create {collection.noun}",
                            lambda client: _dump(_resource(client, collection).create(**body)))

    def update_object(self, collection: Collection, object_id: str, body: Obj) -> Obj:
        return self._call(f"update {collection.noun} {object_id}",
                          lambda: _dump(_resource(self._client, collection).update(object_id, **body)))

    def delete_object(self, collection: Collection, object_id: str) -> None:
        self._call(f"delete {collection.noun} {object_id}",
                   lambda: _resource(self._client, collection).delete(object_id))


def _resource(client: openai.OpenAI, collection: Collection) -> Any:
    return functools.reduce(getattr, collection.sdk.split("."), client)


def _poll_after(headers: Any) -> float | None:
    """The server's `openai-poll-after-ms` in seconds, if it sent a usable one."""
    try:
        delay = float(headers.get("openai-poll-after-ms", "")) / 1000
    except ValueError:
        return None
    return delay if 0 <= delay <= RETRY_AFTER_MAX else None


def _retry_delay(attempt: int, exc: openai.APIStatusError) -> float:
    """The server's Retry-After when it gives one, else exponential backoff with jitter."""
    headers = exc.response.headers
    for header, divisor in (("retry-after-ms", 1000), ("retry-after", 1)):
        try:
            delay = float(headers.get(header, "")) / divisor
        except ValueError:
            continue
        if 0 <= delay <= RETRY_AFTER_MAX:
            return delay
    return min(RETRY_DELAY_START * 2 ** attempt, RETRY_DELAY_MAX) * (1 - 0.25 * random.random())
