"""YAML (and JSON) documents parsed with their line marks, within limits.

Owns turning a file into plain Python data plus a `SourceMap` that knows where every key and
value came from, so later stages can point at `file:line:col`; and the parse limits (size,
nesting depth, values, alias expansion) that keep an untrusted file from taking the machine's
memory or time. Data is built in one pass over libyaml's events with an explicit stack: no
recursion, so no depth can exhaust Python's or C's stack, and the event stream is lazy, so a
bomb is refused as soon as it crosses a limit. It must not interpret the data: no schema, no
interpolation, no merging rules beyond "which path came from where".
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

import yaml

from provisioner.errors import DiagnosticCollector, SourceLocation, display_path

Path_ = tuple[str | int, ...]  # a path into the data: map keys and list indices
# libyaml parses large files many times faster, with the same marks
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
LIMIT_FLAG = "--parse-limit"


@dataclass(frozen=True)
class ParseLimits:
    """What one stack, schema or variables file may hold; `--parse-limit NAME=N` raises each."""

    bytes: int = 10 * 1024 * 1024
    depth: int = 100  # nested maps and lists
    nodes: int = 500_000  # values (keys not counted), aliases expanded; bounds the memory data takes
    aliases: int = 100_000  # values that aliases (*name) add by repeating their anchor's content

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


@dataclass
class SourceMap:
    """Where each key and value of a parsed document sits in its file.

    Holds the parser's own marks (its `name` is the file as shown, line and column count from
    zero) and makes a `SourceLocation` only of those asked for: a stack has a mark for every
    value, and few are ever reported. A `SourceLocation` may stand in for a mark.
    """

    keys: dict[Path_, Any] = field(default_factory=dict)
    values: dict[Path_, Any] = field(default_factory=dict)

    def value(self, path: Path_) -> SourceLocation | None:
        """The value at `path`, or the nearest enclosing node that has a location."""
        values = self.values
        for i in range(len(path), -1, -1):
            mark = values.get(path[:i])
            if mark is not None:
                return location(mark)
        return None

    def key(self, path: Path_) -> SourceLocation | None:
        """The key naming `path` (an error about a whole entry reads best at its key)."""
        mark = self.keys.get(path)
        return location(mark) if mark is not None else self.value(path)


def location(mark: Any) -> SourceLocation:
    """A mark kept in a `SourceMap` as the location users read (counting from one)."""
    if isinstance(mark, SourceLocation):
        return mark
    return SourceLocation(mark.name, mark.line + 1, mark.column + 1)


class Mark(Protocol):
    """Where pyyaml read something: its pure-Python Mark or libyaml's, which have the same fields."""
    line: int
    column: int


def mark_location(file: str, mark: Mark | None) -> SourceLocation:
    # pyyaml counts from zero; editors and users count from one
    if mark is None:
        return SourceLocation(file)
    return SourceLocation(file, mark.line + 1, mark.column + 1)


class LimitExceeded(Exception):
    """A file crossed one of the parse limits; carries the diagnostic to report."""

    def __init__(self, message: str, location: SourceLocation, limit: str):
        super().__init__(message)
        self.location = location
        self.hint = f"if the file is trusted and meant to be this large, raise the limit: {LIMIT_FLAG} {limit}=N"


def parse_file(path: Path, diags: DiagnosticCollector,
               limits: ParseLimits = ParseLimits()) -> tuple[Any, SourceMap] | None:
    """Parse one YAML or JSON file; report a syntax error or a crossed limit at its position, and return None.

    The size is checked before anything is read, and no more than the limit is ever read (a
    device or a /proc file may not say its size).
    """
    shown = display_path(path)
    try:
        if path.stat().st_size > limits.bytes:
            raw = None
        else:
            with path.open("rb") as handle:
                raw = handle.read(limits.bytes + 1)
        if raw is None or len(raw) > limits.bytes:
            diags.add(f"{shown} is larger than {limits.bytes:,} bytes, the limit for a stack, schema or"
                      " variables file (bytes)", SourceLocation(shown, 1),
                      hint=f"if the file is trusted and meant to be this large, raise the limit: {LIMIT_FLAG} bytes=N")
            return None
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        diags.add(f"cannot read {shown}: not UTF-8 text ({exc.reason} at byte {exc.start})", SourceLocation(shown))
        return None
    except (OSError, ValueError) as exc:
        diags.add(f"cannot read {shown}: {getattr(exc, 'strerror', None) or exc}", SourceLocation(shown))
        return None
    if path.suffix == ".json":
        return _parse_json(text, shown, diags, limits)
    return parse_text(text, shown, diags, limits)


