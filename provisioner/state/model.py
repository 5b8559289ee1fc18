"""The state document: what this tool last applied for one stack, as data.

Owns the shape of state (resources by address, outputs, serial, lineage) and its JSON encoding,
pretty and key-sorted so diffs of state files are reviewable. It must not read or write storage,
bump the serial or hold locks: the manager does that, once, above every backend.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from provisioner.errors import StateError

STATE_VERSION = 1


class ResourceState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str
    kind: str
    id: str | None
    attributes: dict[str, Any] = {}
    dependencies: list[str] = []


class State(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = STATE_VERSION
    lineage: str  # required: a stored state that lost it must not silently get a new history
    serial: int = Field(default=0, ge=0)
    stack: str
    resources: dict[str, ResourceState] = {}
    outputs: dict[str, Any] = {}

    @classmethod
    def new(cls, stack: str) -> "State":
        """The empty state of a stack that was never applied, starting a new lineage."""
        return cls(stack=stack, lineage=uuid.uuid4().hex)

    @model_validator(mode="after")
    def _keys_are_addresses(self) -> "State":
        # The key is what the planner looks up; a mismatch would silently orphan a resource.
        for key, resource in self.resources.items():
            if key != resource.address:
                raise ValueError(f"resource stored under {key!r} has address {resource.address!r}")
        return self

    def fingerprint(self) -> str:
        """Identifies this exact state revision; a saved plan records it to refuse stale plans."""
        return hashlib.sha256(f"{self.lineage}:{self.serial}".encode()).hexdigest()


def encode(state: State) -> bytes:
    text = json.dumps(state.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def decode(data: bytes, source: str) -> State:
    """Parse a stored state; anything unusable is a StateError naming `source` and the way out."""
    restore = (
        f"restore the last good copy (a local state keeps the previous version as {source}.backup),"
        " or move the file aside to start empty (resources it tracked would then be created again)"
    )
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StateError(f"state {source} is not valid JSON: {exc}", hint=restore) from exc
    if not isinstance(document, dict):
        raise StateError(f"state {source} is not a JSON object", hint=restore)
    version = document.get("version")
    if isinstance(version, int) and version > STATE_VERSION:
        raise StateError(
            f"state {source} has format version {version}; this provisioner reads up to {STATE_VERSION}",
            hint="upgrade provisioner; an older one must not rewrite a newer state",
        )
    try:
        return State.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(document)'}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise StateError(f"state {source} is not a valid state document: {problems}", hint=restore) from exc
