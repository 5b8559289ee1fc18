"""Handler for uploaded files (`files:` entries and file set members).

A file is identified by its content hash: the API keeps no hash, so the live side takes the hash
recorded at upload, and a changed hash replaces the file. Files carry no metadata in the API, so
an untracked upload is recognised by name, size and purpose.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from provisioner.api.base import Api, NotFound, Obj
from provisioner.config.spec import Stack
from provisioner.errors import ProvisionerError
from provisioner.resources.base import ApplyContext, Declared, ObserveContext


class FileHandler:
    kind = "file"
    replace_fields = frozenset({"filename", "purpose", "bytes", "sha256"})
    apply_only_fields = frozenset({"path"})

    def declare(self, stack: Stack) -> list[Declared]:
        return [
            Declared(address, self.kind, (), lambda _resolve, f=local: {
                "filename": f.filename, "purpose": f.purpose, "bytes": f.size, "sha256": f.sha256,
                "path": str(f.path),
            })
            for address, local in stack.local_files.items()
        ]

    def observe(self, api: Api, ctx: ObserveContext) -> dict[str, Obj]:
        return {f["id"]: f for f in api.list_files()}

    def live_attributes(self, live: Obj, address: str, ctx: ObserveContext) -> dict[str, Any]:
        recorded = ctx.recorded.get(address, {})
        return {"filename": live["filename"], "purpose": live["purpose"], "bytes": live["bytes"],
                "sha256": recorded.get("sha256")}

    def adoptable(self, live: Obj, address: str, desired: dict[str, Any], stack_name: str) -> bool:
        # an intent recorded by an older version holds nothing to compare: never a match
        return (live["filename"], live["purpose"], live["bytes"]) == (
            desired.get("filename"), desired.get("purpose"), desired.get("bytes"))

    def unusable(self, live: Obj) -> str | None:
        return None

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
        live = api.upload_file(path, after["filename"], after["purpose"])
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
