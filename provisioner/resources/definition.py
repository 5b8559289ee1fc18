"""Handler for assistants deployed as Responses API definitions (target `responses`).

OpenAI sunset its hosted Assistants API; the Responses API takes the same pieces on every request
instead of keeping an assistant object. So this "resource" has no server object: its attributes
are the body of a Responses create request (`model`, `instructions`, `tools`, `temperature`,
`top_p`, `reasoning`, `text`, `metadata`), every reference resolved to a live id, which the
application passes as `client.responses.create(**definition, input=...)`. What was last applied
is the state's record, so the planner diffs the declared definition against that record like any
live resource. It must not call the API, and must not know the Assistants API shape.
"""
from __future__ import annotations

import functools
import hashlib
from typing import Any

from provisioner.api.base import Api, Obj
from provisioner.config.spec import AssistantSpec, FileSearchTool, Stack, Tool
from provisioner.resources.assistant_parts import (assistant_address, assistant_dependencies,
                                                   assistant_external_refs, code_interpreter_file_ids,
                                                   declared_targets,
                                                   file_search_vector_store_ids, function_tool,
                                                   response_format_body)
from provisioner.resources.base import ApplyContext, Declared, KindHandler, ObserveContext, Resolve, ownership, same_named

TARGET = "responses"
ID_PREFIX = "def_"


def definition_id(address: str) -> str:
    """A stable stand-in for a live id: nothing exists server-side, but state and plans key on ids."""
    return ID_PREFIX + hashlib.sha256(address.encode()).hexdigest()[:16]


def responses_definition(stack: Stack, name: str, spec: AssistantSpec, resolve: Resolve) -> dict[str, Any]:
    """The assistant as the keyword arguments of a Responses create request (all but `input`)."""
    body: dict[str, Any] = {"model": spec.model, "instructions": spec.instructions,
                            "tools": [_tool(stack, spec, tool, resolve) for tool in spec.tools] or None,
                            "temperature": spec.temperature, "top_p": spec.top_p}
    if spec.reasoning_effort is not None:
        body["reasoning"] = {"effort": spec.reasoning_effort}
    text_format = _text_format(response_format_body(spec))
    if text_format is not None:
        body["text"] = {"format": text_format}
    body["metadata"] = {**spec.metadata, **ownership(stack.name, assistant_address(name), stack.workspace)}
    return {key: value for key, value in body.items() if value is not None}


def _tool(stack: Stack, spec: AssistantSpec, tool: Tool, resolve: Resolve) -> dict[str, Any]:
    if tool.type == "function":
        function = function_tool(stack, tool.function)
        if function["description"] is None:
            del function["description"]
        return {"type": "function", **function}
    if tool.type == "code_interpreter":
        return {"type": "code_interpreter",
                "container": {"type": "auto", "file_ids": code_interpreter_file_ids(spec, resolve) or []}}
    return _file_search(spec, tool, resolve)


def _file_search(spec: AssistantSpec, tool: FileSearchTool, resolve: Resolve) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "file_search",
                           "vector_store_ids": file_search_vector_store_ids(spec, resolve) or []}
    if tool.max_num_results is not None:
        out["max_num_results"] = tool.max_num_results
    if tool.ranking_options is not None:  # the loader refused Assistants-only rankers for this target
        out["ranking_options"] = tool.ranking_options.model_dump()
    return out


def _text_format(response_format: Any) -> dict[str, Any] | None:
    """Assistants' `response_format` as Responses' `text.format` (flat: the json_schema block's keys
    sit next to `type`)."""
    if response_format is None or response_format == "auto":
        return None
    if response_format["type"] != "json_schema":
        return {"type": response_format["type"]}
    return {"type": "json_schema", **response_format["json_schema"]}


class DefinitionHandler(KindHandler):
    kind = "assistant_definition"
    noun = "assistant"
    sections = {"assistants": AssistantSpec}
    target = TARGET
    # a Responses definition has no name or description, and keeps an effort and a format as reasoning and text
    ignorable = {**same_named("model", "instructions", "tools", "temperature", "top_p", "metadata"),
                 "instructions_file": ("instructions",), "reasoning_effort": ("reasoning",), "response_format": ("text",)}
    names_model = True

    def declare(self, stack: Stack) -> list[Declared]:
        targets = declared_targets(stack)
        return [
            Declared(assistant_address(name), self.kind, assistant_dependencies(spec),
                     functools.partial(responses_definition, stack, name, spec),
                     assistant_external_refs(spec))
            for name, spec in stack.assistants.items() if targets[name] == TARGET
        ]

    def observe(self, api: Api, ctx: ObserveContext) -> dict[str, Obj]:
        # the "live" definition is the one the last apply recorded
        return {live_id: ctx.recorded[address] for live_id, address in ctx.tracked_ids.items()
                if live_id == definition_id(address) and address in ctx.recorded}

    def live_attributes(self, live: Obj, address: str, ctx: ObserveContext) -> dict[str, Any]:
        return dict(live)

    def carries_marker(self, live: Obj, marker: str) -> bool:
        return False  # there is never an unrecorded server object to take back

    def owned_address(self, live: Obj, ctx: ObserveContext) -> str | None:
        return None  # nothing server-side carries tags: a lost state records the definition again

    def create(self, api: Api, after: dict[str, Any], ctx: ApplyContext) -> tuple[str, dict[str, Any]]:
        return definition_id(ctx.address), dict(after)

    def update(self, api: Api, live_id: str, before: dict[str, Any], after: dict[str, Any],
               ctx: ApplyContext) -> dict[str, Any]:
        return dict(after)

    def delete(self, api: Api, live_id: str) -> None:
        pass  # nothing server-side; the applier drops it from state and the outputs follow

    def output(self, live_id: str, attributes: dict[str, Any]) -> dict[str, Any] | None:
        # its id is a stand-in known only to the state; the definition is what applications use
        return {"target": self.target, "definition": attributes}
