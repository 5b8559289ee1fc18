"""Handler for assistants deployed to the Assistants API (`/v1/assistants`).

The declared and the live assistant are brought to one normal form (API defaults dropped), so a
value the server fills in never shows as a change. It must not know about other targets.
"""
from __future__ import annotations

import functools
from typing import Any

from provisioner.api.base import Api, Collection, NotFound, Obj
from provisioner.config.spec import AssistantSpec, Stack
from provisioner.errors import ProvisionerError
from provisioner.resources.assistant_parts import (assistant_address, assistant_dependencies,
                                                   assistant_external_refs, code_interpreter_file_ids,
                                                   declared_targets,
                                                   file_search_vector_store_ids, function_tool,
                                                   response_format_body)
from provisioner.resources.base import (ApplyContext, Declared, KindHandler, ObserveContext, Resolve, ownership, same_named,
                                        with_marker, without_marker)

TARGET = "assistants_api"
COLLECTION = Collection("beta.assistants", "assistant")
MANAGED_FIELDS = ("model", "name", "description", "instructions", "tools", "tool_resources",
                  "temperature", "top_p", "response_format", "reasoning_effort", "metadata")
# what the API assumes for a field left out; sent explicitly to reset a field removed from the stack
API_DEFAULTS: dict[str, Any] = {
    "name": None, "description": None, "instructions": None, "tools": [],
    "tool_resources": {"code_interpreter": {"file_ids": []}, "file_search": {"vector_store_ids": []}},
    "temperature": 1.0, "top_p": 1.0, "response_format": "auto", "reasoning_effort": None, "metadata": {},
}
DEFAULT_RANKING = ({"ranker": "auto", "score_threshold": 0.0},
                   {"ranker": "default_2024_08_21", "score_threshold": 0.0})

SUNSET_MESSAGE = (
    "{endpoint} does not serve the Assistants API (/v1/assistants answered 404). OpenAI sunset its "
    "hosted Assistants API on 2026-08-26"
)
SUNSET_HINT = ("set `target: agents` on these assistants to deploy them as server-side Agents (function "
               "tools only), or `target: responses` to deploy them as Responses API definitions (file_search "
               "and code_interpreter too); `defaults: {assistant_target: ...}` sets it for the stack")


def resolved_definition(stack: Stack, name: str, spec: AssistantSpec, resolve: Resolve) -> dict[str, Any]:
    """The assistant as an Assistants API create body, every reference resolved."""
    tools: list[dict[str, Any]] = []
    for tool in spec.tools:
        if tool.type == "code_interpreter":
            tools.append({"type": "code_interpreter"})
        elif tool.type == "file_search":
            options: dict[str, Any] = {}
            if tool.max_num_results is not None:
                options["max_num_results"] = tool.max_num_results
            if tool.ranking_options is not None:
                options["ranking_options"] = tool.ranking_options.model_dump()
            tools.append({"type": "file_search", "file_search": options})
        else:
            tools.append({"type": "function", "function": function_tool(stack, tool.function)})
    resources: dict[str, Any] = {}
    file_ids = code_interpreter_file_ids(spec, resolve)
    if file_ids is not None:
        resources["code_interpreter"] = {"file_ids": file_ids}
    vector_store_ids = file_search_vector_store_ids(spec, resolve)
    if vector_store_ids is not None:
        resources["file_search"] = {"vector_store_ids": vector_store_ids}
    return {
        "model": spec.model, "name": spec.name if spec.name is not None else name,
        "description": spec.description, "instructions": spec.instructions, "tools": tools,
        "tool_resources": resources, "temperature": spec.temperature, "top_p": spec.top_p,
        "response_format": response_format_body(spec), "reasoning_effort": spec.reasoning_effort,
        "metadata": {**spec.metadata, **ownership(stack.name, assistant_address(name), stack.workspace)},
    }


def _normal_definition(stack: Stack, name: str, spec: AssistantSpec, resolve: Resolve) -> dict[str, Any]:
    return normalise(resolved_definition(stack, name, spec, resolve))


