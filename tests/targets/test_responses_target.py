"""One stack, two targets: the Assistants API object, or a Responses API definition that an
application passes to `client.responses.create(**definition, input=...)`."""
from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import jsonschema
import openai
from openai.types.responses.response_create_params import ResponseCreateParamsNonStreaming
from pydantic import TypeAdapter
from tests.conftest import stack_state

STACK = "stacks/support-bot"
RESPONSES = ("--var", "assistant_target=responses")


def _outputs(workspace: Path, stack: str = "support-bot") -> dict:
    return json.loads(stack_state(workspace, stack, suffix=".outputs.json").read_text())


def assert_is_a_responses_request(definition: dict, schema: jsonschema.protocols.Validator) -> None:
    """Valid for OpenAI's published schema, for the SDK's own parameter type, and as keyword
    arguments of `client.responses.create` next to `input`."""
    body = {**definition, "input": "Where is my order A-1042?"}
    error = jsonschema.exceptions.best_match(schema.iter_errors(body))
    assert error is None, f"{error.json_path}: {error.message}"
    TypeAdapter(ResponseCreateParamsNonStreaming).validate_python(body)
    create = openai.OpenAI(api_key="unused", base_url="http://127.0.0.1:9").responses.create
    inspect.signature(create).bind(**body)  # a key the SDK does not take would be a TypeError here


def test_support_bot_deploys_to_both_targets_from_one_stack_file(cli, workspace: Path, emulator, api: openai.OpenAI):
    stack_files = {p: p.read_bytes() for p in (workspace / STACK).glob("*.yaml")}

    result = cli("apply", STACK, "--auto-approve", "--state", "state/classic.json")
    assert result.code == 0, result.output
    classic = json.loads((workspace / "state" / "classic.json").read_text())["resources"]
    assistant = api.beta.assistants.retrieve(classic["assistants.support"]["id"])
    assert assistant.tool_resources.file_search.vector_store_ids == [classic["vector_stores.knowledge"]["id"]]

    def assistants_calls() -> dict:
        return {route: n for route, n in emulator.stats()["requests"].items() if "/assistants" in route}

    # an empty endpoint, as for another environment: with the classic deploy's tagged objects live,
    # the fresh state would adopt them (two deploys of one stack in one endpoint are workspaces)
    emulator.reset()
    before = assistants_calls()
    result = cli("apply", STACK, *RESPONSES, "--auto-approve", "--state", "state/responses.json")
    assert result.code == 0, result.output
    assert "Apply complete! Resources: 7 added" in result.out
    assert assistants_calls() == before  # no server object, not even a read of /v1/assistants
    outputs = json.loads((workspace / "state" / "responses.outputs.json").read_text())
    definition = outputs["assistants"]["support"]["definition"]
    assert outputs["assistants"]["support"]["target"] == "responses"
    assert definition["tools"][0]["vector_store_ids"] == [outputs["resources"]["vector_stores.knowledge"]]
    assert {p: p.read_bytes() for p in (workspace / STACK).glob("*.yaml")} == stack_files  # nothing edited


def test_definition_is_a_valid_responses_request_with_the_live_ids(cli, workspace: Path, read_state,
                                                                   api: openai.OpenAI, create_response_schema):
    assert cli("apply", STACK, *RESPONSES, "--auto-approve").code == 0
    definition = _outputs(workspace)["assistants"]["support"]["definition"]
    assert_is_a_responses_request(definition, create_response_schema)

    resources = read_state()["resources"]
    store_id = resources["vector_stores.knowledge"]["id"]
    tools = {t["type"]: t for t in definition["tools"]}
    assert tools["file_search"] == {"type": "file_search", "vector_store_ids": [store_id], "max_num_results": 8}
    assert api.vector_stores.retrieve(store_id).file_counts.completed == 4
    pricing = resources["files.pricing"]["id"]
    assert tools["code_interpreter"]["container"] == {"type": "auto", "file_ids": [pricing]}
    # uploaded under the declared name with the marker of its create before the extension
    assert re.fullmatch(r"pricing\.[0-9a-f]{12}\.csv", api.files.retrieve(pricing).filename)
    functions = [t for t in definition["tools"] if t["type"] == "function"]
    assert [(f["name"], f["strict"]) for f in functions] == [("lookup_order", True), ("open_ticket", False)]
    assert definition["model"] == "gpt-4o" and definition["temperature"] == 0.2
    assert definition["instructions"].startswith("You are the support assistant for Acme Widgets.")
    assert definition["metadata"]["env"] == "dev"


