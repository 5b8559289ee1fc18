"""/v1/agents (beta): create, list, retrieve, update, delete reusable Agents.

Owns the Agent object as the SDK's `openai.types.beta.Agent` describes it: the request checks
(`agent_create_params`, `agent_update_params`, `persisted_agent_tool_param`), the values the
server resolves on output (reasoning effort, text format and verbosity, service tier,
multi-agent, compaction, experimental settings, each tool's defaults) and what an update
replaces or merges. Must not touch other resources: an Agent references no file or vector store.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import invalid, not_found
from ..pagination import paginate, parse_list_params
from ..routing import App, Request, Router, new_id
from ..validation import (
    array,
    check_function_name,
    expect_type,
    integer_in_range,
    json_schema,
    metadata,
    one_of,
    optional_string,
    reject_unknown,
    require,
)
from .common import AGENT, delete_standalone, is_reasoning_model, public, requires_beta

FIELDS = [
    "model",
    "name",
    "instructions",
    "metadata",
    "reasoning",
    "text",
    "tools",
    "service_tier",
    "multi_agent",
    "compaction",
    "experimental",
]
# maxLength of `model`, `instructions` and of `name` in OpenAI's reference for POST /agents.
MAX_TEXT = 1048576
MAX_NAME = 128
# "The tool list must fit within 3 MiB (3,145,728 bytes) of compact UTF-8 JSON."
MAX_TOOLS_BYTES = 3145728
SERVICE_TIERS = ["auto", "default", "flex", "priority", "fast", "ultrafast"]
EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"]
SUMMARIES = ["concise", "detailed", "auto"]
VERBOSITIES = ["low", "medium", "high"]
DEFAULT_SUBAGENTS = 6
# An Agent's tools (`PersistedAgentToolParam`): no file_search and no code_interpreter, which the
# Assistants API had; an Agent has no vector store or file to give them.
TOOL_TYPES = [
    "function",
    "tool_search",
    "programmatic_tool_calling",
    "mcp",
    "web_search",
    "computer_use",
    "automations",
]


def _default_effort(model: str) -> str | None:
    """What `reasoning.effort` resolves to when omitted: the model's default ("medium" for the
    gpt-5 and o-series models the emulator serves), null for models that do not reason."""
    return "medium" if is_reasoning_model(model) else None


def _reasoning(value: Any, model: str) -> dict[str, Any]:
    """The requested reasoning (null effort: the model picks); resolved on output by `_view`."""
    if value is None:
        return {"effort": None, "summary": None}
    expect_type(value, dict, "reasoning")
    reject_unknown(value, ["effort", "summary"], "reasoning.")
    effort = value.get("effort")
    summary = value.get("summary")
    if effort is not None:
        one_of(effort, "reasoning.effort", EFFORTS)
        if not is_reasoning_model(model):
            # what the Responses API, which runs an Agent's turns, answers for such a model
            raise invalid(
                "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
                param="reasoning.effort",
                code="unsupported_parameter",
            )
    if summary is not None:
        one_of(summary, "reasoning.summary", SUMMARIES)
    return {"effort": effort, "summary": summary}


def _text(value: Any) -> dict[str, Any]:
    """A given object replaces the whole setting; what it leaves out takes the defaults
    (`{"type": "text"}` format, `medium` verbosity), as when `text` is omitted or null."""
    if value is None:
        value = {}
    expect_type(value, dict, "text")
    reject_unknown(value, ["format", "verbosity"], "text.")
    verbosity = value.get("verbosity")
    out: dict[str, Any] = {
        "format": {"type": "text"},
        "verbosity": "medium" if verbosity is None else one_of(verbosity, "text.verbosity", VERBOSITIES),
    }
    fmt = value.get("format")
    if fmt is not None:
        expect_type(fmt, dict, "text.format")
        kind = one_of(require(fmt, "type", "text.format."), "text.format.type", ["text", "json_schema"])
        if kind == "json_schema":
            reject_unknown(fmt, ["type", "schema"], "text.format.")
            schema = json_schema(require(fmt, "schema", "text.format."), False, "text.format.schema", "text.format")
            out["format"] = {"type": "json_schema", "schema": schema}
        else:
            reject_unknown(fmt, ["type"], "text.format.")
    return out


def _multi_agent(value: Any) -> dict[str, Any]:
    if value is None:
        return {"enabled": False, "max_concurrent_subagents": None}
    expect_type(value, dict, "multi_agent")
    reject_unknown(value, ["enabled", "max_concurrent_subagents"], "multi_agent.")
    enabled = expect_type(require(value, "enabled", "multi_agent."), bool, "multi_agent.enabled")
    most = value.get("max_concurrent_subagents")
    if most is not None:
        integer_in_range(most, "multi_agent.max_concurrent_subagents", 1)
    if not enabled:
        # "Maximum number of subagents that may run concurrently, or null when disabled."
        return {"enabled": False, "max_concurrent_subagents": None}
    return {"enabled": True, "max_concurrent_subagents": DEFAULT_SUBAGENTS if most is None else most}


def _compaction(value: Any) -> dict[str, Any]:
    """Null or an empty object is blocking compaction (`async` false)."""
    if value is None:
        return {"async": False}
    expect_type(value, dict, "compaction")
    reject_unknown(value, ["async"], "compaction.")
    background = value.get("async")
    return {"async": False if background is None else expect_type(background, bool, "compaction.async")}


def _experimental(value: Any, current: dict[str, Any]) -> dict[str, Any]:
    """Merged by key over `current`: omitted settings keep their values."""
    expect_type(value, dict, "experimental")
    reject_unknown(value, ["time_awareness"], "experimental.")
    out = dict(current)
    if "time_awareness" in value:
        out["time_awareness"] = expect_type(value["time_awareness"], bool, "experimental.time_awareness")
    return out


def _optional_bool(body: dict[str, Any], key: str, default: bool, prefix: str) -> bool:
    value = body.get(key)
    return default if value is None else expect_type(value, bool, f"{prefix}{key}")


def _optional_strings(body: dict[str, Any], key: str, prefix: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    items = array(value, f"{prefix}{key}")
    for index, item in enumerate(items):
        expect_type(item, str, f"{prefix}{key}[{index}]")
    return list(items)


def _object(body: dict[str, Any], key: str, prefix: str, strings: bool) -> dict[str, Any]:
    """An optional object (null or absent is empty), its values strings when `strings`."""
    value = body.get(key)
    if value is None:
        return {}
    param = f"{prefix}{key}"
    expect_type(value, dict, param)
    for name, item in value.items():
        if strings:
            expect_type(item, str, f"{param}.{name}")
    return dict(value)


def _transport(value: Any, param: str) -> dict[str, Any]:
    expect_type(value, dict, param)
    prefix = f"{param}."
    kind = one_of(require(value, "type", prefix), f"{prefix}type", ["http", "stdio"])
    if kind == "http":
        reject_unknown(value, ["type", "server_url", "headers"], prefix)
        url = expect_type(require(value, "server_url", prefix), str, f"{prefix}server_url")
        return {"type": "http", "server_url": url, "headers": _object(value, "headers", prefix, True)}
    reject_unknown(value, ["type", "command", "cwd", "args", "env_vars"], prefix)
    return {
        "type": "stdio",
        "command": expect_type(require(value, "command", prefix), str, f"{prefix}command"),
        "cwd": expect_type(require(value, "cwd", prefix), str, f"{prefix}cwd"),
        "args": _optional_strings(value, "args", prefix) or [],
        "env_vars": _optional_strings(value, "env_vars", prefix) or [],
    }


def _mcp(value: dict[str, Any], prefix: str) -> dict[str, Any]:
    allowed = ["type", "server_label", "transport", "allowed_tools", "connection_origin", "credential_id"]
    reject_unknown(value, allowed + ["request_metadata", "required"], prefix)
    transport = _transport(require(value, "transport", prefix), f"{prefix}transport")
    origin = value.get("connection_origin")
    if origin is None:
        # Not documented: a stdio server is a process in the session's environment, so that is
        # where its connections start; an HTTP server is reached from the service.
        origin = "environment" if transport["type"] == "stdio" else "service"
    credential = value.get("credential_id")
    return {
        "type": "mcp",
        "server_label": expect_type(require(value, "server_label", prefix), str, f"{prefix}server_label"),
        "transport": transport,
        "allowed_tools": _optional_strings(value, "allowed_tools", prefix),
        "connection_origin": one_of(origin, f"{prefix}connection_origin", ["service", "environment"]),
        "credential_id": None if credential is None else expect_type(credential, str, f"{prefix}credential_id"),
        "request_metadata": _object(value, "request_metadata", prefix, False),
        "required": _optional_bool(value, "required", False, prefix),
    }


def _web_search(value: dict[str, Any], prefix: str) -> dict[str, Any]:
    reject_unknown(value, ["type", "allowed_domains", "context_size", "location", "mode"], prefix)
    size = value.get("context_size")
    mode = value.get("mode")
    location = value.get("location")
    if location is not None:
        expect_type(location, dict, f"{prefix}location")
        keys = ["city", "country", "region", "timezone"]
        reject_unknown(location, keys, f"{prefix}location.")
        location = {key: optional_string(location, key, prefix=f"{prefix}location.") for key in keys}
    return {
        "type": "web_search",
        "allowed_domains": _optional_strings(value, "allowed_domains", prefix),
        "context_size": "medium" if size is None else one_of(size, f"{prefix}context_size", VERBOSITIES),
        "location": location,
        "mode": "live" if mode is None else one_of(mode, f"{prefix}mode", ["disabled", "cached", "live"]),
    }


def _function(value: dict[str, Any], prefix: str) -> dict[str, Any]:
    reject_unknown(value, ["type", "name", "description", "parameters", "defer_loading", "async"], prefix)
    name = check_function_name(require(value, "name", prefix), f"{prefix}name")
    out = {
        "type": "function",
        "name": name,
        "description": expect_type(require(value, "description", prefix), str, f"{prefix}description"),
        "parameters": json_schema(require(value, "parameters", prefix), False, f"{prefix}parameters", f"'{name}'"),
        "defer_loading": _optional_bool(value, "defer_loading", False, prefix),
    }
    if value.get("async") is not None:
        # optional on the Agent too, and without a documented default: echoed only when given
        out["async"] = expect_type(value["async"], bool, f"{prefix}async")
    return out


def _tool(value: Any, index: int) -> dict[str, Any]:
    param = f"tools[{index}]"
    expect_type(value, dict, param)
    prefix = f"{param}."
    kind = one_of(require(value, "type", prefix), f"{prefix}type", TOOL_TYPES)
    if kind == "function":
        return _function(value, prefix)
    if kind == "mcp":
        return _mcp(value, prefix)
    if kind == "web_search":
        return _web_search(value, prefix)
    if kind == "programmatic_tool_calling":
        reject_unknown(value, ["type", "enabled"], prefix)
        return {"type": kind, "enabled": _optional_bool(value, "enabled", True, prefix)}
    if kind == "computer_use":
        reject_unknown(value, ["type", "include_screenshots"], prefix)
        return {"type": kind, "include_screenshots": _optional_bool(value, "include_screenshots", False, prefix)}
    reject_unknown(value, ["type"], prefix)
    return {"type": kind}


def _tools(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    tools = [_tool(item, index) for index, item in enumerate(array(value, "tools"))]
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_TOOLS_BYTES:
        raise invalid(
            f"Invalid 'tools': the tool list must fit within {MAX_TOOLS_BYTES} bytes of compact UTF-8 JSON, "
            f"but got {size} bytes instead.",
            param="tools",
            code="invalid_value",
        )
    return tools


def _build(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Validate `body` over `current` (None when creating) and return the new stored row.

    On update an omitted field keeps its value; a given one replaces it whole (tools, metadata,
    text, compaction, multi_agent), except `experimental`, merged by key. Null resets a field
    to its default (clears name, instructions, tools and metadata).
    """
    reject_unknown(body, FIELDS)
    creating = current is None
    row = dict(current or {})
    if creating or "model" in body:
        # required on create and never nullable; the requested name is kept as given (no alias
        # is resolved to a snapshot), so any string is accepted, as the spec's `model` is
        if creating:
            require(body, "model")
        expect_type(body["model"], str, "model")
        row["model"] = optional_string(body, "model", max_length=MAX_TEXT)
    for key, limit in (("name", MAX_NAME), ("instructions", MAX_TEXT)):
        if creating or key in body:
            row[key] = optional_string(body, key, max_length=limit)
    if creating or "metadata" in body:
        row["metadata"] = metadata(body.get("metadata")) or {}
    if creating or "tools" in body:
        row["tools"] = _tools(body.get("tools"))
    if creating or "reasoning" in body:
        row["reasoning"] = _reasoning(body.get("reasoning"), row["model"])
    elif row["reasoning"]["effort"] is not None and not is_reasoning_model(row["model"]):
        # a kept effort must still suit a new model
        _reasoning(row["reasoning"], row["model"])
    if creating or "text" in body:
        row["text"] = _text(body.get("text"))
    if creating or "service_tier" in body:
        tier = body.get("service_tier")
        row["service_tier"] = "auto" if tier is None else one_of(tier, "service_tier", SERVICE_TIERS)
    if creating or "multi_agent" in body:
        row["multi_agent"] = _multi_agent(body.get("multi_agent"))
    if creating or "compaction" in body:
        row["compaction"] = _compaction(body.get("compaction"))
    if creating:
        row["experimental"] = {"time_awareness": False}
    if "experimental" in body:
        row["experimental"] = _experimental(body["experimental"], row["experimental"])
    return row


