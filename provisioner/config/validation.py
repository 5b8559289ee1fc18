"""Pydantic validation errors, told in the user's words at the user's line.

Owns mapping an error's `loc` back to the YAML node it is about (skipping the union tags pydantic
inserts), and rewriting pydantic's messages into plain language with a did-you-mean. It must not
add rules of its own: the rules live in spec.py and the loader's checks.
"""
from __future__ import annotations

import copy
import inspect
import types
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from provisioner.config.suggest import did_you_mean
from provisioner.config.yaml_source import Path_, SourceMap
from provisioner.errors import DiagnosticCollector
from provisioner.workspaces import RULE, WORKSPACE_PATTERN

M = TypeVar("M", bound=BaseModel)

# patterns from spec.py, said in words
_PATTERNS = {
    r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$": "start with a letter and use only letters, digits, '_' and '-' (at most 64)",
    r"^[a-zA-Z0-9_\-]{1,64}$": "use only letters, digits, '_' and '-' (1 to 64 of them)",
    r"^[A-Za-z_][A-Za-z0-9_]*$": "be the name of an environment variable (letters, digits and '_')",
    WORKSPACE_PATTERN: f"name a workspace: {RULE}",
}
_TYPE_WORDS = {
    "string_type": "a string", "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false", "dict_type": "a map of key: value",
    "model_type": "a map of key: value", "list_type": "a list", "model_attributes_type": "a map of key: value",
}
_BOUNDS = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than"),
           "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than")}


def dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class Validator:
    """Validates entries of a `root` document, reporting errors at their places in `smap`."""

    root: type[BaseModel]
    smap: SourceMap
    diags: DiagnosticCollector
    # paths whose problem was already reported (a failed interpolation): no second error there
    quiet: set[Path_] = field(default_factory=set)

    def __call__(self, model: type[M], data: Any, prefix: Path_) -> M | None:
        """Validate `data`, the entry at `prefix` of the document, as `model`.

        Returns the model; or, after reporting its errors, the model without its faulty keys when
        that can be built (so that later checks can run on the rest), else None.
        """
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            self.report(exc, prefix, _nest(prefix, data))
            return _without_faulty_keys(model, data, exc)

    def report(self, exc: ValidationError, prefix: Path_, data: Any) -> None:
        walked = [_walk(self.root, data, prefix + tuple(err["loc"])) for err in exc.errors()]
        keep = _drop_other_union_members(walked)
        by_place: dict[Path_, list[tuple[ErrorDetails, _Walk]]] = {}
        for err, walk in zip(exc.errors(), walked):
            if walk in keep and not any(walk.path[:len(q)] == q for q in self.quiet):
                by_place.setdefault(walk.path, []).append((err, walk))
        for place, found in by_place.items():
            kinds = [err["type"] for err, _ in found]
            if len(found) > 1 and all(kind in _TYPE_WORDS for kind in kinds):
                # one value tried against `str | float | bool`: one message listing what would do
                words = " or ".join(dict.fromkeys(_TYPE_WORDS[kind] for kind in kinds))
                self.diags.add(f"{dotted(place)} must be {words}, not {_shown_type(found[0][1].value)}",
                               self.smap.value(place))
                continue
            for err, walk in found:
                self._one(err, walk)

    def _one(self, err: ErrorDetails, walk: _Walk) -> None:
        message, hint, on_key = _describe(err, walk)
        # a missing key has no place of its own: point at the key of the entry it belongs under
        path = walk.path[:-1] if err["type"] == "missing" else walk.path
        where = self.smap.key(path) if on_key else self.smap.value(path)
        self.diags.add(message, where, hint)


