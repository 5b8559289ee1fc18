"""Field-level differences between two attribute maps, as FieldChange rows.

Built on deepdiff so nested maps and lists diff to the exact path. It must not know resource kinds:
the caller says which top-level fields force replacement.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable

from deepdiff import DeepDiff
from deepdiff.helper import NotPresent

from provisioner.plan import FieldChange

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def field_path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return text


def _canonical(value: Any) -> str:
    # JSON text tells 1 from 1.0 and true from 1, as DeepDiff does and == does not
    return json.dumps(value, sort_keys=True, default=repr)


def _differing(before: Any, after: Any) -> tuple[Any, Any]:
    """Both maps with every equal value replaced by None on both sides, at every depth of nested
    maps: DeepDiff finds the same paths without walking, e.g., all 2,000 members of a store for
    one changed member. The keys stay, since DeepDiff compares a map whole when the two share too
    few keys (threshold_to_diff_deeper)."""
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return before, after
    kept_before, kept_after = dict(before), dict(after)
    for key, value in before.items():
        if key in after:
            if _canonical(value) == _canonical(after[key]):
                kept_before[key] = kept_after[key] = None
            else:
                kept_before[key], kept_after[key] = _differing(value, after[key])
    return kept_before, kept_after


def _at(tree: Any, parts: list[Any]) -> Any:
    """The value at a DeepDiff path in the unpruned tree (a pruned map holds None placeholders)."""
    for part in parts:
        tree = tree[part]
    return tree


def field_changes(before: dict[str, Any], after: dict[str, Any],
                  replace_fields: frozenset[str] = frozenset()) -> list[FieldChange]:
    if _canonical(before) == _canonical(after):
        return []  # the common case of a plan with thousands of resources, at a fraction of DeepDiff's cost
    diff = DeepDiff(*_differing(before, after), view="tree", verbose_level=2)
    rows = []
    for levels in diff.values():
        for level in levels:
            parts = level.path(output_format="list")
            rows.append(FieldChange(
                path=field_path(parts),
                before=None if isinstance(level.t1, NotPresent) else _at(before, parts),
                after=None if isinstance(level.t2, NotPresent) else _at(after, parts),
                forces_replacement=bool(parts) and parts[0] in replace_fields,
            ))
    return sorted(rows, key=lambda row: row.path)
