"""Request-body checks that answer with OpenAI's wording, `param` and `code`.

Owns the generic checks (types, lengths, ranges, enums, metadata, attributes, chunking
strategies, function names and JSON Schemas). Must not read or write storage; checks that need
stored objects (does this file exist?) belong to the resource modules.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import jsonschema

from .errors import invalid

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a decimal",
    bool: "a boolean",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), "an unknown type")


def reject_unknown(body: dict[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    allowed = set(allowed)
    for key in body:
        if key not in allowed:
            name = f"{prefix}{key}"
            raise invalid(f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter")


def require(body: dict[str, Any], key: str, prefix: str = "") -> Any:
    if key not in body or body[key] is None:
        name = f"{prefix}{key}"
        raise invalid(f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")
    return body[key]


def expect_type(value: Any, expected: type | tuple[type, ...], param: str) -> Any:
    expected_types = expected if isinstance(expected, tuple) else (expected,)
    ok = isinstance(value, expected_types)
    # bool is an int subclass in Python but not a number on the wire.
    if isinstance(value, bool) and bool not in expected_types:
        ok = False
    if isinstance(value, int) and not isinstance(value, bool) and float in expected_types:
        ok = True
    if not ok:
        wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in expected_types)
        raise invalid(
            f"Invalid type for '{param}': expected {wanted}, but got {_type_name(value)} instead.",
            param=param,
            code="invalid_type",
        )
    return value


def optional_string(body: dict[str, Any], key: str, max_length: int | None = None, prefix: str = "") -> str | None:
    value = body.get(key)
    if value is None:
        return None
    param = f"{prefix}{key}"
    expect_type(value, str, param)
    if max_length is not None and len(value) > max_length:
        raise invalid(
            f"Invalid '{param}': string too long. Expected a string with maximum length {max_length}, "
            f"but got a string with length {len(value)} instead.",
            param=param,
            code="string_above_max_length",
        )
    return value


def number_in_range(value: Any, param: str, minimum: float, maximum: float) -> float:
    expect_type(value, float, param)
    if value > maximum:
        raise invalid(
            f"Invalid '{param}': decimal above maximum value. Expected a value <= {maximum:g}, "
            f"but got {value:g} instead.",
            param=param,
            code="decimal_above_max_value",
        )
    if value < minimum:
        raise invalid(
            f"Invalid '{param}': decimal below minimum value. Expected a value >= {minimum:g}, "
            f"but got {value:g} instead.",
            param=param,
            code="decimal_below_min_value",
        )
    return float(value)


def integer_in_range(value: Any, param: str, minimum: int | None = None, maximum: int | None = None) -> int:
    expect_type(value, int, param)
    if maximum is not None and value > maximum:
        raise invalid(
            f"Invalid '{param}': integer above maximum value. Expected a value <= {maximum}, "
            f"but got {value} instead.",
            param=param,
            code="integer_above_max_value",
        )
    if minimum is not None and value < minimum:
        raise invalid(
            f"Invalid '{param}': integer below minimum value. Expected a value >= {minimum}, "
            f"but got {value} instead.",
            param=param,
            code="integer_below_min_value",
        )
    return value


def one_of(value: Any, param: str, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        quoted = [f"'{a}'" for a in allowed]
        supported = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
        if len(quoted) == 2:
            supported = f"{quoted[0]} and {quoted[1]}"
        raise invalid(
            f"Invalid value: '{value}'. Supported values are: {supported}.",
            param=param,
            code="invalid_value",
        )
    return value


def array(value: Any, param: str, max_items: int | None = None, min_items: int | None = None) -> list[Any]:
    expect_type(value, list, param)
    if max_items is not None and len(value) > max_items:
        raise invalid(
            f"Invalid '{param}': array too long. Expected an array with maximum length {max_items}, "
            f"but got an array with length {len(value)} instead.",
            param=param,
            code="array_above_max_length",
        )
    if min_items is not None and len(value) < min_items:
        raise invalid(
            f"Invalid '{param}': empty array. Expected an array with minimum length {min_items}, "
            f"but got an array with length {len(value)} instead.",
            param=param,
            code="empty_array" if len(value) == 0 else "array_below_min_length",
        )
    return value


def string_ids(value: Any, param: str, max_items: int | None = None, min_items: int | None = None) -> list[str]:
    items = array(value, param, max_items=max_items, min_items=min_items)
    for index, item in enumerate(items):
        expect_type(item, str, f"{param}[{index}]")
    return list(items)


def optional_ids(body: dict[str, Any], key: str, prefix: str = "", max_items: int | None = None) -> list[str]:
    """An optional list of ids: absent or null is none, anything but an array of strings (an
    empty string, an object) is a 400, never read as an empty list."""
    value = body.get(key)
    return [] if value is None else string_ids(value, f"{prefix}{key}", max_items=max_items)


def optional_object(body: dict[str, Any], key: str, prefix: str = "") -> dict[str, Any]:
    """An optional object: absent or null is empty, anything else but an object is a 400."""
    value = body.get(key)
    return {} if value is None else expect_type(value, dict, f"{prefix}{key}")


def _map(value: Any, param: str, value_types: tuple[type, ...]) -> dict[str, Any]:
    expect_type(value, dict, param)
    if len(value) > 16:
        raise invalid(
            f"Invalid '{param}': too many properties. Expected an object with at most 16 properties, "
            f"but got an object with {len(value)} properties instead.",
            param=param,
            code="object_above_max_properties",
        )
    for key, item in value.items():
        if len(key) > 64:
            raise invalid(
                f"Invalid '{param}': string too long. Expected a string with maximum length 64, "
                f"but got a string with length {len(key)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
        expect_type(item, value_types, f"{param}.{key}")
        if isinstance(item, str) and len(item) > 512:
            raise invalid(
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum length 512, "
                f"but got a string with length {len(item)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
    return dict(value)


def metadata(value: Any, param: str = "metadata") -> dict[str, str] | None:
    """At most 16 pairs, keys up to 64 characters, string values up to 512."""
    if value is None:
        return None
    return _map(value, param, (str,))


def attributes(value: Any, param: str = "attributes") -> dict[str, Any] | None:
    """Like metadata, but values may also be numbers and booleans."""
    if value is None:
        return None
    return _map(value, param, (str, float, bool))


AUTO_CHUNKING: dict[str, Any] = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}


def chunking_strategy(value: Any, param: str = "chunking_strategy") -> dict[str, Any]:
    """Validate a request chunking strategy and return the stored (response) form.

    The real API stores `auto` as the static strategy it stands for (800 / 400 tokens).
    """
    if value is None:
        return dict(AUTO_CHUNKING, static=dict(AUTO_CHUNKING["static"]))
    expect_type(value, dict, param)
    kind = one_of(require(value, "type", f"{param}."), f"{param}.type", ["auto", "static"])
    if kind == "auto":
        reject_unknown(value, ["type"], f"{param}.")
        return dict(AUTO_CHUNKING, static=dict(AUTO_CHUNKING["static"]))
    reject_unknown(value, ["type", "static"], f"{param}.")
    static = expect_type(require(value, "static", f"{param}."), dict, f"{param}.static")
    prefix = f"{param}.static."
    reject_unknown(static, ["max_chunk_size_tokens", "chunk_overlap_tokens"], prefix)
    size_param = f"{prefix}max_chunk_size_tokens"
    size = integer_in_range(require(static, "max_chunk_size_tokens", prefix), size_param, 100, 4096)
    overlap = integer_in_range(require(static, "chunk_overlap_tokens", prefix), f"{prefix}chunk_overlap_tokens", 0)
    if overlap > size // 2:
        raise invalid(
            f"Invalid '{prefix}chunk_overlap_tokens': chunk_overlap_tokens must not exceed half of "
            f"max_chunk_size_tokens. Expected a value <= {size // 2}, but got {overlap} instead.",
            param=f"{prefix}chunk_overlap_tokens",
            code="integer_above_max_value",
        )
    return {"type": "static", "static": {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap}}


def id_prefix(value: str, param: str, prefix: str) -> str:
    """Newer endpoints reject ids of the wrong type with 400 before looking them up."""
    if not value.startswith(prefix + "_"):
        raise invalid(
            f"Invalid '{param}': '{value}'. Expected an ID that begins with '{prefix}'.",
            param=param,
            code="invalid_value",
        )
    return value


def check_function_name(value: Any, param: str) -> str:
    expect_type(value, str, param)
    if not NAME_PATTERN.match(value):
        raise invalid(
            f"Invalid '{param}': string does not match pattern. Expected a string that matches the pattern "
            "'^[a-zA-Z0-9_-]+$' with at most 64 characters.",
            param=param,
            code="invalid_value",
        )
    return value


def strict_schema_problem(schema: Any, context: tuple[str, ...] = ()) -> str | None:
    """The first way `schema` breaks Structured Outputs' strict-mode rules, if any."""
    if not isinstance(schema, dict):
        return None
    where = f"In context={context}"
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            return f"{where}, 'additionalProperties' is required to be supplied and to be false."
        properties = schema.get("properties", {})
        missing = [key for key in properties if key not in (schema.get("required") or [])]
        if missing:
            return (
                f"{where}, 'required' is required to be supplied and to be an array including every key "
                f"in properties. Missing '{missing[0]}'."
            )
        for key, sub in properties.items():
            problem = strict_schema_problem(sub, context + ("properties", key))
            if problem:
                return problem
    if isinstance(schema.get("items"), dict):
        return strict_schema_problem(schema["items"], context + ("items",))
    for keyword in ("anyOf", "$defs", "definitions"):
        children = schema.get(keyword)
        if isinstance(children, list):
            for index, sub in enumerate(children):
                problem = strict_schema_problem(sub, context + (keyword, str(index)))
                if problem:
                    return problem
        elif isinstance(children, dict):
            for key, sub in children.items():
                problem = strict_schema_problem(sub, context + (keyword, key))
                if problem:
                    return problem
    return None


def json_schema(schema: Any, strict: bool, param: str, label: str) -> dict[str, Any]:
    expect_type(schema, dict, param)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise invalid(f"Invalid schema for {label}: {exc.message}", param=param, code="invalid_function_parameters")
    if strict:
        if schema.get("type") != "object":
            raise invalid(
                f"Invalid schema for {label}: schema must be a JSON Schema of 'type: \"object\"', "
                f"got 'type: \"{schema.get('type')}\"'.",
                param=param,
                code="invalid_function_parameters",
            )
        problem = strict_schema_problem(schema)
        if problem:
            raise invalid(f"Invalid schema for {label}: {problem}", param=param, code="invalid_function_parameters")
    return schema
