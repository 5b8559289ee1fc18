"""Readable values and value changes for plans and drift reports: rows of (sign, text), never truncated.

A changed multi-line string (instructions, descriptions) is a unified line diff; a nested value
(a JSON Schema, a list of tools) is one row per leaf with its full path; many files of one file
set acting alike are one group. The caller indents and paints the rows. It must not decide
anything: it only lays out what the plan holds.
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from provisioner.diff import field_path
from provisioner.errors import display_path
from provisioner.observe import is_deposed, replaced_address
from provisioner.plan import Action, Change, FieldChange, referenced_address

KNOWN_AFTER_APPLY = "(known after apply)"
CONTEXT_LINES = 2  # around each changed hunk of a multi-line string
GROUP_MIN = 10  # this many files of one file set acting alike read as one group
# a diff path into a map keyed by file set members, e.g. files["file_sets.docs[\"a.md\"]"].attributes
_MEMBER_PATH = re.compile(r'^(?P<prefix>.*?)\["file_sets\.(?P<set>[A-Za-z][A-Za-z0-9_-]*)\[')
Row = tuple[str, str]  # (sign: "+", "-", "~", " " or "@", text without indentation)


def scalar(value: Any) -> str:
    if isinstance(value, Summary):
        return str(value)
    if referenced_address(value):
        return KNOWN_AFTER_APPLY
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _multiline(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value.rstrip("\n")


class Summary(str):
    """A value shown as its description (e.g. a store's 2,000 members), not as JSON."""


def leaves(value: Any, path: tuple = ()) -> list[tuple[str, Any]]:
    """Nested attributes as (path, value) rows, to any depth, so a schema reads field by field;
    a map holding many members of one file set (a store's files) is one row per set."""
    if isinstance(value, dict) and value:
        sets = _file_set_counts(value)
        rows, summarised = [], set()
        for key, item in value.items():
            member_of = _member_of(key)
            if member_of is not None and sets[member_of] >= GROUP_MIN:
                if member_of not in summarised:
                    summarised.add(member_of)
                    rows.append((field_path((*path, f"{member_of}[*]")),
                                 Summary(f"{sets[member_of]} files of {member_of}")))
                continue
            rows += leaves(item, (*path, key))
        return rows
    if isinstance(value, list) and value and not _short_scalars(value):
        return [row for i, item in enumerate(value) for row in leaves(item, (*path, i))]
    if value in (None, {}, []):
        return [] if path else [("", value)]
    if path and path[-1] == "path" and isinstance(value, str):
        value = display_path(value)
    return [(field_path(path), value)]


def _short_scalars(items: list) -> bool:
    """A list of short scalars (an enum, `required`) reads best on one line."""
    return all(not isinstance(i, (dict, list)) and not _multiline(i) for i in items) and len(scalar(items)) <= 100


def value_rows(sign: str, path: str, value: Any) -> list[Row]:
    """`path = value` rows for a value being added or removed, one per leaf."""
    rows: list[Row] = []
    for relative, leaf in leaves(value):
        leaf_path = path + relative if not path or not relative or relative.startswith("[") else f"{path}.{relative}"
        if _multiline(leaf):
            rows.append((sign, f"{leaf_path} = <<EOT"))
            rows += [(sign, f"    {line}") for line in leaf.splitlines()]
            rows.append((sign, "EOT"))
        else:
            rows.append((sign, f"{leaf_path} = {scalar(leaf)}"))
    return rows


def field_rows(row: FieldChange) -> list[Row]:
    note = "  # forces replacement" if row.forces_replacement else ""
    if row.before is None:
        rows = value_rows("+", row.path, row.after)
    elif row.after is None:
        rows = value_rows("-", row.path, row.before)
    elif isinstance(row.before, str) and isinstance(row.after, str) and (
            _multiline(row.before) or _multiline(row.after)):
        rows = [("~", f"{row.path}:")] + text_diff(row.before, row.after)
    elif isinstance(row.before, (dict, list)) or isinstance(row.after, (dict, list)):
        rows = value_rows("-", row.path, row.before) + value_rows("+", row.path, row.after)
    else:
        rows = [("~", f"{row.path}: {scalar(row.before)} -> {scalar(row.after)}")]
    if note:
        sign, text = rows[0]
        rows[0] = (sign, text + note)
    return rows


def diff_rows(diff: list[FieldChange]) -> list[Row]:
    """Rows for a change's diff; many members of one file set changing alike in a map are one row."""
    counts: dict[tuple[str, str, str], int] = {}
    for row in diff:
        key = _member_row_key(row)
        if key:
            counts[key] = counts.get(key, 0) + 1
    rows: list[Row] = []
    shown: set[tuple[str, str, str]] = set()
    for row in diff:
        key = _member_row_key(row)
        if key is None or counts[key] < GROUP_MIN:
            rows += field_rows(row)
        elif key not in shown:
            shown.add(key)
            prefix, file_set, how = key
            sign = {"added": "+", "removed": "-"}.get(how, "~")
            rows.append((sign, f"{prefix}: {counts[key]} files of {file_set} {how}"))
    return rows


def _member_row_key(row: FieldChange) -> tuple[str, str, str] | None:
    match = _MEMBER_PATH.match(row.path)
    if match is None:
        return None
    how = "added" if row.before is None else "removed" if row.after is None else "changed"
    return match["prefix"], f"file_sets.{match['set']}", how


def _file_set_counts(mapping: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in mapping:
        member_of = _member_of(key)
        if member_of is not None:
            counts[member_of] = counts.get(member_of, 0) + 1
    return counts


def _member_of(key: Any) -> str | None:
    """The file set a map key names a member of (`file_sets.docs["a.md"]` -> `file_sets.docs`)."""
    if isinstance(key, str) and key.startswith("file_sets.") and key.endswith("]") and "[" in key:
        return key.split("[", 1)[0]
    return None


def text_diff(before: str, after: str) -> list[Row]:
    """A unified diff of two texts, line by line, without the file header lines."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=CONTEXT_LINES)
    rows: list[Row] = []
    for line in lines:
        if line.startswith(("---", "+++")) and not rows:
            continue
        if line.startswith("@"):
            rows.append(("@", f"  {line}"))
        else:
            rows.append((line[:1] or " ", f"  {line[1:]}"))
    return rows


@dataclass(frozen=True)
class Group:
    """Many files of one file set with the same action, printed as one line."""

    file_set: str  # its address, e.g. file_sets.docs
    action: Action
    members: tuple[Change, ...]
    deposed: bool = False  # the old objects of replaced files

    @property
    def names(self) -> list[str]:
        return [json.loads(replaced_address(m.address)[len(self.file_set) + 1:-1]) for m in self.members]

    @property
    def bytes(self) -> int:
        return sum(((m.after or m.before or {}).get("bytes") or 0) for m in self.members)

    def headline(self) -> str:
        return f"{len(self.members)} {'old ' if self.deposed else ''}files in {self.file_set} ({self.bytes:,} bytes)"


def grouped(changes: list[Change]) -> list[Change | Group]:
    """The changes in order, with each file set's members of one action gathered where the first stood."""
    by_key: dict[tuple[str, Action, bool], list[Change]] = {}
    for change in changes:
        key = _set_key(change)
        if key:
            by_key.setdefault(key, []).append(change)
    out: list[Change | Group] = []
    placed: set[tuple[str, Action, bool]] = set()
    for change in changes:
        key = _set_key(change)
        if key is None or len(by_key[key]) < GROUP_MIN:
            out.append(change)
        elif key not in placed:
            placed.add(key)
            out.append(Group(key[0], key[1], tuple(by_key[key]), key[2]))
    return out


def _set_key(change: Change) -> tuple[str, Action, bool] | None:
    if change.kind != "file" or not change.address.startswith("file_sets.") or "[" not in change.address:
        return None
    return change.address.split("[", 1)[0], change.action, is_deposed(change.address)