def _view(row: dict[str, Any]) -> dict[str, Any]:
    """The Agent as the API answers it: the reasoning effort the model will use filled in."""
    view = public(row)
    reasoning = dict(row["reasoning"])
    if reasoning["effort"] is None:
        reasoning["effort"] = _default_effort(row["model"])
    view["reasoning"] = reasoning
    return view


def _get_agent(app: App, agent_id: str) -> dict[str, Any]:
    row = app.store.get(AGENT, agent_id)
    if row is None:
        raise not_found(f"No agent found with id '{agent_id}'.")
    return row


def create_agent(app: App, request: Request) -> dict[str, Any]:
    body = request.json()
    now = int(app.now())
    with app.store.transaction():
        row = _build(body, None)
        row = {"id": new_id("agent_", 32), "object": "agent", "created_at": now, "updated_at": now, **row}
        app.store.insert(AGENT, row["id"], row)
    return _view(row)


def list_agents(app: App, request: Request) -> dict[str, Any]:
    # The SDK's AgentListParams has `after`, `limit` and `order` but no `before`, so a `before`
    # is ignored like any other unknown query parameter.
    params = parse_list_params(request.query, allow_before=False)
    return paginate(app.store, AGENT, params, _view)


def retrieve_agent(app: App, request: Request) -> dict[str, Any]:
    return _view(_get_agent(app, request.params["agent_id"]))


