"""Assistants: every field of the SDK's Assistant type, and every documented limit."""

from __future__ import annotations

import openai
import pytest

from .conftest import error_body

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


def test_create_with_every_field_round_trips(client, upload):
    code_file = upload(purpose="assistants")
    store = client.vector_stores.create(name="kb")
    created = client.beta.assistants.create(
        model="gpt-4o",
        name="Helper",
        description="Answers questions",
        instructions="Be brief.",
        tools=[{"type": "code_interpreter"}, {"type": "file_search", "file_search": {"max_num_results": 5}}, WEATHER],
        tool_resources={
            "code_interpreter": {"file_ids": [code_file.id]},
            "file_search": {"vector_store_ids": [store.id]},
        },
        temperature=0.2,
        top_p=0.9,
        response_format={"type": "json_object"},
        metadata={"owner": "team-a"},
    )
    assert created.id.startswith("asst_") and created.object == "assistant"
    assert (created.model, created.name, created.description, created.instructions) == (
        "gpt-4o",
        "Helper",
        "Answers questions",
        "Be brief.",
    )
    assert [tool.type for tool in created.tools] == ["code_interpreter", "file_search", "function"]
    assert created.tools[1].file_search.max_num_results == 5
    # Like the real API, file_search tools come back with the ranking options in force.
    assert created.tools[1].file_search.ranking_options.ranker == "default_2024_08_21"
    assert created.tools[2].function.parameters == WEATHER["function"]["parameters"]
    assert created.tools[2].function.strict is True
    assert created.tool_resources.code_interpreter.file_ids == [code_file.id]
    assert created.tool_resources.file_search.vector_store_ids == [store.id]
    assert (created.temperature, created.top_p) == (0.2, 0.9)
    assert created.response_format.type == "json_object"
    assert created.metadata == {"owner": "team-a"}
    assert client.beta.assistants.retrieve(created.id) == created


def test_defaults(client):
    created = client.beta.assistants.create(model="gpt-4o-mini")
    assert (created.name, created.description, created.instructions) == (None, None, None)
    assert created.tools == [] and created.metadata == {}
    assert (created.temperature, created.top_p, created.response_format) == (1.0, 1.0, "auto")


def test_reasoning_effort_only_on_reasoning_models(client):
    created = client.beta.assistants.create(model="o3-mini", reasoning_effort="high")
    assert created.model_extra.get("reasoning_effort", getattr(created, "reasoning_effort", None)) == "high"
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.assistants.create(model="gpt-4o", reasoning_effort="high")
    assert error_body(caught.value)["code"] == "unsupported_parameter"


def test_json_schema_response_format(client):
    fmt = {
        "type": "json_schema",
        "json_schema": {
            "name": "answer",
            "schema": {
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
                "additionalProperties": False,
            },
            "strict": True,
        },
    }
    created = client.beta.assistants.create(model="gpt-4o", response_format=fmt)
    assert created.response_format.json_schema.name == "answer"
    assert created.response_format.json_schema.strict is True


def test_modify_changes_only_what_is_sent(client):
    created = client.beta.assistants.create(model="gpt-4o", name="a", instructions="keep me", metadata={"x": "1"})
    changed = client.beta.assistants.update(created.id, name="b", temperature=0.5)
    assert (changed.name, changed.instructions, changed.metadata, changed.temperature) == ("b", "keep me", {"x": "1"}, 0.5)
    cleared = client.beta.assistants.update(created.id, description=None, instructions=None)
    assert cleared.instructions is None
    assert client.beta.assistants.retrieve(created.id).name == "b"


