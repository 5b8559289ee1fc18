"""The state journal: one small entry per recorded change, replayed over the last snapshot.

Owns the entry format (a CRC32 of the JSON body, a space, the body on one line) and the replay
rules: entries carry the stack, the lineage and the serial they produce, so an entry already folded into the
snapshot (a compaction interrupted before the journal was dropped) is skipped, a torn last entry
(a crash mid-append: its call never returned, so nothing relied on it) is ignored, and a gap, a
foreign lineage or a damaged entry before the end is an error. It must not read or write storage.

Entry bodies: `{"op": "set", "address": A, "resource": {...}}` sets a resource whole,
`{"op": "remove", "address": A}` drops it, and `{"op": "members", "address": A, "set": {key: v},
"remove": [key]}` changes some members of a vector store's `files` attribute without repeating the
others, so a store of thousands of files costs one small entry per change.
"""
from __future__ import annotations

import json
import zlib
from typing import Any

from pydantic import ValidationError

from provisioner.errors import StateError
from provisioner.state.model import ResourceState, State

MEMBERS_ATTRIBUTE = "files"


def encode_entry(body: dict[str, Any]) -> bytes:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return b"%08x " % zlib.crc32(text) + text


def _decode_entry(raw: bytes) -> dict[str, Any] | None:
    """The entry's body, or None if it is damaged (torn or altered)."""
    checksum, _, text = raw.partition(b" ")
    try:
        if int(checksum, 16) != zlib.crc32(text):
            return None
        body = json.loads(text.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def apply_entry(state: State, body: dict[str, Any]) -> None:
    """Carry out one entry on `state` in place (the caller bumps the serial)."""
    address, op = body["address"], body["op"]
    if op == "set":
        resource = ResourceState.model_validate(body["resource"])
        if resource.address != address:
            raise ValueError(f"resource for {address!r} carries address {resource.address!r}")
        state.resources[address] = resource
    elif op == "remove":
        state.resources.pop(address, None)
    elif op == "members":
        members = state.resources[address].attributes.setdefault(MEMBERS_ATTRIBUTE, {})
        members.update(body.get("set") or {})
        for key in body.get("remove") or ():
            members.pop(key, None)
    else:
        raise ValueError(f"unknown journal operation {op!r}")


def replay(snapshot: State | None, entries: list[bytes], source: str) -> State | None:
    """The snapshot with every journal entry after it carried out, in place; None if there is neither."""
    state = snapshot
    where = f"the journal of state {source}"
    move_aside = (f"if the snapshot {source} was replaced on purpose, move {source}.journal aside;"
                  " otherwise restore the matching snapshot")
    for number, raw in enumerate(entries, start=1):
        body = _decode_entry(raw)
        if body is None:
            if number == len(entries):
                break  # torn by a crash mid-append: that call never returned, so nothing relied on it
            raise StateError(f"{where} is damaged at entry {number} of {len(entries)}",
                             hint="restore the state from a backup; the entries after the damage cannot be trusted")
        if state is None:
            state = State(stack=body.get("stack", ""), lineage=body.get("lineage", ""))  # a first run that never compacted
        if body.get("lineage") != state.lineage:
            raise StateError(f"{where} belongs to lineage {body.get('lineage')}, the snapshot to {state.lineage}",
                             hint=move_aside)
        serial = body.get("serial")
        if not isinstance(serial, int) or serial <= state.serial:
            continue  # already in the snapshot: a compaction stopped before it dropped the journal
        if serial != state.serial + 1:
            raise StateError(f"{where} jumps from serial {state.serial} to {serial}", hint=move_aside)
        try:
            apply_entry(state, body)
        except (KeyError, ValueError, ValidationError) as exc:
            raise StateError(f"{where}: entry {number} cannot be applied: {exc}", hint=move_aside) from None
        state.serial = serial
    return state
