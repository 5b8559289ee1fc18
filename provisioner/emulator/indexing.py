"""Asynchronous indexing, derived from time instead of run by a worker.

A vector store file records when it was attached (`_ready_at`, wall clock) and what indexing
will end in (`_outcome`). Its status, its store's `file_counts`/`usage_bytes`/`status` and its
batch's counts are computed on every read, so indexing keeps "progressing" across restarts and
in CLI processes that embed the emulator only briefly. Also owns which files file_search can
index: a type it cannot is refused when attached, content it cannot read fails indexing.
Must not write storage.
"""

from __future__ import annotations

import codecs
import os
from typing import Any

from .config import EmulatorConfig

# Extensions the file_search tool can index (OpenAI's "supported files" table).
SEARCHABLE_EXTENSIONS = frozenset(
    ".c .cpp .cs .css .doc .docx .go .html .java .js .json .md .pdf .php .pptx .py .rb .sh .tex .ts .txt".split()
)


# Searchable types that are not plain text; every other one must hold text to be indexed.
DOCUMENT_EXTENSIONS = frozenset(".doc .docx .pdf .pptx".split())
# How much of a file is read to tell text from binary content.
SNIFF_BYTES = 64 * 1024


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        # incremental, so a character cut at the end of `head` is not taken for bad UTF-8
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def unsearchable_extension(file_obj: dict[str, Any]) -> str | None:
    """The file's extension ("" for none) when file_search cannot index that type, else None.

    OpenAI checks this when a file is attached and refuses the request (400 unsupported_file);
    only files that pass it get as far as indexing, which may still fail on their content."""
    extension = os.path.splitext(file_obj["filename"])[1].lower()
    return None if extension in SEARCHABLE_EXTENSIONS else extension


def plan_indexing(file_obj: dict[str, Any], head: bytes, config: EmulatorConfig, now: float) -> dict[str, Any]:
    """Private fields to store on a new vector store file: when and how indexing ends.

    `head` is the start of the file's content (SNIFF_BYTES of it is enough)."""
    size_kb = file_obj["bytes"] / 1024
    delay_s = (config.index_base_ms + config.index_ms_per_kb * size_kb) / 1000
    extension = os.path.splitext(file_obj["filename"])[1].lower()
    if file_obj["bytes"] == 0:
        outcome = "failed"
        error = {"code": "invalid_file", "message": "The file could not be parsed because it is empty."}
    elif extension not in DOCUMENT_EXTENSIONS and not _is_text(head[:SNIFF_BYTES]):
        # what OpenAI reports, after accepting the attach, for content that does not match its
        # (supported) extension, e.g. an image renamed .md
        outcome = "failed"
        error = {"code": "unsupported_file", "message": "The file type is not supported."}
    else:
        outcome, error = "completed", None
    return {"_ready_at": now + delay_s, "_outcome": outcome, "_error": error, "_size": file_obj["bytes"]}


# the private fields `status_at` reads: all a count needs, far less than a whole stored file
STATUS_FIELDS = ("_cancelled", "_ready_at", "_outcome", "_size")


def status_at(row: dict[str, Any], now: float) -> tuple[str, int]:
    """A stored vector store file's status and usage_bytes at time `now`."""
    if row.get("_cancelled"):
        return "cancelled", 0
    if now < row["_ready_at"]:
        return "in_progress", 0
    if row["_outcome"] == "completed":
        return "completed", row["_size"]
    return "failed", 0


def vector_store_file_view(row: dict[str, Any], now: float) -> dict[str, Any]:
    """The wire form of a stored vector store file at time `now`."""
    view = {key: value for key, value in row.items() if not key.startswith("_")}
    status, usage = status_at(row, now)
    view.update(status=status, usage_bytes=usage, last_error=row["_error"] if status == "failed" else None)
    return view


def count(rows: list[dict[str, Any]], now: float) -> tuple[dict[str, int], int]:
    """`file_counts` and total usage_bytes over stored vector store files (STATUS_FIELDS suffice)."""
    counts = {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0}
    usage = 0
    for row in rows:
        status, used = status_at(row, now)
        counts[status] += 1
        usage += used
    counts["total"] = len(rows)
    return counts, usage


def batch_status(counts: dict[str, int], cancelled: bool) -> str:
    if cancelled:
        return "cancelled"
    if counts["in_progress"]:
        return "in_progress"
    if counts["total"] and counts["failed"] == counts["total"]:
        return "failed"
    return "completed"
