"""Target `agents`: an assistant deployed as a server-side Agent (`client.beta.agents`), planned,
applied, drifted, imported and destroyed like any managed object."""
from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest
import yaml

from tests.conftest import stack_state

STACK = "stacks/support-bot"
AGENTS = ("--var", "assistant_target=agents")


def _without_file_tools(workspace: Path) -> None:
    """The support-bot example with only what an Agent holds: its function tools, no file_search,
    code_interpreter, temperature or description."""
    path = workspace / STACK / "stack.yaml"
    data = yaml.safe_load(path.read_text())
    support = data["assistants"]["support"]
    support["tools"] = [tool for tool in support["tools"] if tool["type"] == "function"]
    for key in ("tool_resources", "temperature", "description"):
        support.pop(key, None)  # absent when edited twice
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _agents(api: openai.OpenAI) -> list:
    return list(api.beta.agents.list())


@pytest.fixture(autouse=True)
def clean(emulator, workspace):
    """The session's emulator emptied: an Agent another test left tagged for support-bot would be an orphan here."""
    emulator.reset()


@pytest.fixture
def agent_stack(cli, workspace: Path, read_state, api: openai.OpenAI):
    """The support-bot example without file tools, applied as an Agent; the state's agent id."""
    _without_file_tools(workspace)
    result = cli("apply", STACK, *AGENTS, "--auto-approve")
    assert result.code == 0, result.output
    return read_state()["resources"]["assistants.support"]["id"]


def test_support_bot_deploys_as_an_agent_and_a_second_plan_shows_no_change(cli, agent_stack: str, read_state,
                                                                           api: openai.OpenAI):
    resource = read_state()["resources"]["assistants.support"]
    assert resource["kind"] == "agent" and agent_stack.startswith("agent_")
    agent = api.beta.agents.retrieve(agent_stack)
    assert agent.model == "gpt-4o" and agent.name == "Support bot (dev)"
    assert agent.instructions.startswith("You are the support assistant for Acme Widgets.")
    assert [(t.type, t.name) for t in agent.tools] == [("function", "lookup_order"), ("function", "open_ticket")]
    assert agent.metadata["provisioner:stack"] == "support-bot"
    assert agent.metadata["provisioner:address"] == "assistants.support"
    assert len(agent.metadata["provisioner:intent"]) == 12 and agent.metadata["env"] == "dev"
    # the values the API resolved (text format, verbosity, service tier, multi-agent) are no change
    assert agent.service_tier == "auto" and agent.text.verbosity == "medium"

    plan = cli("plan", STACK, *AGENTS, "--detailed-exitcode")
    assert plan.code == 0, plan.output
    assert "No changes" in plan.out


def test_a_reasoning_effort_left_to_the_model_is_no_change(cli, workspace: Path, api: openai.OpenAI):
    _without_file_tools(workspace)
    path = workspace / STACK / "stack.yaml"
    path.write_text(path.read_text().replace("model: gpt-4o", "model: gpt-5"))
    assert cli("apply", STACK, *AGENTS, "--auto-approve").code == 0
    plan = cli("plan", STACK, *AGENTS, "--detailed-exitcode")
    assert plan.code == 0, plan.output  # the API answers effort "medium" for gpt-5: not the stack's

    path.write_text(path.read_text().replace("model: gpt-5", "model: gpt-5\n    reasoning_effort: high"))
    plan = cli("plan", STACK, *AGENTS, "--detailed-exitcode")
    assert plan.code == 2 and "reasoning" in plan.out, plan.output
    assert cli("apply", STACK, *AGENTS, "--auto-approve").code == 0
    agents = [a for a in _agents(api) if a.metadata.get("provisioner:address") == "assistants.support"]
    assert any(a.reasoning.effort == "high" for a in agents)
    assert cli("plan", STACK, *AGENTS, "--detailed-exitcode").code == 0


def test_instructions_edited_by_hand_are_drift_and_apply_puts_them_back(cli, agent_stack: str,
                                                                        api: openai.OpenAI):
    api.beta.agents.update(agent_stack, instructions="Edited by hand.")

    drift = cli("drift", STACK, *AGENTS)
    assert drift.code == 2, drift.output
    assert "assistants.support" in drift.out and "Edited by hand." in drift.out, drift.out
    plan = cli("plan", STACK, *AGENTS, "--detailed-exitcode")
    assert plan.code == 2 and "Edited by hand." in plan.out, plan.output

    assert cli("apply", STACK, *AGENTS, "--auto-approve").code == 0
    agent = api.beta.agents.retrieve(agent_stack)
    assert agent.instructions.startswith("You are the support assistant")
    assert agent.metadata["provisioner:stack"] == "support-bot"  # metadata sent whole, tags kept
    after = cli("drift", STACK, *AGENTS)
    assert after.code == 0, after.output


def test_outputs_give_the_agent_id_and_destroy_leaves_no_agent(cli, workspace: Path, agent_stack: str,
                                                               api: openai.OpenAI):
    outputs = json.loads(stack_state(workspace, "support-bot", suffix=".outputs.json").read_text())
    assert outputs["assistants"]["support"] == {"target": "agents", "id": agent_stack}
    assert outputs["resources"]["assistants.support"] == agent_stack
    one = cli("output", STACK, "support")
    assert one.code == 0 and agent_stack in one.out

    result = cli("destroy", STACK, *AGENTS, "--auto-approve")
    assert result.code == 0, result.output
    assert agent_stack not in {a.id for a in _agents(api)}
    with pytest.raises(openai.NotFoundError):
        api.beta.agents.retrieve(agent_stack)