def normalise(body: dict[str, Any]) -> dict[str, Any]:
    """One form for declared and live assistants: managed fields only, API defaults dropped."""
    out: dict[str, Any] = {}
    for key in MANAGED_FIELDS:
        value = body.get(key)
        if key == "tools":
            value = [_normalise_tool(t) for t in value or []]
        elif key == "response_format":
            value = _normalise_response_format(value)
        elif key == "tool_resources":
            value = {k: v for k, v in (value or {}).items()
                     if v and any(v.get(field) for field in ("file_ids", "vector_store_ids"))}
            value = {k: {f: list(ids) for f, ids in v.items() if ids} for k, v in value.items()}
        if value is None or value == API_DEFAULTS.get(key, object()) or value == {} and key == "tool_resources":
            continue
        out[key] = value
    return out


def _live(live: Obj) -> dict[str, Any]:
    return normalise({**live, "metadata": without_marker(live.get("metadata"))})


def _normalise_response_format(value: Any) -> Any:
    """A json_schema block without the fields the API fills in: null ones, and `strict: false`."""
    if not isinstance(value, dict) or not isinstance(value.get("json_schema"), dict):
        return value
    schema = {k: v for k, v in value["json_schema"].items()
              if v is not None and not (k == "strict" and v is False)}
    return {**value, "json_schema": schema}


def _normalise_tool(tool: dict[str, Any]) -> dict[str, Any]:
    if tool["type"] == "file_search":
        options = {k: v for k, v in (tool.get("file_search") or {}).items() if v is not None}
        if options.get("ranking_options") in DEFAULT_RANKING:
            del options["ranking_options"]
        return {"type": "file_search", **({"file_search": options} if options else {})}
    if tool["type"] == "function":
        function = {k: v for k, v in tool["function"].items() if v is not None and not (k == "strict" and v is False)}
        return {"type": "function", "function": function}
    return {"type": tool["type"]}


class AssistantHandler(KindHandler):
    kind = "assistant"
    noun = "assistant"
    sections = {"assistants": AssistantSpec}
    target = TARGET
    ignorable = {**same_named("model", "name", "description", "instructions", "tools", "tool_resources", "temperature",
                              "top_p", "response_format", "reasoning_effort", "metadata"),
                 "instructions_file": ("instructions",)}
    tagged = True
    names_model = True
    collection = COLLECTION

    def declare(self, stack: Stack) -> list[Declared]:
        return [
            Declared(assistant_address(name), self.kind, assistant_dependencies(spec),
                     functools.partial(_normal_definition, stack, name, spec),
                     assistant_external_refs(spec))
            for name, spec in stack.assistants.items() if declared_targets(stack)[name] == TARGET
        ]

    def observe(self, api: Api, ctx: ObserveContext) -> dict[str, Obj]:
        try:
            return super().observe(api, ctx)
        except NotFound:  # wanted, yet the endpoint dropped the API (planned as gone when only tracked)
            raise ProvisionerError(SUNSET_MESSAGE.format(endpoint=api.describe()), hint=SUNSET_HINT) from None

    def live_attributes(self, live: Obj, address: str, ctx: ObserveContext) -> dict[str, Any]:
        return _live(live)

    def create(self, api: Api, after: dict[str, Any], ctx: ApplyContext) -> tuple[str, dict[str, Any]]:
        live = api.create_object(COLLECTION, {**after, "metadata": with_marker(after.get("metadata") or {}, ctx.marker)})
        return live["id"], _live(live)

    def update(self, api: Api, live_id: str, before: dict[str, Any], after: dict[str, Any],
               ctx: ApplyContext) -> dict[str, Any]:
        body: dict[str, Any] = {key: after.get(key, API_DEFAULTS.get(key)) for key in MANAGED_FIELDS
                if before.get(key) != after.get(key)}
        if not body:  # an adoption of an assistant already as declared: nothing to send
            return dict(before)
        if "tool_resources" in body:
            # on modify the API replaces a tool's resources only when that tool is named, so a tool
            # dropped from tool_resources is sent empty, or it would keep its old files or stores
            body["tool_resources"] = {**API_DEFAULTS["tool_resources"], **body["tool_resources"]}
        body["model"] = after["model"]  # some compatible servers require it on every modify
        return _live(api.update_object(COLLECTION, live_id, body))
