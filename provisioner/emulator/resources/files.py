"""/v1/files: multipart upload, list, retrieve, delete, content.

Owns the File object and the rule that deleting a file detaches it from every vector store.
Must not decide indexing outcomes (indexing.py does).
"""

from __future__ import annotations

from typing import Any

from .. import multipart
from ..errors import invalid
from ..pagination import paginate, parse_list_params
from ..routing import App, Request, Response, Router, new_id
from ..validation import integer_in_range, one_of
from .common import FILE, VECTOR_STORE_FILE, get_file, public

PURPOSES = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"]
MAX_FILE_BYTES = 512 * 1024 * 1024
# Files uploaded for the Batch API expire after 30 days unless told otherwise.
BATCH_DEFAULT_EXPIRY_SECONDS = 30 * 86400


def create_file(app: App, request: Request) -> dict[str, Any]:
    parts = multipart.parse(request.headers.get("content-type", ""), request.body)
    known = {"file", "purpose", "expires_after[anchor]", "expires_after[seconds]"}
    for name in parts:
        if name not in known:
            raise invalid(f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter")
    if "file" not in parts or parts["file"].filename is None:
        raise invalid("Missing required parameter: 'file'.", param="file", code="missing_required_parameter")
    if "purpose" not in parts:
        raise invalid("Missing required parameter: 'purpose'.", param="purpose", code="missing_required_parameter")
    purpose = one_of(parts["purpose"].content.decode("utf-8", "replace"), "purpose", PURPOSES)
    content = parts["file"].content
    if len(content) > MAX_FILE_BYTES:
        raise invalid(
            f"File is too large. The maximum file size is {MAX_FILE_BYTES} bytes.", param="file", code="file_too_large"
        )
    created_at = int(app.now())
    expires_at = created_at + BATCH_DEFAULT_EXPIRY_SECONDS if purpose == "batch" else None
    if "expires_after[anchor]" in parts or "expires_after[seconds]" in parts:
        anchor = parts.get("expires_after[anchor]")
        one_of(anchor.content.decode() if anchor else None, "expires_after.anchor", ["created_at"])
        raw_seconds = parts.get("expires_after[seconds]")
        try:
            seconds = int(raw_seconds.content) if raw_seconds else None
        except ValueError:
            seconds = None
        if seconds is None:
            raise invalid(
                "Missing required parameter: 'expires_after.seconds'.",
                param="expires_after.seconds",
                code="missing_required_parameter",
            )
        expires_at = created_at + integer_in_range(seconds, "expires_after.seconds", 3600, 2592000)
    file_id = new_id("file-", 22)
    row = {
        "id": file_id,
        "object": "file",
        "bytes": len(content),
        "created_at": created_at,
        "expires_at": expires_at,
        "filename": parts["file"].filename,
        "purpose": purpose,
        "status": "processed",
        "status_details": None,
    }
    with app.store.transaction():
        app.store.put_blob(file_id, content)
        app.store.insert(FILE, file_id, row)
    return row


def list_files(app: App, request: Request) -> dict[str, Any]:
    # GET /files pages up to 10,000 objects and has no `before` cursor.
    params = parse_list_params(request.query, default_limit=10000, max_limit=10000, allow_before=False)
    purpose = request.query.get("purpose")
    return paginate(app.store, FILE, params, public, match={"purpose": purpose} if purpose else None)


def retrieve_file(app: App, request: Request) -> dict[str, Any]:
    return public(get_file(app, request.params["file_id"]))


def delete_file(app: App, request: Request) -> dict[str, Any]:
    file_id = request.params["file_id"]
    with app.store.transaction():
        get_file(app, file_id)
        for vector_store_id in app.store.parents_of(VECTOR_STORE_FILE, file_id):
            app.store.delete(VECTOR_STORE_FILE, file_id, vector_store_id)
        app.store.delete(FILE, file_id)
        app.store.delete_blob(file_id)
    return {"id": file_id, "object": "file", "deleted": True}


def file_content(app: App, request: Request) -> Response:
    row = get_file(app, request.params["file_id"])
    if row["purpose"] == "assistants":
        # The real API keeps assistants-purpose uploads write-only.
        raise invalid("Not allowed to download files of purpose: assistants.")
    content = app.store.get_blob(row["id"]) or b""
    return Response(body=content, content_type="application/octet-stream")


def register(router: Router) -> None:
    router.add("POST", "/v1/files", create_file)
    router.add("GET", "/v1/files", list_files)
    router.add("GET", "/v1/files/{file_id}", retrieve_file)
    router.add("DELETE", "/v1/files/{file_id}", delete_file)
    router.add("GET", "/v1/files/{file_id}/content", file_content)
