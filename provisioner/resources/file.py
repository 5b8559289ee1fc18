"""Handler for uploaded files (`files:` entries and file set members).

A file is identified by its content hash: the API keeps no hash, so the live side takes the hash
recorded at upload, and a changed hash replaces the file. Files carry no metadata in the API, so
each upload carries its intent's marker in its filename (`x.md` is uploaded as `x.<marker>.md`,
keeping the extension the file type is known by); that marker, and nothing that merely looks
alike (name, size), is what recovery takes an untracked upload back by. The marker follows from
what the file is (stack, workspace, address, name, purpose, content: see file_marker), so a state
that was lost can still find each declared file's upload by it.
"""
from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path, PurePosixPath
from typing import Any

from provisioner.api.base import Api, NotFound, Obj
from provisioner.addresses import FILE_ID_PREFIX
from provisioner.config.spec import FileSetSpec, FileSpec, LocalFile, Stack
from provisioner.errors import ProvisionerError
from provisioner.resources.base import (DECLARED_MARKER, MARKER_HEX_DIGITS, ApplyContext, Declared, KindHandler,
                                        ObserveContext, Resolve)

_MARKER = re.compile(rf"\.([0-9a-f]{{{MARKER_HEX_DIGITS}}})$")


def marked(filename: str, marker: str) -> str:
    """The name an upload is sent under: the marker goes before the extension."""
    suffix = PurePosixPath(filename).suffix
    return f"{filename[:len(filename) - len(suffix)]}.{marker}{suffix}" if marker else filename


def split_marker(filename: str) -> tuple[str, str | None]:
    """(the declared name, the marker) of a live filename; (filename, None) when it carries none."""
    suffix = PurePosixPath(filename).suffix
    stem = filename[:len(filename) - len(suffix)]
    found = _MARKER.search(stem)
    if found:
        return stem[:found.start()] + suffix, found[1]
    found = _MARKER.fullmatch(suffix) if stem else None  # a name without extension: the marker is last
    return (stem, found[1]) if found else (filename, None)


def file_marker(stack_name: str, workspace: str, address: str, filename: str, purpose: str, sha256: str) -> str:
    """The marker of this stack's upload of exactly this file. Everything that forces a replacement is
    in it, so a replacement never carries the marker of the upload it replaces."""
    identity = "\0".join((stack_name, workspace, address, filename, purpose, sha256))
    return hashlib.sha256(identity.encode()).hexdigest()[:MARKER_HEX_DIGITS]


def _attributes(stack: Stack, local: LocalFile, _resolve: Resolve) -> dict[str, Any]:
    return {"filename": local.filename, "purpose": local.purpose, "bytes": local.size, "sha256": local.sha256,
            "path": str(local.path),
            DECLARED_MARKER: file_marker(stack.name, stack.workspace, local.address, local.filename, local.purpose,
                                         local.sha256)}


class FileHandler(KindHandler):
    kind = "file"
    noun = "file"
    sections = {"files": FileSpec, "file_sets": FileSetSpec}
    external_prefix = FILE_ID_PREFIX
    ignorable = {"purpose": ("purpose",), "content": ("sha256", "bytes")}
    replace_fields = frozenset({"filename", "purpose", "bytes", "sha256"})
    apply_only_fields = frozenset({"path", DECLARED_MARKER})

    def declare(self, stack: Stack) -> list[Declared]:
        return [
            Declared(address, self.kind, (), functools.partial(_attributes, stack, local))
            for address, local in stack.local_files.items()
        ]

    def observe(self, api: Api, ctx: ObserveContext) -> dict[str, Obj]:
        return {f["id"]: f for f in api.list_files()}

    def live_attributes(self, live: Obj, address: str, ctx: ObserveContext) -> dict[str, Any]:
        recorded = ctx.recorded.get(address, {})
        filename = live["filename"]
        if filename != recorded.get("filename"):  # else an older version uploaded it under its own name
            filename = split_marker(filename)[0]
        return {"filename": filename, "purpose": live["purpose"], "bytes": live["bytes"],
                "sha256": recorded.get("sha256")}

    def carries_marker(self, live: Obj, marker: str) -> bool:
        return split_marker(live["filename"])[1] == marker

    def owned_address(self, live: Obj, ctx: ObserveContext) -> str | None:
        # no metadata to carry tags: only a marker that follows from a declared file proves an upload
        # this stack's, and names its address (the marker covers stack, workspace and address)
        if not ctx.declared_markers:
            return None
        marker = split_marker(live["filename"])[1]
        return ctx.declared_markers.get(marker) if marker else None

    def create(self, api: Api, after: dict[str, Any], ctx: ApplyContext) -> tuple[str, dict[str, Any]]:
        path = Path(after["path"])
        # the plan promised this content; a file edited since is a stale plan, not an upload
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise ProvisionerError(f"cannot read {path}: {exc.strerror}") from None
        if digest != after["sha256"]:
            raise ProvisionerError(f"{path} changed since the plan was made",
                                   hint="run plan again and apply the new plan")
        ctx.progress(f"uploading {after['filename']} ({after['bytes']} bytes)")
        live = api.upload_file(path, marked(after["filename"], ctx.marker), after["purpose"])
        return live["id"], dict(after)

    def update(self, api: Api, live_id: str, before: dict[str, Any], after: dict[str, Any],
               ctx: ApplyContext) -> dict[str, Any]:
        # every compared field forces replacement, so an update only re-records (e.g. an adoption)
        return dict(after)

    def delete(self, api: Api, live_id: str) -> None:
        try:
            api.delete_file(live_id)
        except NotFound:
            pass


def look_alikes(uploads: dict[str, dict[str, Any]], live: dict[str, Obj]) -> list[tuple[str, str, str]]:
    """(address, live id, live filename) of each live file with the declared name, purpose and size of
    a planned upload (`uploads`: address -> declared attributes), among the untracked ones the caller
    gives (those this stack's stores hold): what an older provisioner uploaded under a random marker,
    or a hand upload attached to the store."""
    wanted: dict[tuple[Any, ...], list[str]] = {}
    for address, after in uploads.items():
        wanted.setdefault((after["filename"], after["purpose"], after["bytes"]), []).append(address)
    found = []
    for live_id, file in sorted(live.items()):
        key = (split_marker(file["filename"])[0], file.get("purpose"), file.get("bytes"))
        found += [(address, live_id, file["filename"]) for address in wanted.get(key, ())]
    return found