def test_an_existing_agent_is_imported_and_the_next_plan_shows_the_difference(cli, workspace: Path, read_state,
                                                                              api: openai.OpenAI):
    _without_file_tools(workspace)
    made = api.beta.agents.create(model="gpt-4o", name="Support bot (dev)", instructions="Made by hand.")
    try:
        result = cli("import", STACK, "assistants.support", made.id, *AGENTS)
        assert result.code == 0, result.output
        assert read_state()["resources"]["assistants.support"]["kind"] == "agent"
        plan = cli("plan", STACK, *AGENTS, "--detailed-exitcode")
        assert plan.code == 2 and "~ assistants.support" in plan.out, plan.output
        assert "Made by hand." in plan.out and "+ 0 to add" not in plan.out
        assert cli("apply", STACK, *AGENTS, "--auto-approve").code == 0
        agent = api.beta.agents.retrieve(made.id)  # the same object, brought in line
        assert agent.instructions.startswith("You are the support assistant")
        assert agent.metadata["provisioner:address"] == "assistants.support"
    finally:
        cli("destroy", STACK, *AGENTS, "--auto-approve")


def test_a_file_search_assistant_with_target_agents_fails_validate_at_its_line(cli, workspace: Path):
    result = cli("validate", STACK, *AGENTS)
    assert result.code == 1
    lines = (workspace / STACK / "stack.yaml").read_text().splitlines()
    file_search = next(i for i, line in enumerate(lines, 1) if "type: file_search" in line)
    assert f"stack.yaml:{file_search}:" in result.err, result.err
    assert "target agents cannot deploy a file_search tool" in result.err
    assert "targets that take file_search: assistants_api, responses" in result.err
    assert "cannot deploy a code_interpreter tool" in result.err
    assert "Traceback" not in result.output

    plan = cli("plan", STACK, *AGENTS)
    assert plan.code == 1 and "cannot deploy a file_search tool" in plan.err


def _edit_support(workspace: Path, **fields) -> Path:
    """The support-bot example without file tools, its assistant given these fields."""
    _without_file_tools(workspace)
    path = workspace / STACK / "stack.yaml"
    data = yaml.safe_load(path.read_text())
    data["assistants"]["support"].update(fields)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_json_object_format_fails_validate_and_plan_at_its_line_for_target_agents(cli, workspace: Path):
    path = _edit_support(workspace, response_format={"type": "json_object"})
    line = _line_of(path, "type: json_object")
    for command in ("validate", "plan"):
        result = cli(command, STACK, *AGENTS)  # agents as the stack's default target
        assert result.code == 1, result.output
        assert f"stack.yaml:{line}:" in result.err, result.err
        assert "target agents cannot deploy this response_format: type json_object" in result.err
        assert "targets that take this response_format: assistants_api, responses" in result.err
        assert "Traceback" not in result.output
    assert cli("validate", STACK).code == 0  # the default target takes it

    _edit_support(workspace, target="agents", response_format={"type": "json_object"})  # the assistant's own target
    result = cli("validate", STACK)
    assert result.code == 1 and "cannot deploy this response_format: type json_object" in result.err, result.output


def test_a_name_longer_than_an_agent_takes_fails_validate_at_its_line(cli, workspace: Path):
    path = _edit_support(workspace, name="n" * 129)
    result = cli("validate", STACK, *AGENTS)
    assert result.code == 1, result.output
    assert f"stack.yaml:{_line_of(path, 'name: ' + 'n' * 129)}:" in result.err, result.err
    assert "target agents cannot deploy this name: 129 characters (at most 128)" in result.err
    assert "targets that take this name: assistants_api, responses" in result.err
    assert cli("validate", STACK).code == 0  # an Assistants API name may have 256

    _edit_support(workspace, name="n" * 128)
    assert cli("validate", STACK, *AGENTS).code == 0


def test_ignored_instructions_edited_by_hand_are_neither_a_change_nor_drift(cli, workspace: Path, read_state,
                                                                           api: openai.OpenAI):
    # an Agent keeps a response_format as its `text`: its handler says what each name covers
    answer = {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}}}
    _edit_support(workspace, response_format=answer,
                  lifecycle={"ignore_changes": ["instructions_file", "response_format"]})
    assert cli("apply", STACK, *AGENTS, "--auto-approve").code == 0
    agent_id = read_state()["resources"]["assistants.support"]["id"]
    assert api.beta.agents.retrieve(agent_id).text.format.type == "json_schema"
    api.beta.agents.update(agent_id, instructions="Edited by hand.", text={"format": {"type": "text"}})

    plan = cli("plan", STACK, *AGENTS, "--detailed-exitcode")
    assert plan.code == 0 and "Edited by hand." not in plan.out, plan.output
    drift = cli("drift", STACK, *AGENTS)
    assert drift.code == 0, drift.output
    api.beta.agents.update(agent_id, name="Renamed by hand")  # a field not ignored still is
    assert cli("drift", STACK, *AGENTS).code == 2


def test_drift_help_names_agents_among_what_unmanaged_reports(cli):
    result = cli("drift", "--help")
    assert result.code == 0
    assert "vector stores, assistants and Agents" in " ".join(result.out.split())