def update_agent(app: App, request: Request) -> dict[str, Any]:
    body = request.json()
    with app.store.transaction():
        row = _build(body, _get_agent(app, request.params["agent_id"]))
        row["updated_at"] = int(app.now())
        app.store.update(AGENT, row["id"], row)
    return _view(row)


def delete_agent(app: App, request: Request) -> dict[str, Any]:
    return delete_standalone(app, AGENT, request.params["agent_id"], _get_agent, "agent.deleted")


# The SDK sends `OpenAI-Beta: agents=v1` on every Agents call. OpenAI documents no answer for a
# request without it; the emulator answers as the other beta API it serves (Assistants) does,
# 400 invalid_beta, so a client that forgets the header fails here as it would on a beta gate.
_AGENTS_BETA = requires_beta("Agents", "agents=v1")


def register(router: Router) -> None:
    router.add("POST", "/v1/agents", _AGENTS_BETA(create_agent))
    router.add("GET", "/v1/agents", _AGENTS_BETA(list_agents))
    router.add("GET", "/v1/agents/{agent_id}", _AGENTS_BETA(retrieve_agent))
    router.add("POST", "/v1/agents/{agent_id}", _AGENTS_BETA(update_agent))
    router.add("DELETE", "/v1/agents/{agent_id}", _AGENTS_BETA(delete_agent))
