"""JSON Schemas written by the user: function parameters and response formats.

Owns two checks: that a schema is valid JSON Schema (Draft 2020-12 meta-schema), and, when
`strict: true`, that it fits OpenAI's Structured Outputs subset (developers.openai.com, guide
"Structured Outputs", section "Supported schemas"): the root is an object, not `anyOf`; every
object sets `additionalProperties: false` and lists every property in `required`; only the
supported keywords; at most 10 levels of nesting, 5000 properties, 1000 enum values and 120,000
characters of property names, definition names, enum and const values. It must not read files:
the caller gives the schema and a way to locate a path inside it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from provisioner.config.yaml_source import Path_
from provisioner.errors import DiagnosticCollector, SourceLocation

Locate = Callable[[Path_], SourceLocation | None]

# the documented subset, plus annotations that do not constrain generation
SUPPORTED_KEYWORDS = frozenset({
    "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf",
    "$ref", "$defs", "definitions", "pattern", "format", "multipleOf", "maximum", "exclusiveMaximum",
    "minimum", "exclusiveMinimum", "minItems", "maxItems", "title", "description", "$comment",
    "$schema", "$id",
})
SUPPORTED_FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"})
MAX_DEPTH = 10
MAX_PROPERTIES = 5000
MAX_ENUM_VALUES = 1000
MAX_NAME_CHARS = 120_000
# a single string enum with more than this many values has its own, smaller character budget
LARGE_ENUM_VALUES = 250
MAX_LARGE_ENUM_CHARS = 15_000

EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


def check_schema(schema: Any, strict: bool, what: str, locate: Locate, diags: DiagnosticCollector,
                 object_root: bool = False) -> None:
    """Report every way `schema` is not valid JSON Schema, or not strict-mode ready when `strict`.

    `object_root`: the schema describes named arguments (function parameters), so its root must be
    an object even when not strict.
    """
    if not isinstance(schema, dict):
        diags.add(f"{what} must be a JSON Schema object (a map), not {type(schema).__name__}", locate(()))
        return
    if object_root and not strict and schema.get("type") != "object":
        diags.add(f'{what} must have type "object" at the root, not {schema.get("type")!r}',
                  locate(("type",) if "type" in schema else ()), hint="a function's arguments are named properties")
    from jsonschema import Draft202012Validator  # here: most stacks have no schema, and its import is slow

    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    invalid = sorted(meta.iter_errors(schema), key=lambda e: list(map(str, e.absolute_path)))
    for err in invalid:
        path = tuple(err.absolute_path)
        where = f" at {'/'.join(map(str, path))}" if path else ""
        diags.add(f"{what} is not a valid JSON Schema{where}: {err.message}", locate(path))
    if strict and not invalid:
        _StrictCheck(what, locate, diags).run(schema)


@dataclass
class _Totals:
    properties: int = 0
    enum_values: int = 0
    name_chars: int = 0
    too_deep_reported: bool = False


class _StrictCheck:
    def __init__(self, what: str, locate: Locate, diags: DiagnosticCollector):
        self.what = what
        self.locate = locate
        self.diags = diags
        self.totals = _Totals()

    def error(self, message: str, path: Path_, hint: str | None = None) -> None:
        self.diags.add(f"{self.what} (strict): {message}", self.locate(path), hint)

    def run(self, schema: dict[str, Any]) -> None:
        if "anyOf" in schema:
            self.error("the root schema must not be anyOf", ("anyOf",), hint="wrap the choice in an object property")
        elif schema.get("type") != "object":
            self.error(f'the root schema must have type "object", not {schema.get("type")!r}', ("type",) if "type" in schema else ())
        self.node(schema, (), depth=0)
        t = self.totals
        if t.properties > MAX_PROPERTIES:
            self.error(f"{t.properties} object properties in total; at most {MAX_PROPERTIES} are allowed", ())
        if t.enum_values > MAX_ENUM_VALUES:
            self.error(f"{t.enum_values} enum values in total; at most {MAX_ENUM_VALUES} are allowed", ())
        if t.name_chars > MAX_NAME_CHARS:
            self.error(f"property names, definition names, enum and const values add up to {t.name_chars} "
                       f"characters; at most {MAX_NAME_CHARS} are allowed", ())

    def node(self, schema: Any, path: Path_, depth: int) -> None:
        if not isinstance(schema, dict):
            return
        for key in schema:
            if key not in SUPPORTED_KEYWORDS:
                self.error(f'keyword "{key}" is not supported', path + (key,),
                           hint="remove it, or set strict: false")
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt not in SUPPORTED_FORMATS:
            self.error(f'format "{fmt}" is not supported', path + ("format",),
                       hint=f"supported formats: {', '.join(sorted(SUPPORTED_FORMATS))}")
        is_object = _has_type(schema, "object") or "properties" in schema
        if is_object:
            depth += 1
            if depth > MAX_DEPTH and not self.totals.too_deep_reported:
                self.totals.too_deep_reported = True
                self.error(f"objects nest more than {MAX_DEPTH} levels deep", path)
            self.object(schema, path)
        for name, sub in (schema.get("properties") or {}).items():
            self.node(sub, path + ("properties", name), depth)
        if isinstance(schema.get("items"), dict):
            self.node(schema["items"], path + ("items",), depth)
        for i, sub in enumerate(schema.get("anyOf") or []):
            self.node(sub, path + ("anyOf", i), depth)
        for defs in ("$defs", "definitions"):
            for name, sub in (schema.get(defs) or {}).items():
                self.totals.name_chars += len(name)
                self.node(sub, path + (defs, name), depth)
        enum = schema.get("enum") or []
        self.totals.enum_values += len(enum)
        enum_chars = sum(len(str(value)) for value in enum)
        self.totals.name_chars += enum_chars
        if len(enum) > LARGE_ENUM_VALUES and enum_chars > MAX_LARGE_ENUM_CHARS:
            self.error(f"an enum of {len(enum)} values may hold at most {MAX_LARGE_ENUM_CHARS} characters, "
                       f"not {enum_chars}", path + ("enum",))
        ref = schema.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            self.error(f'$ref "{ref}" points outside the schema; only local references ("#/$defs/...") work',
                       path + ("$ref",))
        if "const" in schema:
            self.totals.name_chars += len(str(schema["const"]))

    def object(self, schema: dict[str, Any], path: Path_) -> None:
        properties = schema.get("properties") or {}
        self.totals.properties += len(properties)
        self.totals.name_chars += sum(len(name) for name in properties)
        if schema.get("additionalProperties") is not False:
            self.error("every object must set additionalProperties: false",
                       path + ("additionalProperties",) if "additionalProperties" in schema else path)
        required = schema.get("required") or []
        missing = [name for name in properties if name not in required]
        if missing:
            self.error(f"every property must be listed in required; missing: {', '.join(missing)}",
                       path + ("required",) if "required" in schema else path,
                       hint='to make a field optional, allow null: type: ["string", "null"]')


def _has_type(schema: dict[str, Any], name: str) -> bool:
    t = schema.get("type")
    return t == name or (isinstance(t, list) and name in t)
