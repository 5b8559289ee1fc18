"""`${env:NAME}`, `${var.NAME}` and `${workspace}` in string scalars, and where variable values come from.

Owns the variable precedence (default < the workspace's default < --var-file, in order < --var)
and the substitution itself. It must not know the stack's schema, and must never substitute the provider's API key:
the key stays in the environment and only its variable's name is written in the stack.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioner.config.suggest import did_you_mean
from provisioner.config.yaml_source import ParseLimits, Path_, SourceMap, parse_file
from provisioner.errors import DiagnosticCollector, SourceLocation, display_path
from provisioner.workspaces import DEFAULT_WORKSPACE

# `$${` is an escaped literal `${`; anything else starting with `${` must close with `}`
_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_ENV = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")
_VAR = re.compile(r"^var\.([A-Za-z_][A-Za-z0-9_\-]*)$")
WORKSPACE_REF = "workspace"


def refers_to(data: Any, ref: str) -> bool:
    """Whether a string in `data` (a scalar or a list of them) interpolates `${ref}`: not `$${ref}`,
    which is a literal."""
    texts = data if isinstance(data, list) else [data]
    return any(m.group(1) is not None and m.group(1).strip() == ref
               for text in texts if isinstance(text, str) for m in _TOKEN.finditer(text))


@dataclass(frozen=True)
class Declared:
    """One entry of `variables:` as written: its defaults and where it was declared."""

    default: Any
    location: SourceLocation | None
    workspaces: Mapping[str, Any] = field(default_factory=dict)  # workspace -> its own default

    def default_in(self, workspace: str) -> Any:
        return self.workspaces.get(workspace, self.default)


def resolve_variables(
    declared: Mapping[str, Declared],
    variables: Mapping[str, str] | None,
    var_files: list[Path] | None,
    diags: DiagnosticCollector,
    limits: ParseLimits = ParseLimits(),
    workspace: str = DEFAULT_WORKSPACE,
) -> dict[str, Any]:
    """The value of every declared variable in `workspace`; unknown or missing ones are reported."""
    values = {name: d.default_in(workspace) for name, d in declared.items() if d.default_in(workspace) is not None}
    for var_file in var_files or []:
        parsed = parse_file(var_file, diags, limits)
        if parsed is None:
            continue
        data, smap = parsed
        if not isinstance(data, dict):
            diags.add("a variables file must be a map of name: value", smap.value(()) or
                      SourceLocation(display_path(var_file)))
            continue
        for name, value in data.items():
            if name not in declared:
                diags.add(f'variable "{name}" is not declared in the stack', smap.key((name,)),
                          hint=did_you_mean(name, declared) or "declare it under `variables:`")
                continue
            if value is not None:  # `name:` left empty keeps the default, as an unset value would
                values[name] = value
    for name, value in (variables or {}).items():
        if name not in declared:
            diags.add(f'variable "{name}" given with --var is not declared in the stack', SourceLocation("--var"),
                      hint=did_you_mean(name, declared) or "declare it under `variables:`")
            continue
        values[name] = value
    for name, d in declared.items():
        if name not in values:
            diags.add(f'variable "{name}" has no value', d.location,
                      hint=f"give it a default, or pass --var {name}=VALUE or a --var-file")
    return values


class Interpolator:
    """Substitutes references in every string of a data tree, reporting each bad one at its place."""

    def __init__(self, values: Mapping[str, Any], declared: Mapping[str, Declared], env: Mapping[str, str],
                 secret_env: set[str], diags: DiagnosticCollector, allow_vars: bool = True,
                 readable_env: frozenset[str] = frozenset(), workspace: str = DEFAULT_WORKSPACE):
        self.values = values
        self.workspace = workspace
        self.declared = declared
        self.env = env
        self.secret_env = secret_env
        self.readable_env = readable_env
        self.diags = diags
        self.allow_vars = allow_vars
        self.failed: set[Path_] = set()  # where a reference could not be resolved (and was reported)

    def tree(self, data: Any, smap: SourceMap, path: Path_ = ()) -> Any:
        """`data` with its references substituted; a map or list without any is returned as it is,
        so a large stack with few references is neither copied nor given a path per value."""
        if isinstance(data, (dict, list)):
            changed = None
            for k, v in data.items() if isinstance(data, dict) else enumerate(data):
                if isinstance(v, str) and "$" not in v or not isinstance(v, (str, dict, list)):
                    continue
                new = self.tree(v, smap, path + (k,))
                if new is not v:
                    changed = changed if changed is not None else data.copy()
                    changed[k] = new
            return data if changed is None else changed
        if isinstance(data, str) and "$" in data:
            reported = len(self.diags.items)
            value = self.string(data, smap.value(path))
            if len(self.diags.items) > reported:
                self.failed.add(path)
            return value
        return data

    def string(self, text: str, where: SourceLocation | None) -> Any:
        matches = list(_TOKEN.finditer(text))
        whole = len(matches) == 1 and matches[0].span() == (0, len(text)) and matches[0].group(1) is not None
        if whole:
            # a scalar that is exactly one reference keeps the referenced value's type
            return self._lookup(matches[0].group(1).strip(), where)
        out: list[str] = []
        last = 0
        for m in matches:
            out.append(text[last:m.start()])
            last = m.end()
            if m.group(0) == "$${":
                out.append("${")
            elif m.group(1) is None:
                self.diags.add(f'unterminated "${{" in "{text}"', where, hint='close it with "}", or write "$${" for a literal "${"')
            else:
                value = self._lookup(m.group(1).strip(), where)
                if isinstance(value, (dict, list)):
                    self.diags.add(f"${{{m.group(1).strip()}}} is a {'map' if isinstance(value, dict) else 'list'} "
                                   "and cannot be part of a text", where,
                                   hint="use it as the whole value to keep its structure")
                    value = ""
                out.append(_as_text(value))
        out.append(text[last:])
        return "".join(out)

    def _lookup(self, ref: str, where: SourceLocation | None) -> Any:
        if ref == WORKSPACE_REF:
            return self.workspace
        if m := _ENV.match(ref):
            name = m.group(1)
            if name in self.secret_env:
                self.diags.add(f"${{env:{name}}} would write the API key into the stack", where,
                               hint="the provider reads the key itself from the variable named by `api_key_env`")
                return ""
            if name not in self.readable_env:
                self.diags.add(f"${{env:{name}}} reads the environment of whoever runs the tool, which a stack may do"
                               " only for variables the operator allows (plans print the values)", where,
                               hint=f"if you run this pipeline and {name} holds no secret, pass --allow-env {name}"
                               " (or list it in $PROVISIONER_ALLOWED_ENV); or use a ${var.NAME}")
                return ""
            if name not in self.env:
                self.diags.add(f'environment variable "{name}" is not set', where,
                               hint=f"export {name}=... before running, or use a ${{var.NAME}} with a default")
                return ""
            return self.env[name]
        if m := _VAR.match(ref):
            name = m.group(1)
            if not self.allow_vars:
                self.diags.add(f"${{var.{name}}} cannot be used here: variables may only refer to the environment",
                               where)
                return ""
            if name in self.values:
                return self.values[name]
            # declared but without a value was already reported where it was declared
            if name not in self.declared:
                declared = f"declared: {', '.join(sorted(self.declared))}; " if self.declared else ""
                self.diags.add(f'undeclared variable "{name}" in ${{var.{name}}}', where,
                               hint=did_you_mean(name, self.declared) or f"{declared}declare it under `variables:`")
            return ""
        self.diags.add(f'cannot interpolate "${{{ref}}}"', where,
                       hint='write ${env:NAME}, ${var.NAME} or ${workspace}; "$${" gives a literal "${"')
        return ""


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
