"""/v1/assistants: create, list, retrieve, modify, delete.

Owns the Assistant object: its documented limits, tool and tool_resources checks, and the
defaults the real API fills in on output. Must not change referenced files or vector stores,
except creating the one vector store `tool_resources.file_search.vector_stores` asks for.
"""

from __future__ import annotations

from typing import Any

from ..errors import invalid, not_found
from ..pagination import paginate, parse_list_params
from ..routing import App, Request, Router, new_id
from ..validation import (
    array,
    check_function_name,
    expect_type,
    id_prefix,
    integer_in_range,
    json_schema,
    metadata,
    number_in_range,
    one_of,
    optional_ids,
    optional_object,
    optional_string,
    reject_unknown,
    require,
)
from .common import ASSISTANT, VECTOR_STORE, delete_standalone, is_reasoning_model, require_files_exist, requires_beta
from .vector_stores import create_vector_store_from

FIELDS = [
    "model",
    "name",
    "description",
    "instructions",
    "tools",
    "tool_resources",
    "metadata",
    "temperature",
    "top_p",
    "response_format",
    "reasoning_effort",
]
REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"]
# The real API echoes file_search tools with the ranking options it will use.
DEFAULT_RANKING = {"ranker": "default_2024_08_21", "score_threshold": 0.0}
NON_CHAT_PREFIXES = ("text-embedding", "whisper", "tts", "dall-e", "omni-moderation", "gpt-image")


def _model(app: App, value: Any) -> str:
    expect_type(value, str, "model")
    if value not in app.config.models:
        raise invalid(f"The requested model '{value}' does not exist.", param="model", code="model_not_found")
    if value.startswith(NON_CHAT_PREFIXES):
        raise invalid(
            f"The requested model '{value}' cannot be used with the Assistants API.",
            param="model",
            code="unsupported_model",
        )
    return value


def _tool(value: Any, index: int) -> dict[str, Any]:
    param = f"tools[{index}]"
    expect_type(value, dict, param)
    kind = one_of(require(value, "type", f"{param}."), f"{param}.type", ["code_interpreter", "file_search", "function"])
    if kind == "code_interpreter":
        reject_unknown(value, ["type"], f"{param}.")
        return {"type": "code_interpreter"}
    if kind == "file_search":
        reject_unknown(value, ["type", "file_search"], f"{param}.")
        options = optional_object(value, "file_search", f"{param}.")
        prefix = f"{param}.file_search."
        reject_unknown(options, ["max_num_results", "ranking_options"], prefix)
        out: dict[str, Any] = {}
        if options.get("max_num_results") is not None:
            out["max_num_results"] = integer_in_range(options["max_num_results"], f"{prefix}max_num_results", 1, 50)
        ranking = options.get("ranking_options")
        if ranking is None:
            out["ranking_options"] = dict(DEFAULT_RANKING)
        else:
            expect_type(ranking, dict, f"{prefix}ranking_options")
            reject_unknown(ranking, ["ranker", "score_threshold"], f"{prefix}ranking_options.")
            threshold = number_in_range(
                require(ranking, "score_threshold", f"{prefix}ranking_options."),
                f"{prefix}ranking_options.score_threshold",
                0,
                1,
            )
            # left out (or null) means `auto`; anything else must be a ranker, "" included
            ranker = ranking.get("ranker")
            if ranker is None:
                ranker = "auto"
            one_of(ranker, f"{prefix}ranking_options.ranker", ["auto", "default_2024_08_21"])
            out["ranking_options"] = {"ranker": ranker, "score_threshold": threshold}
        return {"type": "file_search", "file_search": out}
    reject_unknown(value, ["type", "function"], f"{param}.")
    function = expect_type(require(value, "function", f"{param}."), dict, f"{param}.function")
    prefix = f"{param}.function."
    reject_unknown(function, ["name", "description", "parameters", "strict"], prefix)
    name = check_function_name(require(function, "name", prefix), f"{prefix}name")
    out = {"name": name}
    description = optional_string(function, "description", prefix=prefix)
    if description is not None:
        out["description"] = description
    strict = function.get("strict")
    if strict is not None:
        expect_type(strict, bool, f"{prefix}strict")
    if function.get("parameters") is not None:
        out["parameters"] = json_schema(
            function["parameters"], bool(strict), f"{prefix}parameters", f"function '{name}'"
        )
    out["strict"] = bool(strict)
    return {"type": "function", "function": out}


