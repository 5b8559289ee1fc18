"""Agents (beta): every method of `client.beta.agents`, the Agent fields the server resolves,
what an update replaces, pagination, validation errors, 404s and the beta header."""

from __future__ import annotations

import uuid

import openai
import pytest
from openai import omit

from .conftest import error_body

LOOKUP = {
    "type": "function",
    "name": "lookup_order",
    "description": "Find an order by id",
    "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
}
MCP = {"type": "mcp", "server_label": "docs", "transport": {"type": "http", "server_url": "https://mcp.example.com"}}


def bad_request(call, *args, **kwargs) -> dict:
    with pytest.raises(openai.BadRequestError) as caught:
        call(*args, **kwargs)
    return error_body(caught.value)


def test_create_with_every_field_round_trips(client):
    created = client.beta.agents.create(
        model="gpt-5-mini",
        name="Support bot",
        instructions="Answer briefly.",
        metadata={"managed-by": "provisioner", "stack": "support"},
        reasoning={"effort": "low", "summary": "auto"},
        text={"format": {"type": "json_schema", "schema": {"type": "object"}}, "verbosity": "high"},
        tools=[LOOKUP, MCP, {"type": "web_search", "context_size": "high"}],
        service_tier="flex",
        multi_agent={"enabled": True, "max_concurrent_subagents": 2},
        compaction={"async_": True},
        experimental={"time_awareness": True},
    )
    assert created.id.startswith("agent_") and created.object == "agent"
    assert created.created_at == created.updated_at > 0
    assert (created.model, created.name, created.instructions) == ("gpt-5-mini", "Support bot", "Answer briefly.")
    assert created.metadata == {"managed-by": "provisioner", "stack": "support"}
    assert (created.reasoning.effort, created.reasoning.summary) == ("low", "auto")
    assert created.text.format.type == "json_schema" and created.text.format.schema_ == {"type": "object"}
    assert created.text.verbosity == "high"
    assert [tool.type for tool in created.tools] == ["function", "mcp", "web_search"]
    assert created.tools[0].parameters == LOOKUP["parameters"]
    assert created.service_tier == "flex"
    assert (created.multi_agent.enabled, created.multi_agent.max_concurrent_subagents) == (True, 2)
    assert created.compaction.async_ is True and created.experimental.time_awareness is True
    assert client.beta.agents.retrieve(created.id) == created


def test_only_model_is_required_and_the_rest_resolves_to_defaults(client):
    created = client.beta.agents.create(model="gpt-5")
    assert (created.name, created.instructions, created.metadata, created.tools) == (None, None, {}, [])
    assert created.service_tier == "auto"
    assert created.text.format.type == "text" and created.text.verbosity == "medium"
    assert (created.multi_agent.enabled, created.multi_agent.max_concurrent_subagents) == (False, None)
    assert created.compaction.async_ is False and created.experimental.time_awareness is False
    # A reasoning model's default effort is filled in; a model that does not reason has none.
    assert (created.reasoning.effort, created.reasoning.summary) == ("medium", None)
    assert client.beta.agents.create(model="gpt-4.1").reasoning.effort is None
    # Enabling subagents without a ceiling gets the documented 6.
    enabled = client.beta.agents.create(model="gpt-5", multi_agent={"enabled": True})
    assert enabled.multi_agent.max_concurrent_subagents == 6

    error = bad_request(client.beta.agents.create, model=omit)
    assert (error["param"], error["code"]) == ("model", "missing_required_parameter")


