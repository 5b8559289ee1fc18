"""/v1/vector_stores: create, list, retrieve, modify, delete.

Owns the stored vector store fields and `create_vector_store_from`, which assistant creation
also uses for `tool_resources.file_search.vector_stores`. Computed fields (status,
file_counts, usage_bytes, expires_at) come from common.vector_store_view. Must not touch the
files of other stores.
"""

from __future__ import annotations

from typing import Any

from ..pagination import paginate, parse_list_params
from ..routing import App, Request, Router, new_id
from ..validation import (
    expect_type,
    integer_in_range,
    metadata,
    one_of,
    optional_string,
    reject_unknown,
    require,
    optional_ids,
    chunking_strategy,
)
from .common import (
    BATCH,
    VECTOR_STORE,
    VECTOR_STORE_FILE,
    get_vector_store,
    get_writable_vector_store,
    refuse_unsearchable,
    require_files_exist,
    vector_store_view,
)
from .vector_store_files import attach_file


def _expires_after(value: Any, param: str = "expires_after") -> dict[str, Any] | None:
    if value is None:
        return None
    expect_type(value, dict, param)
    reject_unknown(value, ["anchor", "days"], f"{param}.")
    anchor = one_of(require(value, "anchor", f"{param}."), f"{param}.anchor", ["last_active_at"])
    days = integer_in_range(require(value, "days", f"{param}."), f"{param}.days", 1, 365)
    return {"anchor": anchor, "days": days}


def create_vector_store_from(app: App, body: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Validate a create body and store the vector store with its files attached."""
    file_ids = optional_ids(body, "file_ids", prefix, max_items=500)
    name = optional_string(body, "name", prefix=prefix)
    description = optional_string(body, "description", prefix=prefix)
    expires_after = _expires_after(body.get("expires_after"), f"{prefix}expires_after")
    strategy = chunking_strategy(body.get("chunking_strategy"), f"{prefix}chunking_strategy")
    meta = metadata(body.get("metadata"), f"{prefix}metadata")
    now = int(app.now())
    vector_store_id = new_id("vs_", 24)
    row = {
        "id": vector_store_id,
        "object": "vector_store",
        "created_at": now,
        "name": name if name is not None else "",
        # Accepted on create but absent from OpenAI's VectorStoreObject, so never echoed.
        "_description": description,
        "usage_bytes": 0,
        "file_counts": {},
        "status": "completed",
        "expires_after": expires_after,
        "expires_at": None,
        "last_active_at": now,
        "metadata": meta if meta is not None else {},
    }
    with app.store.transaction():
        file_rows = require_files_exist(app, file_ids, f"{prefix}file_ids")
        refuse_unsearchable(file_rows, f"{prefix}file_ids")
        app.store.insert(VECTOR_STORE, vector_store_id, row)
        for file_row in file_rows:
            attach_file(app, vector_store_id, file_row, strategy, None)
    return row


def create_vector_store(app: App, request: Request) -> dict[str, Any]:
    body = request.json()
    reject_unknown(body, ["file_ids", "name", "description", "expires_after", "chunking_strategy", "metadata"])
    return vector_store_view(app, create_vector_store_from(app, body))


def list_vector_stores(app: App, request: Request) -> dict[str, Any]:
    params = parse_list_params(request.query)
    return paginate(app.store, VECTOR_STORE, params, lambda row: vector_store_view(app, row))


def retrieve_vector_store(app: App, request: Request) -> dict[str, Any]:
    return vector_store_view(app, get_vector_store(app, request.params["vector_store_id"]))


def modify_vector_store(app: App, request: Request) -> dict[str, Any]:
    body = request.json()
    # The real API's modify accepts only these three; description cannot be changed.
    reject_unknown(body, ["name", "expires_after", "metadata"])
    name = optional_string(body, "name")
    expires_after = _expires_after(body.get("expires_after"))
    meta = metadata(body.get("metadata"))
    with app.store.transaction():
        # An expired store is gone for good ("no longer available for use"): neither the spec nor
        # the docs give a way back, and a modify that touched last_active_at would quietly revive
        # it. So a modify answers the same 400 as any other write to it; only delete still works.
        row = get_writable_vector_store(app, request.params["vector_store_id"])
        if "name" in body:
            row["name"] = name if name is not None else ""
        if "expires_after" in body:
            row["expires_after"] = expires_after
        if "metadata" in body:
            row["metadata"] = meta if meta is not None else {}
        row["last_active_at"] = int(app.now())
        app.store.update(VECTOR_STORE, row["id"], row)
    return vector_store_view(app, row)


def delete_vector_store(app: App, request: Request) -> dict[str, Any]:
    vector_store_id = request.params["vector_store_id"]
    with app.store.transaction():
        get_vector_store(app, vector_store_id)
        app.store.delete_children(VECTOR_STORE_FILE, vector_store_id)
        app.store.delete_children(BATCH, vector_store_id)
        app.store.delete(VECTOR_STORE, vector_store_id)
    return {"id": vector_store_id, "object": "vector_store.deleted", "deleted": True}


def register(router: Router) -> None:
    router.add("POST", "/v1/vector_stores", create_vector_store)
    router.add("GET", "/v1/vector_stores", list_vector_stores)
    router.add("GET", "/v1/vector_stores/{vector_store_id}", retrieve_vector_store)
    router.add("POST", "/v1/vector_stores/{vector_store_id}", modify_vector_store)
    router.add("DELETE", "/v1/vector_stores/{vector_store_id}", delete_vector_store)