def test_delete(client):
    created = client.beta.assistants.create(model="gpt-4o")
    deleted = client.beta.assistants.delete(created.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (created.id, "assistant.deleted", True)
    with pytest.raises(openai.NotFoundError) as caught:
        client.beta.assistants.retrieve(created.id)
    assert created.id in error_body(caught.value)["message"]
    with pytest.raises(openai.NotFoundError):
        client.beta.assistants.update(created.id, name="x")


def test_inline_vector_store_is_created(client, upload):
    doc = upload()
    created = client.beta.assistants.create(
        model="gpt-4o",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_stores": [{"file_ids": [doc.id], "metadata": {"k": "v"}}]}},
    )
    (store_id,) = created.tool_resources.file_search.vector_store_ids
    store = client.vector_stores.retrieve(store_id)
    assert store.metadata == {"k": "v"} and store.file_counts.total == 1


def _params(n: int) -> dict:
    return {"type": "function", "function": {"name": f"f{n}", "parameters": {"type": "object", "properties": {}}}}


LIMITS = [
    ({"name": "n" * 257}, "name", "string_above_max_length"),
    ({"description": "d" * 513}, "description", "string_above_max_length"),
    ({"instructions": "i" * 256001}, "instructions", "string_above_max_length"),
    ({"temperature": 2.1}, "temperature", "decimal_above_max_value"),
    ({"temperature": -0.1}, "temperature", "decimal_below_min_value"),
    ({"top_p": 1.5}, "top_p", "decimal_above_max_value"),
    ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "object_above_max_properties"),
    ({"metadata": {"k" * 65: "v"}}, "metadata." + "k" * 65, "string_above_max_length"),
    ({"metadata": {"k": "v" * 513}}, "metadata.k", "string_above_max_length"),
    ({"tools": [_params(i) for i in range(129)]}, "tools", "array_above_max_length"),
    ({"tools": [{"type": "retrieval"}]}, "tools[0].type", "invalid_value"),
    (
        {"tools": [{"type": "file_search", "file_search": {"max_num_results": 51}}]},
        "tools[0].file_search.max_num_results",
        "integer_above_max_value",
    ),
    (
        {"tools": [{"type": "function", "function": {"name": "has space"}}]},
        "tools[0].function.name",
        "invalid_value",
    ),
    (
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "nonsense"}}}]},
        "tools[0].function.parameters",
        "invalid_function_parameters",
    ),
    (
        {
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "f",
                        "strict": True,
                        "parameters": {"type": "object", "properties": {"a": {"type": "string"}}},
                    },
                }
            ]
        },
        "tools[0].function.parameters",
        "invalid_function_parameters",
    ),
    (
        {"tool_resources": {"file_search": {"vector_store_ids": ["vs_a", "vs_b"]}}},
        "tool_resources.file_search.vector_store_ids",
        "array_above_max_length",
    ),
    (
        {"tool_resources": {"code_interpreter": {"file_ids": [f"file-{i}" for i in range(21)]}}},
        "tool_resources.code_interpreter.file_ids",
        "array_above_max_length",
    ),
    (
        {"tool_resources": {"code_interpreter": {"file_ids": ["file-missing"]}}},
        "tool_resources.code_interpreter.file_ids[0]",
        "file_not_found",
    ),
    (
        {"tool_resources": {"file_search": {"vector_store_ids": ["vs_missing"]}}},
        "tool_resources.file_search.vector_store_ids[0]",
        "vector_store_not_found",
    ),
    ({"response_format": {"type": "xml"}}, "response_format.type", "invalid_value"),
    ({"reasoning_effort": "extreme"}, "reasoning_effort", "invalid_value"),
    ({"model": "gpt-unknown"}, "model", "model_not_found"),
    ({"model": "text-embedding-3-small"}, "model", "unsupported_model"),
    ({"colour": "blue"}, "colour", "unknown_parameter"),
    ({"name": 42}, "name", "invalid_type"),
]


@pytest.mark.parametrize("overrides, param, code", LIMITS, ids=[f"{p}-{c}" for _, p, c in LIMITS])
def test_documented_limits(client, overrides, param, code):
    body = {"model": "gpt-4o", **overrides}
    model = body.pop("model")
    known = {"name", "description", "instructions", "tools", "tool_resources", "temperature", "top_p"}
    known |= {"metadata", "response_format", "reasoning_effort"}
    kwargs = {k: v for k, v in body.items() if k in known}
    extra = {k: v for k, v in body.items() if k not in known}
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.assistants.create(model=model, extra_body=extra or None, **kwargs)
    error = error_body(caught.value)
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)
    assert error["message"]


def test_limits_at_the_boundary_are_accepted(client, upload):
    created = client.beta.assistants.create(
        model="gpt-4o",
        name="n" * 256,
        description="d" * 512,
        temperature=2,
        top_p=0,
        metadata={f"{i:02d}" + "k" * 62: "v" * 512 for i in range(16)},
        tools=[_params(i) for i in range(128)],
        tool_resources={"code_interpreter": {"file_ids": [upload().id for _ in range(20)]}},
    )
    assert len(created.tools) == 128 and len(created.metadata) == 16


def test_beta_header_is_required(client):
    # Plain POST without the SDK's `OpenAI-Beta: assistants=v2` header.
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/assistants", body={"model": "gpt-4o"}, cast_to=object)
    error = error_body(caught.value)
    assert error["code"] == "invalid_beta"
    assert "OpenAI-Beta: assistants=v2" in error["message"]


def test_missing_model(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.post(
            "/assistants", body={"name": "x"}, cast_to=object, options={"headers": {"OpenAI-Beta": "assistants=v2"}}
        )
    error = error_body(caught.value)
    assert (error["param"], error["code"]) == ("model", "missing_required_parameter")


def test_modify_tool_resources(client, upload):
    first, second = client.vector_stores.create(), client.vector_stores.create()
    created = client.beta.assistants.create(
        model="gpt-4o", tools=[{"type": "file_search"}], tool_resources={"file_search": {"vector_store_ids": [first.id]}}
    )
    changed = client.beta.assistants.update(created.id, tool_resources={"file_search": {"vector_store_ids": [second.id]}})
    assert changed.tool_resources.file_search.vector_store_ids == [second.id]
    # Modify only takes existing vector stores; inline creation is a create-time feature.
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.assistants.update(
            created.id, tool_resources={"file_search": {"vector_stores": [{"file_ids": [upload().id]}]}}
        )
    assert error_body(caught.value)["code"] == "unknown_parameter"