def test_each_tool_type_comes_back_with_its_defaults(client):
    created = client.beta.agents.create(
        model="gpt-5",
        tools=[
            LOOKUP,
            {"type": "tool_search"},
            {"type": "programmatic_tool_calling"},
            MCP,
            {"type": "mcp", "server_label": "local", "transport": {"type": "stdio", "command": "srv", "cwd": "/w"}},
            {"type": "web_search", "location": {"country": "US"}},
            {"type": "computer_use"},
            {"type": "automations"},
        ],
    )
    function, search, programmatic, http, stdio, web, computer, automations = created.tools
    assert function.defer_loading is False and function.async_ is None
    assert search.type == "tool_search" and automations.type == "automations"
    assert programmatic.enabled is True
    assert (http.required, http.allowed_tools, http.credential_id, http.request_metadata) == (False, None, None, {})
    assert http.connection_origin == "service" and http.transport.headers == {}
    transport = {**MCP["transport"], "headers": {"x": "1"}}
    tagged = {**MCP, "request_metadata": {"tenant": 7, "beta": True}, "transport": transport}
    (kept,) = client.beta.agents.create(model="gpt-5", tools=[tagged]).tools
    assert (kept.request_metadata, kept.transport.headers) == ({"tenant": 7, "beta": True}, {"x": "1"})
    assert (stdio.transport.args, stdio.transport.env_vars, stdio.connection_origin) == ([], [], "environment")
    assert (web.context_size, web.mode, web.allowed_domains) == ("medium", "live", None)
    assert (web.location.country, web.location.city) == ("US", None)
    assert computer.include_screenshots is False


@pytest.mark.parametrize("tool", [{"type": "file_search"}, {"type": "code_interpreter"}])
def test_assistant_only_tools_are_refused(client, tool):
    error = bad_request(client.beta.agents.create, model="gpt-5", tools=[LOOKUP, tool])
    assert (error["param"], error["code"]) == ("tools[1].type", "invalid_value")
    assert f"'{tool['type']}'" in error["message"] and "'web_search'" in error["message"]


@pytest.mark.parametrize(
    ("fields", "param", "code"),
    [
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "object_above_max_properties"),
        ({"metadata": {"k" * 65: "v"}}, f"metadata.{'k' * 65}", "string_above_max_length"),
        ({"metadata": {"k": "v" * 513}}, "metadata.k", "string_above_max_length"),
        ({"name": "n" * 129}, "name", "string_above_max_length"),
        ({"service_tier": "cheap"}, "service_tier", "invalid_value"),
        ({"reasoning": {"effort": "huge"}}, "reasoning.effort", "invalid_value"),
        ({"model": "gpt-4o", "reasoning": {"effort": "high"}}, "reasoning.effort", "unsupported_parameter"),
        ({"text": {"verbosity": "loud"}}, "text.verbosity", "invalid_value"),
        ({"text": {"format": {"type": "json_schema"}}}, "text.format.schema", "missing_required_parameter"),
        ({"multi_agent": {"max_concurrent_subagents": 2}}, "multi_agent.enabled", "missing_required_parameter"),
        ({"tools": [{**LOOKUP, "description": None}]}, "tools[0].description", "missing_required_parameter"),
        ({"tools": [{**LOOKUP, "name": "has space"}]}, "tools[0].name", "invalid_value"),
        ({"tools": [{"type": "mcp", "server_label": "x"}]}, "tools[0].transport", "missing_required_parameter"),
        ({"tools": [{"type": "web_search", "mode": "offline"}]}, "tools[0].mode", "invalid_value"),
    ],
)
def test_invalid_fields_answer_400_naming_the_param(client, fields, param, code):
    error = bad_request(client.beta.agents.create, **{"model": "gpt-5", **fields})
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_unknown_fields_and_oversized_tool_lists_are_refused(client):
    error = bad_request(client.beta.agents.create, model="gpt-5", extra_body={"tool_resources": {}})
    assert (error["param"], error["code"]) == ("tool_resources", "unknown_parameter")
    huge = {**LOOKUP, "parameters": {"type": "object", "description": "x" * 3145728}}
    error = bad_request(client.beta.agents.create, model="gpt-5", tools=[huge])
    assert error["param"] == "tools" and "3145728 bytes" in error["message"]


