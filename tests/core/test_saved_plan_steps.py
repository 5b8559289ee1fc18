"""A saved plan is the whole input of apply: a replacement's old object and the order of deletes are
in its steps, apply reads nothing else from state, and a plan of another format is refused."""
from __future__ import annotations

import json
from pathlib import Path

import openai

from provisioner.applier import Applier
from provisioner.connection import connect
from provisioner.plan import Plan
from provisioner.state.local import LocalFileBackend
from provisioner.state.manager import StateManager
from tests.conftest import api_writes, replace_in, stack_state

STACK = "stacks/support-bot"
RESPONSES = ("--var", "assistant_target=responses")


class ReadsRecorded(StateManager):
    """The state manager the CLI uses, noting every read of the state held."""

    def __init__(self, *args):
        super().__init__(*args)
        self.reads: list[str] = []

    def load(self):
        self.reads.append("load")
        return super().load()

    def current(self):
        self.reads.append("current")
        return super().current()


def test_a_saved_plan_with_replacements_and_a_delete_is_applied_without_reading_state(
        cli, workspace: Path, read_state, api: openai.OpenAI):
    assert cli("apply", STACK, "--auto-approve").code == 0
    old = read_state()["resources"]
    stack = workspace / STACK / "stack.yaml"
    replace_in(stack, "max_chunk_size_tokens: 800", "max_chunk_size_tokens: 400")  # the store is replaced
    replace_in(stack, "files:\n  pricing:\n    path: data/pricing.csv\n", "")  # its file is deleted
    replace_in(stack, "      code_interpreter:\n        files: [pricing]\n", "")
    planned = cli("plan", STACK, *RESPONSES, "--out", "plan.json")  # the assistant moves target: a new kind
    assert planned.code == 0, planned.output
    deposed_store = f"vector_stores.knowledge (deposed {old['vector_stores.knowledge']['id']})"
    deposed_assistant = f"assistants.support (deposed {old['assistants.support']['id']})"
    text = planned.out
    # shown in the order apply takes them: the old objects after the new ones, the file after the old assistant
    assert (text.index("vector_stores.knowledge must be replaced") < text.index("assistants.support must be replaced")
            < text.index(f"{deposed_assistant} will be destroyed") < text.index("files.pricing will be destroyed"))
    assert f"# (after {deposed_assistant})\n  - files.pricing" in text

    saved = Plan.from_json((workspace / "plan.json").read_text())
    replaced = {c.address: c.replaces for c in saved.changes if c.replaces}
    assert {a: (r.id, r.kind) for a, r in replaced.items()} == {
        "vector_stores.knowledge": (old["vector_stores.knowledge"]["id"], "vector_store"),
        "assistants.support": (old["assistants.support"]["id"], "assistant")}

    states = ReadsRecorded(LocalFileBackend(stack_state(workspace, "support-bot")), "support-bot")
    events = []
    with states.lock("test"), connect(saved.provider) as endpoint:
        states.load()  # as apply does, to check that the plan is current
        states.reads.clear()
        result = Applier(endpoint, states, events.append).apply(saved)
    assert not result.failed, result.failed
    assert states.reads == []  # the ids of what it made are kept as recorded; nothing else is read

    new = read_state()["resources"]
    assert new["assistants.support"]["kind"] == "assistant_definition" and "files.pricing" not in new
    assert not [a for a in new if "deposed" in a]
    assert new["assistants.support"]["attributes"]["tools"][0]["vector_store_ids"] == [new["vector_stores.knowledge"]["id"]]
    assert old["vector_stores.knowledge"]["id"] not in [v.id for v in api.vector_stores.list()]
    assert old["assistants.support"]["id"] not in [a.id for a in api.beta.assistants.list()]
    done = [e.address for e in events if e.kind == "done"]
    assert done.index(deposed_assistant) < done.index("files.pricing")
    assert cli("plan", STACK, *RESPONSES, "--detailed-exitcode").code == 0


ORDER = """stack: order
provider: {kind: emulator}
files:
  guide: {path: guide.md}
vector_stores:
  kb:
    files: [guide]
assistants:
  bot:
    model: gpt-4o
    tools: [{type: file_search}]
    tool_resources: {file_search: {vector_stores: [kb]}}
"""


def test_deletes_go_in_the_saved_plans_order_whatever_the_state_says_at_apply(cli, workspace: Path):
    root = workspace / "stacks" / "order"
    root.mkdir()
    (root / "guide.md").write_text("Read the manual.\n")
    (root / "stack.yaml").write_text(ORDER)
    assert cli("apply", "stacks/order", "--auto-approve").code == 0
    (root / "stack.yaml").write_text("stack: order\nprovider: {kind: emulator}\nfiles:\n  guide: {path: guide.md}\n")
    planned = cli("plan", "stacks/order", "--out", "plan.json")
    assert planned.code == 0 and "# (after assistants.bot)\n  - vector_stores.kb" in planned.out, planned.output
    steps = json.loads((workspace / "plan.json").read_text())["steps"]
    assert [(s["node"], s["wait_for"]) for s in steps] == [("assistants.bot", []),
                                                           ("vector_stores.kb", ["assistants.bot"])]

    # the state now says the store used the assistant, not the other way round (same serial: the
    # plan is still current); the plan holds the order, so the state's word is not asked again
    state_file = stack_state(workspace, "order")
    state = json.loads(state_file.read_text())
    state["resources"]["assistants.bot"]["dependencies"] = []
    state["resources"]["vector_stores.kb"]["dependencies"] = ["assistants.bot"]
    state_file.write_text(json.dumps(state))

    applied = cli("apply", "plan.json", "--parallelism", "4")
    assert applied.code == 0, applied.output
    lines = applied.err.splitlines()
    assert lines.index("assistants.bot: delete complete") < lines.index("vector_stores.kb: delete..."), applied.err


def test_a_saved_plan_of_another_format_is_refused_before_anything_changes(cli, workspace: Path, emulator):
    assert cli("plan", "stacks/quickstart", "--out", "plan.json").code == 0
    saved = json.loads((workspace / "plan.json").read_text())
    before = api_writes(emulator)
    for version, says in ((3, "made by a newer provisioner (plan format 3); this one reads up to format 2"),
                          (1, "made by an older provisioner (plan format 1)")):
        (workspace / "old.json").write_text(json.dumps({**saved, "format_version": version}))
        for command in (("apply", "old.json"), ("show", "old.json")):
            refused = cli(*command)
            assert refused.code == 1 and f"old.json: the plan was {says}" in refused.err, refused.output
            assert "plan again with this provisioner" in refused.err and "Traceback" not in refused.output
    assert api_writes(emulator) == before


def test_a_saved_plan_missing_a_step_is_refused(cli, workspace: Path):
    assert cli("plan", "stacks/quickstart", "--out", "plan.json").code == 0
    saved = json.loads((workspace / "plan.json").read_text())
    (workspace / "edited.json").write_text(json.dumps({**saved, "steps": []}))
    refused = cli("apply", "edited.json")
    assert refused.code == 1 and "edited.json is not a plan this provisioner can read" in refused.err
    assert "the steps do not carry out the changes" in refused.err and "Traceback" not in refused.output
