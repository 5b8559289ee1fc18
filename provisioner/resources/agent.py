"""Handler for assistants deployed as server-side Agents (target `agents`, `/v1/agents`, beta).

An Agent holds an assistant's model, name, instructions, function tools, reasoning effort and
output format, and 16 metadata pairs, room for the ownership tags. It has no file_search or
code_interpreter (nor vector stores or files to give them), temperature, top_p or description:
`tools` and `fields` say so, as `takes` says its name is shorter and its output format text or
json_schema (no json_object), and the loader refuses a stack asking for more. The declared and the
live Agent are brought to one normal form, so what the API resolves and returns (the model's
default reasoning effort, text verbosity, service tier, multi-agent, compaction) never shows as a
change. It must not know other targets' shapes.
"""
from __future__ import annotations

import functools

from typing import Any

from provisioner.api.base import Api, Collection, Obj
from provisioner.config.spec import AssistantSpec, Stack
from provisioner.resources.assistant_parts import (assistant_address, declared_targets, function_tool,
                                                   response_format_body)
from provisioner.resources.base import (ApplyContext, Declared, KindHandler, ObserveContext, Resolve, Takes, ownership,
                                        same_named, with_marker, without_marker)

TARGET = "agents"
COLLECTION = Collection("beta.agents", "agent")
MANAGED_FIELDS = ("model", "name", "instructions", "tools", "reasoning", "text", "metadata")
# the SDK's AgentCreateParams gives a name no length or pattern (and the bundled openapi.yaml has no
# /agents); OpenAI's reference for POST /agents, which the emulator follows, gives maxLength 128,
# half what an Assistants API name may have
MAX_NAME = 128
# text.format is `text` or `json_schema` (openai/types/beta/text_format_param.py); `auto` is text
FORMATS = frozenset({"auto", "text", "json_schema"})
# what the API answers for a setting left out: one normal form drops them on both sides
DEFAULT_TEXT = {"format": {"type": "text"}, "verbosity": "medium"}
DEFAULT_FUNCTION = {"defer_loading": False}


def _body(stack: Stack, name: str, spec: AssistantSpec, _resolve: Resolve) -> dict[str, Any]:
    return agent_body(stack, name, spec)


def agent_body(stack: Stack, name: str, spec: AssistantSpec) -> dict[str, Any]:
    """The assistant as an Agent create body (an Agent refers to no file or store: nothing to resolve)."""
    address = assistant_address(name)
    body: dict[str, Any] = {
        "model": spec.model, "name": spec.name if spec.name is not None else name,
        "instructions": spec.instructions,
        "tools": [_function(stack, tool.function) for tool in spec.tools if tool.type == "function"],
        "metadata": {**spec.metadata, **ownership(stack.name, address, stack.workspace)},
    }
    if spec.reasoning_effort is not None:
        body["reasoning"] = {"effort": spec.reasoning_effort}
    response_format = response_format_body(spec)  # the loader let through only FORMATS
    if isinstance(response_format, dict) and response_format["type"] == "json_schema":
        body["text"] = {"format": {"type": "json_schema", "schema": response_format["json_schema"]["schema"]}}
    return normalise(body)


def _function(stack: Stack, function_name: str) -> dict[str, Any]:
    # an Agent's function has no `strict` flag, and needs a description (empty when none is declared)
    function = function_tool(stack, function_name)
    return {"type": "function", "name": function["name"], "description": function["description"] or "",
            "parameters": function["parameters"]}


def normalise(body: dict[str, Any], keep_reasoning: bool = True) -> dict[str, Any]:
    """Managed fields only, without the values the API resolves when a setting is left out.

    `keep_reasoning` false drops the reasoning: the stack leaves the effort to the model, so the
    effort the API resolved for it is not the stack's to compare."""
    out: dict[str, Any] = {}
    for key in MANAGED_FIELDS:
        value = body.get(key)
        if key == "tools":
            value = [_normalise_tool(tool) for tool in value or []]
        elif key == "reasoning":
            value = {k: v for k, v in (value or {}).items() if v is not None} if keep_reasoning else None
        elif key == "text":
            value = {k: v for k, v in (value or {}).items() if v is not None and DEFAULT_TEXT.get(k) != v}
        if value is None or value in ([], {}) and key != "metadata":
            continue
        out[key] = value
    return out


def _live(live: Obj, reasoning_declared: bool) -> dict[str, Any]:
    return normalise({**live, "metadata": without_marker(live.get("metadata"))}, keep_reasoning=reasoning_declared)


def _normalise_tool(tool: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in tool.items() if v is not None and DEFAULT_FUNCTION.get(k, object()) != v}


class AgentHandler(KindHandler):
    kind = "agent"
    noun = "assistant"
    sections = {"assistants": AssistantSpec}
    target = TARGET
    tools = frozenset({"function"})
    fields = frozenset({"model", "name", "instructions", "tools", "reasoning_effort", "response_format", "metadata"})
    takes = {"name": Takes(max_length=MAX_NAME), "response_format": Takes(types=FORMATS)}
    ignorable = {**same_named("model", "name", "instructions", "tools", "metadata"),
                 "instructions_file": ("instructions",), "reasoning_effort": ("reasoning",), "response_format": ("text",)}
    live_noun = "Agent"
    tagged = True
    names_model = True
    collection = COLLECTION

    def declare(self, stack: Stack) -> list[Declared]:
        targets = declared_targets(stack)
        return [Declared(assistant_address(name), self.kind, (), functools.partial(_body, stack, name, spec))
                for name, spec in stack.assistants.items() if targets[name] == TARGET]

    def live_attributes(self, live: Obj, address: str, ctx: ObserveContext) -> dict[str, Any]:
        return _live(live, "reasoning" in ctx.recorded.get(address, {}))

    def create(self, api: Api, after: dict[str, Any], ctx: ApplyContext) -> tuple[str, dict[str, Any]]:
        live = api.create_object(COLLECTION, {**after, "metadata": with_marker(after.get("metadata") or {}, ctx.marker)})
        return live["id"], _live(live, "reasoning" in after)

    def update(self, api: Api, live_id: str, before: dict[str, Any], after: dict[str, Any],
               ctx: ApplyContext) -> dict[str, Any]:
        # a changed field is sent whole (tools, metadata: the API replaces them), a removed one as
        # null, which resets it to what the API assumes
        body = {key: after.get(key) for key in MANAGED_FIELDS if before.get(key) != after.get(key)}
        if "metadata" in body:
            body["metadata"] = body["metadata"] or {}
        return _live(api.update_object(COLLECTION, live_id, body), "reasoning" in after)