def test_update_replaces_what_is_sent_and_keeps_the_rest(client):
    created = client.beta.agents.create(
        model="gpt-5",
        name="a",
        instructions="keep me",
        metadata={"owner": "x", "stack": "s"},
        tools=[LOOKUP, MCP],
        experimental={"time_awareness": True},
    )
    # tools and metadata are replaced whole, never merged with what was there
    changed = client.beta.agents.update(created.id, tools=[{"type": "web_search"}], metadata={"owner": "y"})
    assert [tool.type for tool in changed.tools] == ["web_search"]
    assert changed.metadata == {"owner": "y"}
    assert (changed.name, changed.instructions, changed.model) == ("a", "keep me", "gpt-5")
    assert changed.updated_at >= created.created_at and changed.created_at == created.created_at
    # experimental is merged by key: sending nothing in it keeps time_awareness
    assert client.beta.agents.update(created.id, experimental={}).experimental.time_awareness is True
    # null clears name, instructions, tools and metadata
    cleared = client.beta.agents.update(created.id, name=None, instructions=None, tools=None, metadata=None)
    assert (cleared.name, cleared.instructions, cleared.tools, cleared.metadata) == (None, None, [], {})
    assert client.beta.agents.retrieve(created.id) == cleared
    error = bad_request(client.beta.agents.update, created.id, extra_body={"model": None})
    assert (error["param"], error["code"]) == ("model", "invalid_type")


def test_update_resolves_reasoning_against_the_model(client):
    created = client.beta.agents.create(model="gpt-5", reasoning={"effort": "high"})
    assert client.beta.agents.update(created.id, instructions="x").reasoning.effort == "high"
    # null resets to the model's default effort
    assert client.beta.agents.update(created.id, reasoning=None).reasoning.effort == "medium"
    # a model that does not reason has no effort, and refuses a kept explicit one
    assert client.beta.agents.update(created.id, model="gpt-4.1").reasoning.effort is None
    client.beta.agents.update(created.id, model="o3", reasoning={"effort": "low"})
    error = bad_request(client.beta.agents.update, created.id, model="gpt-4o")
    assert error["param"] == "reasoning.effort"
    assert client.beta.agents.retrieve(created.id).model == "o3"


def test_delete_and_404s(client):
    created = client.beta.agents.create(model="gpt-5")
    deleted = client.beta.agents.delete(created.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (created.id, "agent.deleted", True)
    for call, args in (
        (client.beta.agents.retrieve, {}),
        (client.beta.agents.update, {"name": "x"}),
        (client.beta.agents.delete, {}),
    ):
        with pytest.raises(openai.NotFoundError) as caught:
            call(created.id, **args)
        error = error_body(caught.value)
        assert error["type"] == "invalid_request_error" and created.id in error["message"]
    assert created.id not in {agent.id for agent in client.beta.agents.list(limit=100)}


def test_the_beta_header_is_required(client):
    for header in (omit, "assistants=v2"):
        with pytest.raises(openai.BadRequestError) as caught:
            client.beta.agents.list(extra_headers={"OpenAI-Beta": header})
        error = error_body(caught.value)
        assert error["code"] == "invalid_beta" and "OpenAI-Beta: agents=v1" in error["message"]
    assert client.beta.agents.list(extra_headers={"OpenAI-Beta": "assistants=v2, agents=v1"}).data is not None


def test_list_paginates_over_more_than_a_hundred_agents(client):
    marker = uuid.uuid4().hex
    ids = [client.beta.agents.create(model="gpt-5-nano", metadata={"run": marker}).id for _ in range(105)]

    def ours(page) -> list[str]:
        return [agent.id for agent in page if agent.metadata.get("run") == marker]

    # the SDK follows `after` through has_more on its own
    assert ours(client.beta.agents.list(limit=100, order="asc")) == ids
    assert ours(client.beta.agents.list(limit=100)) == ids[::-1]  # newest first by default

    raw = client.beta.agents.with_raw_response.list(limit=2, order="asc", after=ids[0]).http_response.json()
    assert [agent["id"] for agent in raw["data"]] == ids[1:3]
    assert (raw["object"], raw["first_id"], raw["last_id"], raw["has_more"]) == ("list", ids[1], ids[2], True)
    assert ours(client.beta.agents.list(after=ids[0], order="desc")) == []
    last = client.beta.agents.list(limit=100, order="asc", after=ids[-2])
    assert ours(last.data) == ids[-1:]

    error = bad_request(client.beta.agents.list, limit=101)
    assert (error["param"], error["code"]) == ("limit", "integer_above_max_value")
    assert bad_request(client.beta.agents.list, order="newest")["param"] == "order"
