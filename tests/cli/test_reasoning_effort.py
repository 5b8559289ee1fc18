"""A parameter the chosen model refuses fails at validate and plan time, with file:line, before any change."""
from __future__ import annotations

import re
from pathlib import Path

import openai
import pytest

from provisioner.config.models import takes_reasoning_effort
from provisioner.emulator.config import DEFAULT_MODELS

from .conftest import QUICKSTART
from tests.conftest import WEATHER_ASSISTANT, replace_in, stack_state, weather_assistant


def _writes(stats: dict) -> int:
    return sum(n for route, n in stats["requests"].items() if not route.startswith("GET"))


@pytest.mark.parametrize("target", ["agents", "assistants_api"])
@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4.1-mini", "gpt-3.5-turbo"])
def test_reasoning_effort_on_a_model_without_reasoning_is_refused(cli, workspace: Path, emulator, edit_quickstart,
                                                                  command: str, model: str, target: str):
    if target == "agents":  # the quickstart
        stack, name = QUICKSTART, "quickstart"
        line = edit_quickstart("    model: gpt-5-mini\n", f"    model: {model}\n") + 1  # reasoning_effort follows
    else:
        stack, name = weather_assistant(workspace), "weather"
        replace_in(workspace / stack / "stack.yaml", "    temperature: 0.3\n", "    reasoning_effort: low\n")
        line = WEATHER_ASSISTANT.index("    temperature: 0.3\n")
        line = WEATHER_ASSISTANT[:line].count("\n") + 1
        replace_in(workspace / stack / "stack.yaml", "    model: gpt-4o-mini\n", f"    model: {model}\n")
    before = emulator.stats()
    result = cli(command, stack, *(["--auto-approve"] if command == "apply" else []))
    assert result.code == 1
    assert re.search(rf'stack\.yaml:{line}:5: model "{re.escape(model)}" does not take reasoning_effort.*\n'
                     r"  hint: remove reasoning_effort, or choose a reasoning model", result.err), result.err
    assert "Traceback" not in result.output
    assert _writes(emulator.stats()) == _writes(before)
    assert not stack_state(workspace, name).exists()


def test_a_reasoning_model_takes_reasoning_effort_as_an_agent(cli, workspace: Path, edit_quickstart,
                                                               api: openai.OpenAI):
    edit_quickstart("    model: gpt-5-mini\n    reasoning_effort: low\n", "    model: o4-mini\n    reasoning_effort: high\n")
    applied = cli("apply", QUICKSTART, "--auto-approve")
    assert applied.code == 0, applied.output
    agent = next(a for a in api.beta.agents.list() if a.name == "Weather helper" and a.model == "o4-mini")
    assert agent.reasoning.effort == "high"


def test_a_reasoning_model_takes_reasoning_effort_as_an_assistant(cli, workspace: Path, api: openai.OpenAI):
    stack = weather_assistant(workspace)
    replace_in(workspace / stack / "stack.yaml", "    model: gpt-4o-mini\n    name: Weather helper\n",
               "    model: o4-mini\n    reasoning_effort: high\n    name: Weather helper\n")
    replace_in(workspace / stack / "stack.yaml", "    temperature: 0.3\n", "")
    applied = cli("apply", stack, "--auto-approve")
    assert applied.code == 0, applied.output
    assistant = next(a for a in api.beta.assistants.list() if a.name == "Weather helper" and a.model == "o4-mini")
    assert assistant.reasoning_effort == "high"


@pytest.mark.parametrize("target", ["assistants_api", "agents"])
def test_the_stack_check_and_the_emulator_agree_on_every_model_they_both_know(api: openai.OpenAI, target: str):
    """What validate refuses, the emulator (standing in for OpenAI) refuses too, and the reverse, for
    an assistant and for an Agent."""
    collection, param, effort = ((api.beta.assistants, "reasoning_effort", {"reasoning_effort": "low"})
                                 if target == "assistants_api" else
                                 (api.beta.agents, "reasoning.effort", {"reasoning": {"effort": "low"}}))
    for model in DEFAULT_MODELS:
        expected = takes_reasoning_effort(model)
        if expected is None:
            continue
        try:
            made = collection.create(model=model, **effort)
        except openai.BadRequestError as exc:
            assert not expected and exc.body["param"] == param, (model, exc)
        else:
            collection.delete(made.id)
            assert expected, model
