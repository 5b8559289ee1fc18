"""/v1/vector_stores/{id}/files and /file_batches: attaching files and batches of files.

Owns the vector store file and file batch objects and `attach_file`, which every way of
adding a file to a store goes through (including vector store and assistant creation).
Must not delete the File itself: detaching leaves the upload in place, as in the real API.
"""

from __future__ import annotations

from typing import Any

from .. import indexing
from ..errors import invalid, not_found
from ..pagination import ListParams, paginate, parse_list_params
from ..routing import App, Request, Response, Router, new_id
from ..validation import (
    array,
    attributes,
    chunking_strategy,
    expect_type,
    id_prefix,
    one_of,
    reject_unknown,
    require,
)
from .common import (
    BATCH,
    FILE,
    VECTOR_STORE_FILE,
    batch_view,
    get_vector_store,
    get_writable_vector_store,
    refuse_unsearchable,
)

STATUSES = ["in_progress", "completed", "failed", "cancelled"]


def attach_file(
    app: App,
    vector_store_id: str,
    file_row: dict[str, Any],
    strategy: dict[str, Any],
    attrs: dict[str, Any] | None,
    batch_id: str | None = None,
) -> dict[str, Any]:
    """Store a vector store file whose indexing starts now. Re-attaching re-indexes."""
    now = app.now()
    row = {
        "id": file_row["id"],
        "object": "vector_store.file",
        "created_at": int(now),
        "vector_store_id": vector_store_id,
        "usage_bytes": 0,
        "status": "in_progress",
        "last_error": None,
        "attributes": attrs if attrs is not None else {},
        "chunking_strategy": strategy,
        "_batch_id": batch_id,
        **indexing.plan_indexing(file_row, app.store.get_blob(file_row["id"]) or b"", app.config, now),
    }
    app.store.insert(VECTOR_STORE_FILE, file_row["id"], row, parent=vector_store_id)
    return indexing.vector_store_file_view(row, now)


def polled(app: App, body: dict[str, Any]) -> Response:
    # The SDK's *_and_poll helpers sleep for this long between retrievals.
    return Response(body=body, headers={"openai-poll-after-ms": str(app.config.poll_after_ms)})


def _get_vector_store_file(app: App, vector_store_id: str, file_id: str) -> dict[str, Any]:
    row = app.store.get(VECTOR_STORE_FILE, file_id, parent=vector_store_id)
    if row is None:
        raise not_found(f"No file found with id '{file_id}' in vector store '{vector_store_id}'.")
    return row


def create_vector_store_file(app: App, request: Request) -> Response:
    vector_store_id = request.params["vector_store_id"]
    body = request.json()
    reject_unknown(body, ["file_id", "chunking_strategy", "attributes"])
    file_id = expect_type(require(body, "file_id"), str, "file_id")
    strategy = chunking_strategy(body.get("chunking_strategy"))
    attrs = attributes(body.get("attributes"))
    with app.store.transaction():
        get_writable_vector_store(app, vector_store_id)
        file_row = app.store.get(FILE, file_id)
        if file_row is None:
            raise invalid(f"No file found with id '{file_id}'.", param="file_id", code="file_not_found")
        # `file_ids`, not `file_id`: what OpenAI names in this refusal even for a single attach
        refuse_unsearchable([file_row], "file_ids")
        view = attach_file(app, vector_store_id, file_row, strategy, attrs)
    return polled(app, view)


def _status_filter(request: Request) -> str | None:
    value = request.query.get("filter")
    return one_of(value, "filter", STATUSES) if value is not None else None


def list_vector_store_files(app: App, request: Request) -> dict[str, Any]:
    vector_store_id = request.params["vector_store_id"]
    params = parse_list_params(request.query)
    wanted = _status_filter(request)
    get_vector_store(app, vector_store_id)
    return _paginate_members(app, params, vector_store_id, wanted)


def _paginate_members(
    app: App, params: ListParams, vector_store_id: str, wanted: str | None, batch_id: str | None = None
) -> dict[str, Any]:
    """A page of a store's files (only one batch's when `batch_id`), with `status` equal to `wanted`."""
    now = app.now()
    return paginate(
        app.store,
        VECTOR_STORE_FILE,
        params,
        lambda row: indexing.vector_store_file_view(row, now),
        parent=vector_store_id,
        match={"_batch_id": batch_id} if batch_id else None,
        keep=(lambda row: indexing.status_at(row, now)[0] == wanted) if wanted else None,
    )


def retrieve_vector_store_file(app: App, request: Request) -> Response:
    vector_store_id = request.params["vector_store_id"]
    get_vector_store(app, vector_store_id)
    row = _get_vector_store_file(app, vector_store_id, request.params["file_id"])
    return polled(app, indexing.vector_store_file_view(row, app.now()))


def update_vector_store_file(app: App, request: Request) -> dict[str, Any]:
    vector_store_id = request.params["vector_store_id"]
    body = request.json()
    reject_unknown(body, ["attributes"])
    if "attributes" not in body:
        raise invalid(
            "Missing required parameter: 'attributes'.", param="attributes", code="missing_required_parameter"
        )
    attrs = attributes(body["attributes"])
    with app.store.transaction():
        get_vector_store(app, vector_store_id)
        row = _get_vector_store_file(app, vector_store_id, request.params["file_id"])
        row["attributes"] = attrs if attrs is not None else {}
        app.store.update(VECTOR_STORE_FILE, row["id"], row, parent=vector_store_id)
    return indexing.vector_store_file_view(row, app.now())


def delete_vector_store_file(app: App, request: Request) -> dict[str, Any]:
    vector_store_id = request.params["vector_store_id"]
    file_id = request.params["file_id"]
    with app.store.transaction():
        get_vector_store(app, vector_store_id)
        _get_vector_store_file(app, vector_store_id, file_id)
        app.store.delete(VECTOR_STORE_FILE, file_id, parent=vector_store_id)
    return {"id": file_id, "object": "vector_store.file.deleted", "deleted": True}


