"""Lookups and derived views shared by several resource families.

Owns the 404 wording for each object type and the computed fields of vector stores and
batches (counts, usage, status), which depend on their files; and the gate of beta APIs
(the `OpenAI-Beta` header) and which models reason. Must not register routes.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from .. import indexing
from ..errors import invalid, not_found, unsupported_file
from ..routing import App, Request
from ..validation import id_prefix

FILE = "file"
VECTOR_STORE = "vector_store"
VECTOR_STORE_FILE = "vector_store.file"
BATCH = "vector_store.files_batch"
ASSISTANT = "assistant"
AGENT = "agent"


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if not key.startswith("_")}


def get_file(app: App, file_id: str) -> dict[str, Any]:
    row = app.store.get(FILE, file_id)
    if row is None:
        raise not_found(f"No such File object: {file_id}", param="id")
    return row


def get_vector_store(app: App, vector_store_id: str) -> dict[str, Any]:
    id_prefix(vector_store_id, "vector_store_id", "vs")
    row = app.store.get(VECTOR_STORE, vector_store_id)
    if row is None:
        raise not_found(f"No vector store found with id '{vector_store_id}'.")
    return row


def get_writable_vector_store(app: App, vector_store_id: str) -> dict[str, Any]:
    """A store that may be written to (files attached, fields modified): expired stores refuse."""
    row = get_vector_store(app, vector_store_id)
    if vector_store_view(app, row)["status"] == "expired":
        raise invalid(f"Vector store '{vector_store_id}' has expired.", param="vector_store_id")
    return row


def require_files_exist(app: App, file_ids: list[str], param: str) -> list[dict[str, Any]]:
    """Body references to files answer 400 (the request is wrong, not the URL)."""
    found = []
    for index, file_id in enumerate(file_ids):
        row = app.store.get(FILE, file_id)
        if row is None:
            raise invalid(f"No file found with id '{file_id}'.", param=f"{param}[{index}]", code="file_not_found")
        found.append(row)
    return found


def refuse_unsearchable(file_rows: list[dict[str, Any]], param: str) -> None:
    """Any file whose type file_search cannot index makes the whole attach a 400, before any
    vector store file exists (OpenAI answers so; only content problems surface later as `failed`)."""
    extensions = sorted({ext for ext in map(indexing.unsearchable_extension, file_rows) if ext is not None})
    if extensions:
        raise unsupported_file(", ".join(ext or "none" for ext in extensions), param)


def vector_store_view(app: App, row: dict[str, Any]) -> dict[str, Any]:
    counts, usage = indexing.count(app.store.fields(VECTOR_STORE_FILE, row["id"], indexing.STATUS_FIELDS), app.now())
    view = public(row)
    view["file_counts"] = counts
    view["usage_bytes"] = usage
    expires_after = row.get("expires_after")
    if expires_after:
        view["expires_at"] = row["last_active_at"] + expires_after["days"] * 86400
    else:
        view["expires_at"] = None
    if view["expires_at"] is not None and app.now() >= view["expires_at"]:
        view["status"] = "expired"
    elif counts["in_progress"]:
        view["status"] = "in_progress"
    else:
        view["status"] = "completed"
    return view


def batch_view(app: App, row: dict[str, Any]) -> dict[str, Any]:
    # the batch's files still in the store and not re-attached since by another request
    members = app.store.fields(
        VECTOR_STORE_FILE, row["vector_store_id"], indexing.STATUS_FIELDS, match={"_batch_id": row["id"]}
    )
    counts, _ = indexing.count(members, app.now())
    view = public(row)
    view["file_counts"] = counts
    view["status"] = indexing.batch_status(counts, bool(row.get("_cancelled")))
    return view


def delete_standalone(app: App, kind: str, object_id: str, get: Callable[[App, str], Any],
                      deleted_object: str) -> dict[str, Any]:
    """Delete an object nothing else holds (an assistant, an Agent): 404 when unknown, else the
    `{id, object: "<kind>.deleted", deleted: true}` answer the API gives."""
    with app.store.transaction():
        get(app, object_id)
        app.store.delete(kind, object_id)
    return {"id": object_id, "object": deleted_object, "deleted": True}


def is_reasoning_model(model: str) -> bool:
    return bool(re.match(r"^(o\d|gpt-5)", model))


def requires_beta(api: str, beta: str) -> Callable[[Callable[[App, Request], Any]], Callable[[App, Request], Any]]:
    """Wrap handlers of a beta API: requests that do not opt in with `OpenAI-Beta: <beta>` (the
    SDK sends it) get OpenAI's invalid_beta error instead of an answer."""

    def wrap(handler: Callable[[App, Request], Any]) -> Callable[[App, Request], Any]:
        def checked(app: App, request: Request) -> Any:
            betas = [part.strip() for part in request.headers.get("openai-beta", "").split(",")]
            if beta not in betas:
                raise invalid(
                    f"You must provide the 'OpenAI-Beta' header to access the {api} API. Please try again "
                    f"by setting the header 'OpenAI-Beta: {beta}'.",
                    code="invalid_beta",
                )
            return handler(app, request)

        return checked

    return wrap