def _without_faulty_keys(model: type[M], data: Any, exc: ValidationError) -> M | None:
    """The entry as if its faulty keys were not written, so the rest still gets its cross-checks.

    Only unknown keys and faulty single values are left out: leaving out a list or a block (a bad
    `tools:` entry) would make later checks report false errors (a tool resource without its tool).
    The errors are reported already, so loading fails either way.
    """
    pruned = copy.deepcopy(data)
    faulty = []
    for err in exc.errors():
        holder, key = _holder(pruned, err["loc"])
        if holder is None or err["type"] == "missing":
            return None
        if err["type"] != "extra_forbidden" and isinstance(holder[key], (dict, list)):
            return None
        faulty.append((holder, key))
    for holder, key in faulty:
        holder.pop(key, None)  # one value may carry several errors (one per union member)
    try:
        return model.model_validate(pruned)
    except ValidationError:
        return None


def _holder(data: Any, loc: tuple[Any, ...]) -> tuple[dict[str, Any] | None, Any]:
    """The map holding the deepest key that `loc` reaches in the data, and that key."""
    holder, key, node = None, None, data
    for step in loc:
        if isinstance(node, dict) and step in node:
            holder, key, node = node, step, node[step]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        # anything else is a union tag pydantic inserted, or a key that is missing
    return holder, key


def _nest(prefix: Path_, data: Any) -> Any:
    """Errors are walked from the root model, so place the entry's data at `prefix` in an empty document."""
    for key in reversed(prefix):  # entries sit under map keys only
        data = {key: data}
    return data


@dataclass(eq=False)
class _Walk:
    path: Path_ = ()  # where in the data the error is
    value: Any = None  # the data found there
    tp: Any = None  # the declared type at the path
    owner: type[BaseModel] | None = None  # the model whose field (or unknown key) the path ends in
    dict_key: bool = False  # the error is about a map's key, not its value
    # for each union passed: (its data path, whether the member tried takes a scalar, the value there)
    tags: list[tuple[Path_, bool, Any]] = field(default_factory=list)


def _walk(tp: Any, data: Any, loc: tuple[Any, ...]) -> _Walk:
    w = _Walk(value=data)
    i = 0
    while i < len(loc):
        tp = _unwrap(tp)
        members = _union_members(tp)
        if members is not None:
            if len(members) == 1:
                tp = members[0]
                continue
            # pydantic names the member it tried: its class, a tag value, or a type like 'str'
            member = _pick_member(members, loc[i])
            w.tags.append((w.path, not _is_model(member), w.value))
            tp, i = member, i + 1
            continue
        step = loc[i]
        i += 1
        if _is_model(tp):
            w.owner = tp
            info = _field(tp, step)
            tp = info.annotation if info else None
        elif get_origin(tp) is dict:
            # pydantic reports a bad map key at (key, "[key]")
            w.dict_key = i < len(loc) and loc[i] == "[key]"
            tp = get_args(tp)[1]
        elif get_origin(tp) is list:
            tp = get_args(tp)[0]
        else:
            break
        w.path += (step,)
        if isinstance(w.value, dict) and step in w.value:
            w.value = w.value[step]
        elif isinstance(w.value, list) and isinstance(step, int) and step < len(w.value):
            w.value = w.value[step]
        else:
            w.value = None
        if tp is None or w.dict_key:
            break
    w.tp = _unwrap(tp) if tp is not None else None
    return w


def _drop_other_union_members(walked: list[_Walk]) -> set[_Walk]:
    """A value tried against `str | Model` fails both; keep the errors of the member it resembles.

    When no member resembles the value (a list where `str | float | bool` is expected), all stay.
    """
    resembled = {union for w in walked for union, scalar_member, value in w.tags
                 if _resembles(scalar_member, value)}
    return {w for w in walked
            if all(_resembles(scalar_member, value) or union not in resembled
                   for union, scalar_member, value in w.tags)}


def _resembles(scalar_member: bool, value: Any) -> bool:
    return scalar_member == (not isinstance(value, (dict, list)))


