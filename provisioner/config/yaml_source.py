"""YAML (and JSON) documents parsed with their line marks.

Owns turning a file into plain Python data plus a `SourceMap` that knows where every key and
value came from, so later stages can point at `file:line:col`. It must not interpret the data:
no schema, no interpolation, no merging rules beyond "which path came from where".
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from provisioner.errors import DiagnosticCollector, SourceLocation, display_path

Path_ = tuple[str | int, ...]  # a path into the data: map keys and list indices
# libyaml composes large schema files many times faster, with the same marks
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class SourceMap:
    """Where each key and value of a parsed document sits in its file."""

    keys: dict[Path_, SourceLocation] = field(default_factory=dict)
    values: dict[Path_, SourceLocation] = field(default_factory=dict)

    def value(self, path: Path_) -> SourceLocation | None:
        """The value at `path`, or the nearest enclosing node that has a location."""
        for i in range(len(path), -1, -1):
            loc = self.values.get(path[:i])
            if loc is not None:
                return loc
        return None

    def key(self, path: Path_) -> SourceLocation | None:
        """The key naming `path` (an error about a whole entry reads best at its key)."""
        return self.keys.get(path) or self.value(path)

    def update(self, other: "SourceMap") -> None:
        """Add `other`'s marks; where both know a path, the first one (as merged first) stays."""
        for p, loc in other.keys.items():
            self.keys.setdefault(p, loc)
        for p, loc in other.values.items():
            self.values.setdefault(p, loc)


def mark_location(file: str, mark: yaml.Mark | None) -> SourceLocation:
    # pyyaml counts from zero; editors and users count from one
    if mark is None:
        return SourceLocation(file)
    return SourceLocation(file, mark.line + 1, mark.column + 1)


def parse_file(path: Path, diags: DiagnosticCollector) -> tuple[Any, SourceMap] | None:
    """Parse one YAML or JSON file; on a syntax error, report it with its position and return None."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        diags.add(f"cannot read {shown}: not UTF-8 text ({exc.reason} at byte {exc.start})", SourceLocation(shown))
        return None
    except OSError as exc:
        diags.add(f"cannot read {shown}: {exc.strerror}", SourceLocation(shown))
        return None
    if path.suffix == ".json":
        return _parse_json(text, shown, diags)
    return parse_text(text, shown, diags)


def _parse_json(text: str, shown: str, diags: DiagnosticCollector) -> tuple[Any, SourceMap] | None:
    """JSON's own reading of the data; the YAML composer only lends its marks.

    YAML would read `{"a": }` as a null and `1e5` as a string, so the data must come from JSON.
    JSON that YAML cannot compose (tab indentation, for pure-Python pyyaml) keeps its data and
    loses only the positions inside it.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        diags.add(f"invalid JSON: {exc.msg}", SourceLocation(shown, exc.lineno, exc.colno))
        return None
    marked = parse_text(text, shown, DiagnosticCollector())
    return data, marked[1] if marked else SourceMap(values={(): SourceLocation(shown, 1, 1)})


def parse_text(text: str, shown: str, diags: DiagnosticCollector) -> tuple[Any, SourceMap] | None:
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or str(exc)
        context = f" ({exc.context})" if exc.context else ""
        mark = exc.problem_mark or exc.context_mark
        diags.add(f"invalid YAML: {problem}{context}", mark_location(shown, mark), hint=_syntax_hint(text, mark))
        return None
    except yaml.YAMLError as exc:
        diags.add(f"invalid YAML: {exc}", SourceLocation(shown))
        return None
    smap = SourceMap()
    if root is None:  # an empty file is an empty document
        return {}, smap
    builder = _Builder(shown, smap, diags)
    return builder.build(root, ()), smap


def _syntax_hint(text: str, mark: yaml.Mark | None) -> str | None:
    if mark is None:
        return None
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" in line[:mark.column + 1]:
        return "YAML does not allow tabs for indentation: use spaces"
    return None


class _Builder:
    """Walks composed nodes into Python data, recording every key's and value's mark."""

    def __init__(self, shown: str, smap: SourceMap, diags: DiagnosticCollector):
        self.shown = shown
        self.smap = smap
        self.diags = diags
        self.constructor = yaml.SafeLoader("")  # reused for scalar typing (int, bool, null, ...)

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.smap.values[path] = mark_location(self.shown, node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.diags.add(f"invalid value: {getattr(exc, 'problem', exc)}", self.smap.values[path])
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        try:
            self.constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        except yaml.YAMLError as exc:
            self.diags.add(f"invalid merge key: {getattr(exc, 'problem', exc)}", self.smap.values[path])
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_loc = mark_location(self.shown, key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                self.diags.add("a key must be a plain name, not a list or a map", key_loc)
                continue
            # the raw text, so that keys like `on:` or `1:` stay the names the user wrote
            key = key_node.value
            if key in result:
                first = self.smap.keys[path + (key,)]
                self.diags.add(f'duplicate key "{key}" (first defined at line {first.line})', key_loc,
                               hint="remove one of them; YAML would silently keep only the last")
                continue
            self.smap.keys[path + (key,)] = key_loc
            result[key] = self.build(value_node, path + (key,))
        return result
