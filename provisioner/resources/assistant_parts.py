"""What every assistant target reads from an AssistantSpec in the same way.

Owns which target deploys each assistant, what an assistant depends on, and its references
resolved to live ids (or `${address.id}` placeholders), its function tools and its response
format as plain data. Each target's handler arranges these pieces in its own API's shape; this
module must not know either shape, nor call the API.
"""
from __future__ import annotations

from typing import Any

from provisioner.addresses import address, file_ref, is_external, vector_store_ref
from provisioner.config.spec import AssistantSpec, Stack
from provisioner.resources.base import Resolve

def assistant_address(name: str) -> str:
    return address("assistants", name)


def declared_targets(stack: Stack) -> dict[str, str]:
    return {name: spec.target or stack.defaults.assistant_target for name, spec in stack.assistants.items()}


def assistant_dependencies(spec: AssistantSpec) -> tuple[str, ...]:
    return tuple(r for r in _references(spec) if not is_external(r))


def assistant_external_refs(spec: AssistantSpec) -> tuple[str, ...]:
    return tuple(r for r in _references(spec) if is_external(r))


def _references(spec: AssistantSpec) -> tuple[str, ...]:
    resources = spec.tool_resources
    refs = []
    if resources and resources.code_interpreter:
        refs += [file_ref(r) for r in resources.code_interpreter.files]
    if resources and resources.file_search:
        refs += [vector_store_ref(r) for r in resources.file_search.vector_stores]
    return tuple(dict.fromkeys(refs))


def code_interpreter_file_ids(spec: AssistantSpec, resolve: Resolve) -> list[str] | None:
    """The files given to code_interpreter, or None when the stack gives it none."""
    if not (spec.tool_resources and spec.tool_resources.code_interpreter):
        return None
    return [_resolved(file_ref(r), resolve) for r in spec.tool_resources.code_interpreter.files]


def file_search_vector_store_ids(spec: AssistantSpec, resolve: Resolve) -> list[str] | None:
    """The vector stores file_search reads, or None when the stack names none."""
    if not (spec.tool_resources and spec.tool_resources.file_search):
        return None
    return [_resolved(vector_store_ref(r), resolve) for r in spec.tool_resources.file_search.vector_stores]


def _resolved(ref: str, resolve: Resolve) -> str:
    return ref if is_external(ref) else resolve(ref)


def function_tool(stack: Stack, function_name: str) -> dict[str, Any]:
    """`name`, `description`, `parameters`, `strict` of a function under `functions:`."""
    function = stack.functions[function_name]
    return {"name": function.name, "description": function.description,
            "parameters": function.parameters, "strict": function.strict}


def response_format_body(spec: AssistantSpec) -> Any:
    """The declared response format as data: "auto", None, or `{"type", "json_schema"?: {...}}`."""
    response_format: Any = spec.response_format
    if response_format is not None and not isinstance(response_format, str):
        response_format = response_format.model_dump(by_alias=True, exclude_none=True)
        if "json_schema" in response_format:
            # the loader has read the file into `schema`; the path means nothing to an API
            response_format["json_schema"].pop("schema_file", None)
    return response_format
