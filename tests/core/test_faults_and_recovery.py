"""An unreliable endpoint: retried faults, and answers lost after the server acted (crash recovery)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import openai
import pytest

from provisioner.emulator.testing import running_emulator
from tests.conftest import FAST_SWITCHES
from tests.conftest import stack_state

STACK = "stacks/support-bot"


@pytest.fixture(scope="module")
def flaky():
    """One emulator for the module, wiped and its faults set by each test."""
    with running_emulator(**FAST_SWITCHES) as process:
        yield process


@pytest.fixture
def fresh(flaky, monkeypatch):
    flaky.set_faults(rate=0)
    flaky.reset()
    monkeypatch.setenv("PROVISIONER_EMULATOR_URL", flaky.base_url)
    return flaky


def _owned(client: openai.OpenAI) -> dict[str, int]:
    stores = [v for v in client.vector_stores.list() if (v.metadata or {}).get("provisioner:stack") == "support-bot"]
    assistants = [a for a in client.beta.assistants.list()
                  if (a.metadata or {}).get("provisioner:stack") == "support-bot"]
    return {"files": len(list(client.files.list())), "vector_stores": len(stores), "assistants": len(assistants)}


def _state(workspace: Path) -> dict:
    return json.loads(stack_state(workspace, "support-bot").read_text())["resources"]


def test_retried_429_and_500_faults_still_apply_and_converge(cli, workspace: Path, fresh):
    """429s are retried everywhere; a 500 only where repeating is safe: a create answered 500 may
    have made its object, so that resource fails and the next apply finishes the job."""
    flaky = fresh
    flaky.set_faults(rate=0.2, kinds=["429", "500"], seed=7)
    result = cli("apply", STACK, "--auto-approve")
    assert "Traceback" not in result.output
    assert flaky.stats()["faults"], "no fault was injected: the test proves nothing"
    if result.code != 0:
        assert "HTTP 500" in result.err and "whether the server made it is unknown" in result.err, result.output
    flaky.set_faults(rate=0)
    again = cli("apply", STACK, "--auto-approve")
    assert again.code == 0, (result.output, again.output)
    flaky.set_faults(rate=0.2, kinds=["429", "500"], seed=7)  # reads are retried whatever the answer
    plan = cli("plan", STACK, "--detailed-exitcode")
    assert plan.code == 0, plan.output
    flaky.set_faults(rate=0)
    assert _owned(flaky.client()) == {"files": 5, "vector_stores": 1, "assistants": 1}


@pytest.mark.parametrize("kinds, seed", [(["drop_after"], 1), (["drop_after"], 9), (["drop", "drop_after"], 3)])
def test_answers_lost_after_the_server_acted_converge_without_duplicates(cli, workspace: Path, fresh, kinds, seed):
    """`drop_after`: the server creates the object, then the connection dies. The next apply must
    take the object back (pending intent + adoption), never make a second one."""
    flaky = fresh
    flaky.set_faults(rate=0.25, kinds=kinds, seed=seed)
    first = cli("apply", STACK, "--auto-approve")
    assert "Traceback" not in first.output
    faults = flaky.stats()["faults"]
    flaky.set_faults(rate=0)
    assert faults, "no fault was injected: the test proves nothing"
    again = cli("apply", STACK, "--auto-approve")
    assert again.code == 0, again.output
    assert _owned(flaky.client()) == {"files": 5, "vector_stores": 1, "assistants": 1}, (first.output, again.output)
    state = _state(workspace)
    assert len(state) == 7 and all(r["id"] for r in state.values())
    assert cli("plan", STACK, "--detailed-exitcode").code == 0


ONE_OF_EACH = {
    "file": ("stack: lost\nfiles:\n  notes: {path: notes.md}\n", {"notes.md": "Some notes.\n"}),
    "vector_store": ("stack: lost\nvector_stores:\n  kb: {name: kb, metadata: {team: a}}\n", {}),
    "assistant": ("stack: lost\nassistants:\n  bot: {model: gpt-4o-mini, instructions: Be brief.}\n", {}),
}


def _live(client: openai.OpenAI, kind: str) -> list[str]:
    if kind == "file":
        return [f.id for f in client.files.list()]
    if kind == "vector_store":
        return [v.id for v in client.vector_stores.list()]
    return [a.id for a in client.beta.assistants.list()]


LOST = {"drop_after": "lost before the answer", "502_after": "HTTP 502"}


def _lose_a_create(cli, workspace: Path, flaky, kind: str, fault: str = "drop_after") -> None:
    """Apply the one-resource stack until a seed loses the answer to its create (the server made it):
    the connection dies (`drop_after`), or a 502 comes back (`502_after`)."""
    stack_text, files = ONE_OF_EACH[kind]
    root = workspace / "stacks" / "lost"
    root.mkdir()
    (root / "stack.yaml").write_text(stack_text)
    for name, content in files.items():
        (root / name).write_text(content)
    state_file = stack_state(workspace, "lost")
    for seed in range(40):
        flaky.reset()
        state_file.unlink(missing_ok=True)
        flaky.set_faults(rate=0.2, kinds=[fault], seed=seed)
        first = cli("apply", "stacks/lost", "--auto-approve")
        if first.code == 1 and LOST[fault] in first.err:
            break
    else:
        pytest.fail("no seed dropped the answer to the create")
    flaky.set_faults(rate=0)
    assert len(_live(flaky.client(), kind)) == 1, "the server made the object even though the answer was lost"
    [intent] = json.loads(state_file.read_text())["resources"].values()
    assert intent["id"] is None and "pending_since" in intent["attributes"]


@pytest.mark.parametrize("kind", sorted(ONE_OF_EACH))
def test_a_create_whose_answer_was_lost_is_adopted_not_repeated(cli, workspace: Path, fresh, kind):
    flaky = fresh
    _lose_a_create(cli, workspace, flaky, kind)
    client = flaky.client()
    plan = json.loads(cli("plan", "stacks/lost", "--json").out)
    assert [(c["kind"], c["action"]) for c in plan["changes"]] == [(kind, "adopt")]
    assert plan["changes"][0]["id"] == _live(client, kind)[0]
    assert plan["changes"][0]["diff"] == []  # nothing spurious: the intent knows what it asked for
    assert cli("apply", "stacks/lost", "--auto-approve").code == 0
    assert len(_live(client, kind)) == 1
    assert cli("plan", "stacks/lost", "--detailed-exitcode").code == 0


@pytest.mark.parametrize("kind", sorted(ONE_OF_EACH))
def test_a_create_answered_502_after_the_server_made_it_leaves_exactly_one_object(cli, workspace: Path, fresh, kind):
    """A 5xx can come after the server made the object: the create is not sent again (that would
    make a second, untracked one); the resource fails, and the next apply takes the object back."""
    flaky = fresh
    _lose_a_create(cli, workspace, flaky, kind, fault="502_after")
    requests = flaky.stats()["requests"]
    creates = {route: n for route, n in requests.items() if route.startswith("POST") and route.count("/") == 2}
    assert list(creates.values()) == [1], requests  # sent once, never repeated after the 502
    again = cli("apply", "stacks/lost", "--auto-approve")
    assert again.code == 0, again.output
    assert "1 changed" in again.out, again.out  # taken back, not made again
    assert len(_live(flaky.client(), kind)) == 1
    assert cli("plan", "stacks/lost", "--detailed-exitcode").code == 0


def test_an_intent_recorded_without_a_marker_never_adopts_a_look_alike(cli, workspace: Path, fresh):
    """An older provisioner recorded intents without a marker: what it made cannot be told from a
    look-alike (another environment's upload), so it is left alone and the plan says so."""
    flaky = fresh
    _lose_a_create(cli, workspace, flaky, "file")
    state_file = stack_state(workspace, "lost")
    document = json.loads(state_file.read_text())
    del document["resources"]["files.notes"]["attributes"]["pending_marker"]
    state_file.write_text(json.dumps(document))
    [stray] = _live(flaky.client(), "file")

    plan = cli("plan", "stacks/lost")
    assert "files.notes" in plan.out and "without a marker" in plan.out, plan.out
    assert cli("apply", "stacks/lost", "--auto-approve").code == 0
    made = json.loads(state_file.read_text())["resources"]["files.notes"]["id"]
    assert made != stray and sorted(_live(flaky.client(), "file")) == sorted([made, stray])


@pytest.mark.parametrize("kind, how", [(kind, "destroy") for kind in sorted(ONE_OF_EACH)]
                         + [("file", "removed from the stack")])
def test_an_object_whose_create_answer_was_lost_is_deleted_not_leaked(cli, workspace: Path, fresh, kind, how):
    """Destroying (or dropping from the stack) a resource whose create answer was lost must delete
    the object the server made, not just forget the intent."""
    flaky = fresh
    _lose_a_create(cli, workspace, flaky, kind)
    if how == "destroy":
        result = cli("destroy", "stacks/lost", "--auto-approve")
    else:
        stack_file = workspace / "stacks" / "lost" / "stack.yaml"
        stack_file.write_text("stack: lost\n")
        result = cli("apply", "stacks/lost", "--auto-approve")
    assert result.code == 0, result.output
    assert "1 destroyed" in result.out, result.out
    assert _live(flaky.client(), kind) == []
    assert json.loads(stack_state(workspace, "lost").read_text())["resources"] == {}


REPLACED = """\
stack: swap
file_sets:
  docs: {include: ["docs/*.md"]}
vector_stores:
  kb:
    chunking_strategy: {type: static, static: {max_chunk_size_tokens: 800, chunk_overlap_tokens: 200}}
    file_sets: [docs]
assistants:
  bot:
    model: gpt-4o
    tools: [{type: file_search}]
    tool_resources: {file_search: {vector_stores: [kb]}}
"""


def test_a_replacement_whose_create_was_lost_lets_go_of_the_old_object_last(cli, workspace: Path, fresh):
    """The old store of an interrupted replacement waits in state (deposed). The next apply must
    still repoint the assistant before it deletes the old store, as an uninterrupted one does."""
    flaky = fresh
    root = workspace / "stacks" / "swap"
    (root / "docs").mkdir(parents=True)
    for name in "abc":
        (root / "docs" / f"{name}.md").write_text(f"Document {name}.\n")
    state_file = stack_state(workspace, "swap")
    for seed in range(40):
        flaky.set_faults(rate=0)
        flaky.reset()
        state_file.unlink(missing_ok=True)
        (root / "stack.yaml").write_text(REPLACED)
        assert cli("apply", "stacks/swap", "--auto-approve").code == 0
        old = json.loads(state_file.read_text())["resources"]["vector_stores.kb"]["id"]
        (root / "stack.yaml").write_text(REPLACED.replace("800", "400"))
        flaky.set_faults(rate=0.2, kinds=["drop_after"], seed=seed)
        lost = cli("apply", "stacks/swap", "--auto-approve", "--parallelism", "1")
        if "create vector store: the connection" in lost.err:
            break
    else:
        pytest.fail("no seed dropped the answer to the new store's create")
    flaky.set_faults(rate=0)
    deposed = f"vector_stores.kb (deposed {old})"
    assert deposed in json.loads(state_file.read_text())["resources"]

    plan = json.loads(cli("plan", "stacks/swap", "--json").out)
    assert {c["address"]: c["action"] for c in plan["changes"] if c["action"] != "no-op"} == {
        "vector_stores.kb": "adopt", deposed: "delete", "assistants.bot": "update"}
    result = cli("apply", "stacks/swap", "--auto-approve", "--parallelism", "4")
    assert result.code == 0, result.output
    lines = result.err.splitlines()
    assert lines.index("assistants.bot: update complete") < lines.index(f"{deposed}: delete..."), result.err

    client = flaky.client()
    state = json.loads(state_file.read_text())["resources"]
    assert deposed not in state
    assert [v.id for v in client.vector_stores.list()] == [state["vector_stores.kb"]["id"]]
    bot = client.beta.assistants.retrieve(state["assistants.bot"]["id"])
    assert bot.tool_resources.file_search.vector_store_ids == [state["vector_stores.kb"]["id"]]
    assert cli("plan", "stacks/swap", "--detailed-exitcode").code == 0


def test_an_interrupted_reupload_never_takes_the_old_upload_for_the_new_one(cli, workspace: Path, fresh):
    """An edit that keeps the size (a typo fixed) replaces the upload. If that upload never reached
    the server, the old upload, still in state as deposed, must not be adopted as the new one."""
    flaky = fresh
    root = workspace / "stacks" / "typo"
    root.mkdir(parents=True)
    state_file = stack_state(workspace, "typo")
    for seed in range(40):
        flaky.set_faults(rate=0)
        flaky.reset()
        state_file.unlink(missing_ok=True)
        (root / "stack.yaml").write_text("stack: typo\nfiles:\n  guide: {path: guide.md}\n"
                                         "vector_stores:\n  kb: {files: [guide]}\n")
        (root / "guide.md").write_text("Read teh manual.\n")
        assert cli("apply", "stacks/typo", "--auto-approve").code == 0
        (root / "guide.md").write_text("Read the manual.\n")
        flaky.set_faults(rate=0.5, kinds=["drop"], seed=seed)
        lost = cli("apply", "stacks/typo", "--auto-approve")
        if re.search(r"upload guide\.[0-9a-f]{12}\.md: the connection", lost.err):
            break
    else:
        pytest.fail("no seed dropped the upload")
    flaky.set_faults(rate=0)
    client = flaky.client()
    [old] = [f.id for f in client.files.list()]  # the upload never reached the server

    plan = json.loads(cli("plan", "stacks/typo", "--json").out)
    guide = next(c for c in plan["changes"] if c["address"] == "files.guide")
    assert guide["action"] == "create", guide
    assert cli("apply", "stacks/typo", "--auto-approve").code == 0
    state = json.loads(state_file.read_text())["resources"]
    new = state["files.guide"]["id"]
    assert new != old and [f.id for f in client.files.list()] == [new]
    assert [f.id for f in client.vector_stores.files.list(state["vector_stores.kb"]["id"])] == [new]
    assert cli("plan", "stacks/typo", "--detailed-exitcode").code == 0


EDITED_MEANWHILE = {
    "file": ("notes.md", "Some notes.\n", "Some longer notes, edited.\n"),
    "vector_store": ("stack.yaml", "kb: {name: kb, metadata: {team: a}}", "kb: {name: kb, description: new, metadata: {team: a}}"),
}


@pytest.mark.parametrize("kind", sorted(EDITED_MEANWHILE))
def test_an_object_whose_create_answer_was_lost_is_replaced_when_the_stack_changed_meanwhile(
        cli, workspace: Path, fresh, kind):
    """The create's answer was lost, then the stack was edited in a way the made object cannot
    follow in place (new file content, a new store description): the next apply must replace
    that object, not leak it (file) nor take it back as if it matched (store)."""
    flaky = fresh
    _lose_a_create(cli, workspace, flaky, kind)
    [orphan] = _live(flaky.client(), kind)
    name, old, new = EDITED_MEANWHILE[kind]
    path = workspace / "stacks" / "lost" / name
    path.write_text(path.read_text().replace(old, new))

    plan = json.loads(cli("plan", "stacks/lost", "--json").out)
    [change] = [c for c in plan["changes"] if c["action"] != "no-op"]
    assert (change["action"], change["id"]) == ("replace", orphan), change
    result = cli("apply", "stacks/lost", "--auto-approve")
    assert result.code == 0, result.output
    [made] = _live(flaky.client(), kind)
    assert made != orphan
    state = json.loads(stack_state(workspace, "lost").read_text())["resources"]
    assert [r["id"] for r in state.values()] == [made]
    if kind == "file":
        assert flaky.client().files.retrieve(made).bytes == len(new)
    assert cli("plan", "stacks/lost", "--detailed-exitcode").code == 0