# --- file batches -------------------------------------------------------------------------


def _get_batch(app: App, vector_store_id: str, batch_id: str) -> dict[str, Any]:
    get_vector_store(app, vector_store_id)
    id_prefix(batch_id, "batch_id", "vsfb")
    row = app.store.get(BATCH, batch_id, parent=vector_store_id)
    if row is None:
        raise not_found(f"No file batch found with id '{batch_id}' in vector store '{vector_store_id}'.")
    return row


def create_batch(app: App, request: Request) -> Response:
    vector_store_id = request.params["vector_store_id"]
    body = request.json()
    reject_unknown(body, ["file_ids", "files", "attributes", "chunking_strategy"])
    has_ids, has_files = body.get("file_ids") is not None, body.get("files") is not None
    if has_ids and has_files:
        raise invalid(
            "The parameters 'file_ids' and 'files' are mutually exclusive; provide only one of them.",
            param="files",
            code="invalid_request",
        )
    if not has_ids and not has_files:
        raise invalid("Missing required parameter: 'file_ids'.", param="file_ids", code="missing_required_parameter")
    default_strategy = chunking_strategy(body.get("chunking_strategy"))
    default_attrs = attributes(body.get("attributes"))
    entries: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]] = []
    if has_ids:
        ids = array(body["file_ids"], "file_ids", max_items=2000, min_items=1)
        for index, file_id in enumerate(ids):
            expect_type(file_id, str, f"file_ids[{index}]")
            entries.append((file_id, f"file_ids[{index}]", default_strategy, default_attrs))
    else:
        # Per-file entries replace the batch-wide attributes and chunking strategy.
        for index, item in enumerate(array(body["files"], "files", max_items=2000, min_items=1)):
            prefix = f"files[{index}]"
            expect_type(item, dict, prefix)
            reject_unknown(item, ["file_id", "chunking_strategy", "attributes"], f"{prefix}.")
            file_id = expect_type(require(item, "file_id", f"{prefix}."), str, f"{prefix}.file_id")
            entries.append(
                (
                    file_id,
                    f"{prefix}.file_id",
                    chunking_strategy(item.get("chunking_strategy"), f"{prefix}.chunking_strategy"),
                    attributes(item.get("attributes"), f"{prefix}.attributes"),
                )
            )
    batch_id = new_id("vsfb_", 32)
    with app.store.transaction():
        get_writable_vector_store(app, vector_store_id)
        file_rows = []
        for file_id, param, _, _ in entries:
            file_row = app.store.get(FILE, file_id)
            if file_row is None:
                raise invalid(f"No file found with id '{file_id}'.", param=param, code="file_not_found")
            file_rows.append(file_row)
        refuse_unsearchable(file_rows, "file_ids" if has_ids else "files")
        row = {
            "id": batch_id,
            "object": "vector_store.files_batch",
            "created_at": int(app.now()),
            "vector_store_id": vector_store_id,
            "_file_ids": [entry[0] for entry in entries],
            "_cancelled": False,
        }
        app.store.insert(BATCH, batch_id, row, parent=vector_store_id)
        for file_row, (_, _, strategy, attrs) in zip(file_rows, entries):
            attach_file(app, vector_store_id, file_row, strategy, attrs, batch_id=batch_id)
        view = batch_view(app, row)
    return polled(app, view)


def retrieve_batch(app: App, request: Request) -> Response:
    row = _get_batch(app, request.params["vector_store_id"], request.params["batch_id"])
    return polled(app, batch_view(app, row))


def cancel_batch(app: App, request: Request) -> Response:
    vector_store_id = request.params["vector_store_id"]
    with app.store.transaction():
        row = _get_batch(app, vector_store_id, request.params["batch_id"])
        now = app.now()
        pending = [
            stored
            for stored in app.store.list(VECTOR_STORE_FILE, vector_store_id)
            if stored.get("_batch_id") == row["id"]
            and indexing.vector_store_file_view(stored, now)["status"] == "in_progress"
        ]
        # A batch that already finished stays as it is; cancelling only stops pending work.
        if pending:
            for stored in pending:
                stored["_cancelled"] = True
                app.store.update(VECTOR_STORE_FILE, stored["id"], stored, parent=vector_store_id)
            row["_cancelled"] = True
            app.store.update(BATCH, row["id"], row, parent=vector_store_id)
        view = batch_view(app, row)
    return polled(app, view)


def list_batch_files(app: App, request: Request) -> dict[str, Any]:
    params = parse_list_params(request.query)
    wanted = _status_filter(request)
    row = _get_batch(app, request.params["vector_store_id"], request.params["batch_id"])
    return _paginate_members(app, params, row["vector_store_id"], wanted, batch_id=row["id"])


def register(router: Router) -> None:
    base = "/v1/vector_stores/{vector_store_id}"
    router.add("POST", f"{base}/files", create_vector_store_file)
    router.add("GET", f"{base}/files", list_vector_store_files)
    router.add("GET", f"{base}/files/{{file_id}}", retrieve_vector_store_file)
    router.add("POST", f"{base}/files/{{file_id}}", update_vector_store_file)
    router.add("DELETE", f"{base}/files/{{file_id}}", delete_vector_store_file)
    router.add("POST", f"{base}/file_batches", create_batch)
    router.add("GET", f"{base}/file_batches/{{batch_id}}", retrieve_batch)
    router.add("POST", f"{base}/file_batches/{{batch_id}}/cancel", cancel_batch)
    router.add("GET", f"{base}/file_batches/{{batch_id}}/files", list_batch_files)