STRUCTURED = """\
stack: triage
defaults: {assistant_target: responses}
files:
  notes: {path: notes.md}
vector_stores:
  kb: {files: [notes]}
functions:
  escalate:
    parameters: {type: object, properties: {reason: {type: string}}, required: [reason], additionalProperties: false}
    strict: true
assistants:
  triage:
    model: o3
    instructions: Label each ticket.
    tools:
      - {type: file_search, ranking_options: {ranker: auto, score_threshold: 0.4}}
      - {type: function, function: escalate}
      - {type: code_interpreter}
    tool_resources: {file_search: {vector_stores: [kb]}}
    top_p: 0.9
    reasoning_effort: high
    response_format:
      type: json_schema
      json_schema:
        name: ticket_label
        description: The label of one ticket.
        strict: true
        schema: {type: object, properties: {label: {type: string}}, required: [label], additionalProperties: false}
"""


def test_response_format_reasoning_and_search_options_map_to_the_responses_shape(
        cli, workspace: Path, read_state, create_response_schema):
    (workspace / "stacks" / "triage").mkdir()
    (workspace / "stacks" / "triage" / "stack.yaml").write_text(STRUCTURED)
    (workspace / "stacks" / "triage" / "notes.md").write_text("Refunds take five days.\n")
    result = cli("apply", "stacks/triage", "--auto-approve")
    assert result.code == 0, result.output

    definition = _outputs(workspace, "triage")["assistants"]["triage"]["definition"]
    assert_is_a_responses_request(definition, create_response_schema)
    assert definition["text"] == {"format": {
        "type": "json_schema", "name": "ticket_label", "description": "The label of one ticket.", "strict": True,
        "schema": {"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"],
                   "additionalProperties": False}}}
    assert definition["reasoning"] == {"effort": "high"}
    assert definition["top_p"] == 0.9
    store_id = read_state("triage")["resources"]["vector_stores.kb"]["id"]
    assert definition["tools"] == [
        {"type": "file_search", "vector_store_ids": [store_id],
         "ranking_options": {"ranker": "auto", "score_threshold": 0.4}},
        {"type": "function", "name": "escalate", "strict": True, "parameters": {
            "type": "object", "properties": {"reason": {"type": "string"}}, "required": ["reason"],
            "additionalProperties": False}},
        {"type": "code_interpreter", "container": {"type": "auto", "file_ids": []}},
    ]


def test_an_assistants_only_ranker_is_refused_for_the_responses_target(cli, workspace: Path):
    (workspace / "triage").mkdir()
    (workspace / "triage" / "stack.yaml").write_text(STRUCTURED.replace("ranker: auto", "ranker: default_2024_08_21"))
    (workspace / "triage" / "notes.md").write_text("Refunds take five days.\n")
    result = cli("plan", "triage")
    assert result.code == 1
    assert re.search(r"triage/stack\.yaml:\d+:\d+: file_search ranker 'default_2024_08_21' exists only in the "
                     "Assistants API", result.err), result.err
    assert "set `ranker: auto`" in result.err


def test_changing_the_instructions_updates_the_definition_field_by_field(cli, workspace: Path, read_state):
    assert cli("apply", STACK, *RESPONSES, "--auto-approve").code == 0
    definition_id = read_state()["resources"]["assistants.support"]["id"]
    prompt = workspace / STACK / "prompts" / "support.md"
    prompt.write_text(prompt.read_text().replace("cite the document you used", "always cite the document"))

    result = cli("plan", STACK, *RESPONSES, "--detailed-exitcode")
    assert result.code == 2, result.output
    assert "assistants.support will be updated in place" in result.out
    assert "~ instructions:\n" in result.out  # the prompt's changed line as a line diff
    assert "-   Answer from the documentation (file search) and cite the document you used.\n" in result.out
    assert "+   Answer from the documentation (file search) and always cite the document.\n" in result.out
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in result.out
    plan = json.loads(cli("plan", STACK, *RESPONSES, "--json").out)
    change = next(c for c in plan["changes"] if c["address"] == "assistants.support")
    assert change["action"] == "update" and [d["path"] for d in change["diff"]] == ["instructions"]

    assert cli("apply", STACK, *RESPONSES, "--auto-approve").code == 0
    definition = _outputs(workspace)["assistants"]["support"]["definition"]
    assert "always cite the document" in definition["instructions"]
    assert read_state()["resources"]["assistants.support"]["id"] == definition_id
    assert cli("plan", STACK, *RESPONSES, "--detailed-exitcode").code == 0


def test_the_schema_check_rejects_a_wrong_definition(create_response_schema):
    """The extract of OpenAI's schema really checks: a file_search tool without its stores, or a
    temperature that is not a number, is not a Responses request."""
    good = {"model": "gpt-4o", "instructions": "Be brief.", "input": "hi", "temperature": 0.2,
            "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}]}
    assert list(create_response_schema.iter_errors(good)) == []
    for wrong in ({**good, "temperature": "warm"}, {**good, "tools": [{"type": "file_search"}]},
                  {**good, "tools": [{"type": "no_such_tool"}]}):
        assert list(create_response_schema.iter_errors(wrong)), wrong
