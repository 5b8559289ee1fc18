"""The JSON Schema of one stack file, for editors (`provisioner schema`).

Made from StackFile, the pydantic model the loader validates with, so the two cannot disagree.
Two facts of the language are added on top: any value may be written as a `${...}` interpolation
(the loader substitutes it before validating, except under `variables:`), and `stack:` may live in
another file of a stack directory. It must not validate anything itself.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from provisioner.config.spec import StackFile

INTERPOLATION = {"type": "string", "pattern": r"\$\{", "description": "a ${var.NAME} or ${env:NAME} interpolation"}
_LABELS = ("title", "description", "default")


def stack_schema() -> dict[str, Any]:
    schema = StackFile.model_json_schema(by_alias=True, mode="validation")
    schema = _interpolatable(schema)
    schema["required"] = [name for name in schema.get("required", []) if name != "stack"]
    schema["properties"]["variables"] = StackFile.model_json_schema(by_alias=True)["properties"]["variables"]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            **schema, "title": "provisioner stack file"}


def _interpolatable(node: Any) -> Any:
    """Every scalar constraint also accepts an interpolation string."""
    if isinstance(node, list):
        return [_interpolatable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: (value if key in ("enum", "const", "required", "pattern") else _interpolatable(value))
           for key, value in node.items()}
    # a plain string takes an interpolation as it is; a number, a choice or a pattern does not
    if out.get("type") in ("integer", "number", "boolean") or any(k in out for k in ("enum", "const", "pattern")):
        constraint = {k: v for k, v in out.items() if k not in _LABELS}
        labels = {k: v for k, v in out.items() if k in _LABELS}
        return {**labels, "anyOf": [constraint, copy.deepcopy(INTERPOLATION)]}
    return out


def schema_json() -> str:
    return json.dumps(stack_schema(), indent=2, ensure_ascii=False) + "\n"