def _tools(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    items = array(value, "tools", max_items=128)
    return [_tool(item, index) for index, item in enumerate(items)]


def _tool_resources(app: App, value: Any, creating: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Validate references; vector stores to create inline are appended to `creating`.

    `creating` is None on modify, where OpenAI accepts only existing vector store ids.
    """
    if value is None:
        return {}
    expect_type(value, dict, "tool_resources")
    reject_unknown(value, ["code_interpreter", "file_search"], "tool_resources.")
    out: dict[str, Any] = {}
    code = value.get("code_interpreter")
    if code is not None:
        expect_type(code, dict, "tool_resources.code_interpreter")
        reject_unknown(code, ["file_ids"], "tool_resources.code_interpreter.")
        file_ids = optional_ids(code, "file_ids", "tool_resources.code_interpreter.", max_items=20)
        require_files_exist(app, file_ids, "tool_resources.code_interpreter.file_ids")
        out["code_interpreter"] = {"file_ids": file_ids}
    search = value.get("file_search")
    if search is not None:
        expect_type(search, dict, "tool_resources.file_search")
        allowed = ["vector_store_ids"] if creating is None else ["vector_store_ids", "vector_stores"]
        reject_unknown(search, allowed, "tool_resources.file_search.")
        given = [key for key in ("vector_store_ids", "vector_stores") if search.get(key) is not None]
        if creating is not None and not given:
            # the create schema's file_search is oneOf {required: [vector_store_ids]} or
            # {required: [vector_stores]}; the modify schema has no such rule
            raise invalid(
                "Missing required parameter: 'tool_resources.file_search' needs one of 'vector_store_ids' or "
                "'vector_stores'.",
                param="tool_resources.file_search",
                code="missing_required_parameter",
            )
        if len(given) > 1:
            raise invalid(
                "Invalid 'tool_resources.file_search': only one of 'vector_store_ids' or 'vector_stores' may be "
                "provided, and an assistant can have at most one vector store.",
                param="tool_resources.file_search",
                code="invalid_value",
            )
        param = "tool_resources.file_search.vector_store_ids"
        ids = optional_ids(search, "vector_store_ids", "tool_resources.file_search.", max_items=1)
        for index, vector_store_id in enumerate(ids):
            if app.store.get(VECTOR_STORE, vector_store_id) is None:
                raise invalid(
                    f"No vector store found with id '{vector_store_id}'.",
                    param=f"{param}[{index}]",
                    code="vector_store_not_found",
                )
        stores = search.get("vector_stores")
        new_stores = [] if stores is None else array(stores, "tool_resources.file_search.vector_stores", max_items=1)
        for index, spec in enumerate(new_stores):
            prefix = f"tool_resources.file_search.vector_stores[{index}]."
            expect_type(spec, dict, prefix[:-1])
            reject_unknown(spec, ["file_ids", "chunking_strategy", "metadata"], prefix)
            assert creating is not None
            creating.append({"spec": spec, "prefix": prefix})
        out["file_search"] = {"vector_store_ids": ids}
    return out


def _build(app: App, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Validate `body` over `current` (None when creating) and return the new stored row."""
    reject_unknown(body, FIELDS)
    row = dict(current) if current else {}
    if current is None or "model" in body:
        row["model"] = _model(app, require(body, "model"))
    for key, limit in (("name", 256), ("description", 512), ("instructions", 256000)):
        if current is None or key in body:
            row[key] = optional_string(body, key, max_length=limit)
    if current is None or "tools" in body:
        row["tools"] = _tools(body.get("tools"))
    if current is None or "metadata" in body:
        row["metadata"] = metadata(body.get("metadata")) or {}
    if current is None or "temperature" in body:
        value = body.get("temperature")
        row["temperature"] = 1.0 if value is None else number_in_range(value, "temperature", 0, 2)
    if current is None or "top_p" in body:
        value = body.get("top_p")
        row["top_p"] = 1.0 if value is None else number_in_range(value, "top_p", 0, 1)
    if current is None or "response_format" in body:
        row["response_format"] = _response_format(body.get("response_format"))
    if current is None or "reasoning_effort" in body:
        effort = body.get("reasoning_effort")
        if effort is not None:
            one_of(effort, "reasoning_effort", REASONING_EFFORTS)
        row["reasoning_effort"] = effort
    if row.get("reasoning_effort") is not None and not is_reasoning_model(row["model"]):
        raise invalid(
            "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
            param="reasoning_effort",
            code="unsupported_parameter",
        )
    creating: list[dict[str, Any]] = []
    if current is None or "tool_resources" in body:
        resources = _tool_resources(app, body.get("tool_resources"), creating if current is None else None)
        # On modify, each tool's resources are replaced only if that tool's key is sent.
        row["tool_resources"] = {**(row.get("tool_resources") or {}), **resources} if current else resources
    if creating:
        item = creating[0]
        store = create_vector_store_from(app, item["spec"], prefix=item["prefix"])
        row["tool_resources"]["file_search"] = {"vector_store_ids": [store["id"]]}
    return row


def _response_format(value: Any) -> Any:
    if value is None or value == "auto":
        return "auto"
    if isinstance(value, str):
        one_of(value, "response_format", ["auto"])
    expect_type(value, dict, "response_format")
    kinds = ["text", "json_object", "json_schema"]
    kind = one_of(require(value, "type", "response_format."), "response_format.type", kinds)
    if kind != "json_schema":
        reject_unknown(value, ["type"], "response_format.")
        return {"type": kind}
    reject_unknown(value, ["type", "json_schema"], "response_format.")
    spec = expect_type(require(value, "json_schema", "response_format."), dict, "response_format.json_schema")
    prefix = "response_format.json_schema."
    reject_unknown(spec, ["name", "description", "schema", "strict"], prefix)
    name = check_function_name(require(spec, "name", prefix), f"{prefix}name")
    out: dict[str, Any] = {"name": name}
    if spec.get("description") is not None:
        out["description"] = optional_string(spec, "description", prefix=prefix)
    strict = spec.get("strict")
    if strict is not None:
        expect_type(strict, bool, f"{prefix}strict")
    if spec.get("schema") is not None:
        out["schema"] = json_schema(spec["schema"], bool(strict), f"{prefix}schema", f"response_format '{name}'")
    out["strict"] = bool(strict)
    return {"type": "json_schema", "json_schema": out}


def _get_assistant(app: App, assistant_id: str) -> dict[str, Any]:
    id_prefix(assistant_id, "assistant_id", "asst")
    row = app.store.get(ASSISTANT, assistant_id)
    if row is None:
        raise not_found(f"No assistant found with id '{assistant_id}'.")
    return row


def create_assistant(app: App, request: Request) -> dict[str, Any]:
    body = request.json()
    with app.store.transaction():
        row = _build(app, body, None)
        row = {"id": new_id("asst_", 24), "object": "assistant", "created_at": int(app.now()), **row}
        app.store.insert(ASSISTANT, row["id"], row)
    return row


def list_assistants(app: App, request: Request) -> dict[str, Any]:
    return paginate(app.store, ASSISTANT, parse_list_params(request.query), dict)


def retrieve_assistant(app: App, request: Request) -> dict[str, Any]:
    return _get_assistant(app, request.params["assistant_id"])


def modify_assistant(app: App, request: Request) -> dict[str, Any]:
    body = request.json()
    with app.store.transaction():
        current = _get_assistant(app, request.params["assistant_id"])
        row = _build(app, body, current)
        app.store.update(ASSISTANT, row["id"], row)
    return row


def delete_assistant(app: App, request: Request) -> dict[str, Any]:
    return delete_standalone(app, ASSISTANT, request.params["assistant_id"], _get_assistant, "assistant.deleted")


# The Assistants API answers only requests that opt in with `OpenAI-Beta: assistants=v2`.
_ASSISTANTS_BETA = requires_beta("Assistants", "assistants=v2")


def register(router: Router) -> None:
    router.add("POST", "/v1/assistants", _ASSISTANTS_BETA(create_assistant))
    router.add("GET", "/v1/assistants", _ASSISTANTS_BETA(list_assistants))
    router.add("GET", "/v1/assistants/{assistant_id}", _ASSISTANTS_BETA(retrieve_assistant))
    router.add("POST", "/v1/assistants/{assistant_id}", _ASSISTANTS_BETA(modify_assistant))
    router.add("DELETE", "/v1/assistants/{assistant_id}", _ASSISTANTS_BETA(delete_assistant))