def _describe(err: ErrorDetails, w: _Walk) -> tuple[str, str | None, bool]:
    kind = err["type"]
    where = dotted(w.path)
    parent = dotted(w.path[:-1]) or "the top level"
    name = w.path[-1] if w.path else ""
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        fields = _field_names(w.owner) if w.owner else []
        return f'unknown key "{name}" in {parent}', _unknown_key_hint(w.path, fields), True
    if kind == "missing":
        return f'missing required key "{name}" in {parent}', None, True
    if w.dict_key and kind == "string_too_long":
        return f'key "{name}" in {parent} is too long: at most {ctx.get("max_length")} characters', None, True
    if kind == "literal_error":
        options = [str(a) for a in get_args(w.tp)] if get_origin(w.tp) is Literal else []
        return (f'{where} cannot be "{w.value}": expected one of {_quoted(options) or ctx.get("expected")}',
                did_you_mean(str(w.value), options), False)
    discriminator = str(ctx.get("discriminator", "type")).strip("'")
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        return (f'{where} has unknown {discriminator} "{ctx.get("tag")}": expected one of {_quoted(tags)}',
                did_you_mean(str(ctx.get("tag")), tags), False)
    if kind == "union_tag_not_found":
        return f'{where} needs a "{discriminator}" key', None, False
    if kind == "string_pattern_mismatch":
        rule = _PATTERNS.get(ctx.get("pattern", ""), f"match {ctx.get('pattern')}")
        if w.dict_key:
            return f'key "{name}" in {parent} is not valid: it must {rule}', None, True
        return f'{where} "{w.value}" is not valid: it must {rule}', None, False
    if kind in ("string_too_long", "too_long"):
        what = "characters" if kind == "string_too_long" else "entries"
        return f'{where} is too long: at most {ctx.get("max_length")} {what}', None, False
    if kind in ("string_too_short", "too_short"):
        what = "characters" if kind == "string_too_short" else "entries"
        return f'{where} is too short: at least {ctx.get("min_length")} {what}', None, False
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"{where} must be {words} {_number(ctx.get(key))}, not {_number(w.value)}", None, False
    if kind in _TYPE_WORDS:
        return f"{where} must be {_TYPE_WORDS[kind]}, not {_shown_type(w.value)}", _quote_hint(kind, w.value), False
    message = err["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message, None, False


def _unknown_key_hint(path: Path_, fields: list[str]) -> str | None:
    if path[:1] == ("provider",) and path[-1] in ("api_key", "key", "apikey", "token"):
        return ("never write the API key in the stack: set api_key_env to the name of the environment "
                "variable that holds it (default OPENAI_API_KEY)")
    return did_you_mean(str(path[-1]), fields) or (f"expected one of: {', '.join(fields)}" if fields else None)


def _quote_hint(kind: str, value: Any) -> str | None:
    # YAML turns unquoted yes/no/on/off, numbers and dates into non-strings
    read_as = {"bool": "a boolean (yes/no/on/off/true/false)", "int": "a number", "float": "a number",
               "date": "a date", "datetime": "a date"}.get(type(value).__name__)
    if kind == "string_type" and read_as:
        return f"YAML read this as {read_as}; put the value in quotes to keep it as text"
    return None


def _quoted(words: list[str]) -> str:
    return ", ".join(f'"{word}"' for word in words)


def _shown_type(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    return f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def _number(value: Any) -> Any:
    # pydantic widens bounds to floats; `at most 2.0` reads oddly next to a YAML `2`
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _union_members(tp: Any) -> list[Any] | None:
    if get_origin(tp) in (Union, types.UnionType):
        return [_unwrap(m) for m in get_args(tp) if m is not type(None)]
    return None


def _is_model(tp: Any) -> bool:
    return inspect.isclass(tp) and issubclass(tp, BaseModel)


def _pick_member(members: list[Any], tag: Any) -> Any:
    for m in members:
        if _is_model(m):
            type_field = m.model_fields.get("type")
            tags = get_args(type_field.annotation) if type_field else ()
            if tag == m.__name__ or tag in tags:
                return m
        elif getattr(m, "__name__", None) == tag or (isinstance(tag, str) and tag.startswith("literal[")
                                                        and get_origin(m) is Literal):
            return m
    return members[0]


def _field(model: type[BaseModel], key: Any):
    for name, info in model.model_fields.items():
        if key == (info.alias or name):
            return info
    return None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]