def _parse_json(text: str, shown: str, diags: DiagnosticCollector,
                limits: ParseLimits) -> tuple[Any, SourceMap] | None:
    """JSON's own reading of the data; the YAML parser lends its marks and enforces the limits.

    YAML would read `{"a": }` as a null and `1e5` as a string, so the data must come from JSON.
    JSON that YAML cannot read (tab indentation, for pure-Python pyyaml) keeps its data and
    loses only the positions inside it; JSON has no aliases, and its size was checked.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        diags.add(f"invalid JSON: {exc.msg}", SourceLocation(shown, exc.lineno, exc.colno))
        return None
    except RecursionError:
        diags.add(f"{shown} nests maps and lists more than {limits.depth} levels deep (depth)",
                  SourceLocation(shown, 1), hint=f"{LIMIT_FLAG} depth=N raises the limit")
        return None
    try:
        _, smap = _Builder(shown, limits).run(text)
    except LimitExceeded as exc:
        diags.add(str(exc), exc.location, hint=exc.hint)
        return None
    except yaml.YAMLError:
        smap = SourceMap(values={(): SourceLocation(shown, 1, 1)})
    return data, smap


def parse_text(text: str, shown: str, diags: DiagnosticCollector,
               limits: ParseLimits = ParseLimits()) -> tuple[Any, SourceMap] | None:
    builder = _Builder(shown, limits, diags)
    try:
        return builder.run(text)
    except LimitExceeded as exc:
        diags.add(str(exc), exc.location, hint=exc.hint)
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or str(exc)
        context = f" ({exc.context})" if exc.context else ""
        mark = exc.problem_mark or exc.context_mark
        diags.add(f"invalid YAML: {problem}{context}", mark_location(shown, mark), hint=_syntax_hint(text, mark))
    except yaml.YAMLError as exc:
        diags.add(f"invalid YAML: {exc}", SourceLocation(shown))
    return None


def _syntax_hint(text: str, mark: yaml.Mark | None) -> str | None:
    if mark is None:
        return None
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" in line[:mark.column + 1]:
        return "YAML does not allow tabs for indentation: use spaces"
    return None


_SKIP = object()  # a mapping's pending key when the value that follows must be dropped
_MERGE = object()  # a mapping's pending key when it is `<<`: the value is merged when the map ends


class _Frame:
    """A map or list being built: where it is, and what it has so far."""

    __slots__ = ("value", "is_map", "path", "mark", "anchor", "nodes_before", "key", "key_mark", "merges", "is_key")

    def __init__(self, value: Any, path: Path_ | None, mark: Any, anchor: str | None, nodes_before: int,
                 is_key: bool):
        self.value = value  # dict or list
        self.is_map = isinstance(value, dict)
        self.path = path  # None: dropped (under a duplicate or invalid key, or a key), so it leaves no marks
        self.mark = mark
        self.anchor = anchor
        self.nodes_before = nodes_before
        self.key: Any = None  # a mapping's key waiting for its value (None: expecting a key)
        self.key_mark: Any = None
        self.merges: list[tuple[Any, Any]] = []  # `<<:` values and their keys' marks
        self.is_key = is_key  # a map or list written where a key should be


class _Builder:
    """Builds data from libyaml's events, recording every key's and value's mark and counting limits.

    An alias shares its anchor's data instead of copying it; its content still counts in full
    towards `nodes` and `aliases`, since every later stage walks it as if copied. An anchor is
    known only once its node is complete, so an anchor cannot contain itself. The loop runs once
    per value of a stack that may hold hundreds of thousands, so scalars take the shortest way.
    """

    def __init__(self, shown: str, limits: ParseLimits, diags: DiagnosticCollector | None = None):
        self.shown = shown
        self.limits = limits
        self.diags = diags or DiagnosticCollector()
        self.smap = SourceMap()
        self.loader = yaml.SafeLoader("")  # its resolver types plain scalars; its constructors build them
        self.anchors: dict[str, tuple[Any, int]] = {}  # name -> (data, nodes it holds)
        self.resolved: dict[str, str] = {}  # plain scalar -> its implicit type; values repeat (true, 0.2, file_search)
        self.nodes = 0
        self.aliased = 0

    def run(self, text: str) -> tuple[Any, SourceMap]:
        stream = io.StringIO(text)
        stream.name = self.shown  # the parser gives its marks the stream's name
        parser = _LOADER(stream)
        try:
            return self._build(parser.get_event)
        finally:
            parser.dispose()

    def _build(self, next_event: Any) -> tuple[Any, SourceMap]:
        stack: list[_Frame] = []
        root: list[Any] = []
        documents = 0
        keys = self.smap.keys
        implicit_types = self.loader.yaml_implicit_resolvers
        while (event := next_event()) is not None:
            kind = type(event)
            if kind is yaml.ScalarEvent:
                parent = stack[-1] if stack else None
                if parent is not None and parent.is_map and parent.key is None:
                    key = event.value
                    if key in parent.value or key == "<<" or event.anchor:
                        self._key(parent, event)
                    else:  # the usual key: a new, plain name
                        parent.key = key
                        parent.key_mark = event.start_mark
                        if parent.path is not None:
                            keys[parent.path + (key,)] = event.start_mark
                    continue
                self._count(1, event)
                value = event.value
                # most text starts with a character no implicit type (bool, int, null, ...) can start with
                if event.tag is not None or not event.implicit[0] or not value or value[0] in implicit_types:
                    value = self._scalar(event)
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1)
                if parent is None:
                    root.append(value)
                else:
                    self._place(parent, value, event.start_mark)
            elif kind is yaml.AliasEvent:
                self._alias(stack, root, event)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self._start(stack, event, {} if kind is yaml.MappingStartEvent else [])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self._end(stack, root)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise yaml.MarkedYAMLError(context="expected a single document in the stream",
                                               problem="but found another document", problem_mark=event.start_mark)
        return (root[0] if root else {}), self.smap

    # ---- events ------------------------------------------------------------------------

    def _start(self, stack: list[_Frame], event: yaml.NodeEvent, value: Any) -> None:
        if len(stack) >= self.limits.depth:
            raise LimitExceeded(f"maps and lists nest more than {self.limits.depth} levels deep (depth)",
                                mark_location(self.shown, event.start_mark), "depth")
        self._count(1, event)
        parent = stack[-1] if stack else None
        is_key = parent is not None and parent.is_map and parent.key is None
        path = None if is_key else self._child_path(parent)
        if path is not None:
            self.smap.values[path] = event.start_mark
        stack.append(_Frame(value, path, event.start_mark, event.anchor, self.nodes, is_key))

    def _end(self, stack: list[_Frame], root: list[Any]) -> None:
        frame = stack.pop()
        value = self._merged(frame) if frame.merges else frame.value
        if frame.anchor:
            self.anchors[frame.anchor] = (value, self.nodes - frame.nodes_before)
        if not stack:
            root.append(value)
        elif frame.is_key:
            self.diags.add("a key must be a plain name, not a list or a map", location(frame.mark))
            stack[-1].key = _SKIP
        else:
            self._place(stack[-1], value, None)

    def _key(self, frame: _Frame, event: yaml.ScalarEvent) -> None:
        mark = event.start_mark
        # the raw text, so that keys like `on:` or `1:` stay the names the user wrote
        key = event.value
        frame.key_mark = mark
        if key == "<<" and event.implicit[0]:
            frame.key = _MERGE
        elif key in frame.value:
            if frame.path is not None:
                first = location(self.smap.keys[frame.path + (key,)])
                self.diags.add(f'duplicate key "{key}" (first defined at line {first.line})', location(mark),
                               hint="remove one of them; YAML would silently keep only the last")
            frame.key = _SKIP
        else:
            frame.key = key
            if frame.path is not None:
                self.smap.keys[frame.path + (key,)] = mark
        if event.anchor:
            self.anchors[event.anchor] = (key, 1)

    def _alias(self, stack: list[_Frame], root: list[Any], event: yaml.AliasEvent) -> None:
        mark = event.start_mark
        found = self.anchors.get(event.anchor or "")  # a parsed alias always names an anchor
        if found is None:
            raise yaml.MarkedYAMLError(
                problem=f'alias "*{event.anchor}" refers to no complete anchor "&{event.anchor}" before it'
                        " (an anchor cannot refer to itself)",
                problem_mark=mark)  # type: ignore[arg-type]  # the stubs take only pyyaml's own Mark, not libyaml's
        value, size = found
        self.aliased += size
        if self.aliased > self.limits.aliases:
            raise LimitExceeded(f"aliases expand to more than {self.limits.aliases:,} values (aliases)",
                                mark_location(self.shown, mark), "aliases")
        self._count(size, event)
        parent = stack[-1] if stack else None
        if parent is None:
            root.append(value)
        elif parent.is_map and parent.key is None:
            self.diags.add("a key must be a plain name, not an alias", location(mark))
            parent.key = _SKIP
        else:
            self._place(parent, value, mark)

    def _place(self, parent: _Frame, value: Any, mark: Any) -> None:
        """Put a complete value in its parent; `mark` is its place, None for a map or list (marked at its start)."""
        if not parent.is_map:
            if mark is not None and parent.path is not None:
                self.smap.values[parent.path + (len(parent.value),)] = mark
            parent.value.append(value)
            return
        key = parent.key
        parent.key = None
        if key is _MERGE:
            parent.merges.append((value, parent.key_mark))
        elif key is not _SKIP:
            parent.value[key] = value
            if mark is not None and parent.path is not None:
                self.smap.values[parent.path + (key,)] = mark

    def _child_path(self, parent: _Frame | None) -> Path_ | None:
        if parent is None:
            return ()
        if parent.path is None:
            return None
        if not parent.is_map:
            return parent.path + (len(parent.value),)
        if parent.key is _SKIP or parent.key is _MERGE:
            return None
        return parent.path + (parent.key,)

    # ---- values ------------------------------------------------------------------------

    def _count(self, size: int, event: yaml.Event) -> None:
        self.nodes += size
        if self.nodes > self.limits.nodes:
            raise LimitExceeded(f"the file holds more than {self.limits.nodes:,} values, aliases expanded (nodes)",
                                mark_location(self.shown, event.start_mark), "nodes")

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        tag, value = event.tag, event.value
        if tag is None or tag == "!":
            plain = event.implicit[0]
            tag = self.resolved.get(value) if plain else None
            if tag is None:
                tag = self.loader.resolve(yaml.ScalarNode, value, event.implicit)
                if plain and len(self.resolved) < 4096:  # a plain scalar's type depends on its text alone
                    self.resolved[value] = tag
        if tag == _STR:
            return value
        if tag == _INT and value.isdigit():
            return int(value)
        # the stubs type a node's marks as pyyaml's own Mark; the events of libyaml's parser carry its own
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)  # type: ignore[arg-type]
        constructors = self.loader.yaml_constructors
        try:
            return (constructors.get(tag) or constructors[None])(self.loader, node)
        except yaml.YAMLError as exc:
            self.diags.add(f"invalid value: {getattr(exc, 'problem', exc)}", mark_location(self.shown, event.start_mark))
            return None

    def _merged(self, frame: _Frame) -> dict[str, Any]:
        """`<<: *anchor` (or a list of them): keys written in the map win, then earlier merges over later."""
        result: dict[str, Any] = {}
        for value, loc in frame.merges:
            sources = value if isinstance(value, list) else [value]
            if not all(isinstance(s, dict) for s in sources):
                self.diags.add("invalid merge key: `<<:` takes a map, or a list of maps, to merge", location(loc))
                continue
            for source in sources:
                for key, item in source.items():
                    if key not in result and key not in frame.value:
                        result[key] = item
                        if frame.path is not None:
                            self.smap.keys.setdefault(frame.path + (key,), loc)
        result.update(frame.value)
        return result
