"""Situations a platform team hits, end to end through the CLI against the emulator.

Each test states what a user would notice: the plan's actions and diffs, exit codes, the live
objects read with the SDK, and the state file.
"""
from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import openai

from provisioner.resources import vector_store
from tests.conftest import stack_state


def write_stack(workspace: Path, name: str, stack: str, files: dict[str, str] | None = None) -> str:
    """Write `stacks/<name>/stack.yaml` (and data files); returns the stack path for the CLI."""
    root = workspace / "stacks" / name
    root.mkdir(parents=True, exist_ok=True)
    (root / "stack.yaml").write_text(textwrap.dedent(stack))
    for path, content in (files or {}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content)
    return f"stacks/{name}"


def edit(workspace: Path, stack: str, old: str, new: str, file: str = "stack.yaml") -> None:
    path = workspace / stack / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def plan_json(cli, stack: str, *extra: str) -> dict:
    result = cli("plan", stack, "--json", *extra)
    assert result.code == 0, result.output
    return json.loads(result.out)


def actions(plan: dict) -> dict[str, str]:
    return {c["address"]: c["action"] for c in plan["changes"] if c["action"] != "no-op"}


def apply_ok(cli, stack: str, *extra: str):
    result = cli("apply", stack, "--auto-approve", *extra)
    assert result.code == 0, result.output
    return result


def no_changes(cli, stack: str) -> None:
    result = cli("plan", stack, "--detailed-exitcode")
    assert result.code == 0, result.output
    assert "No changes." in result.out


def resources(workspace: Path, stack_name: str) -> dict:
    return json.loads(stack_state(workspace, stack_name).read_text())["resources"]


def ids(workspace: Path, stack_name: str) -> dict[str, str]:
    return {a: r["id"] for a, r in resources(workspace, stack_name).items()}


def gone(fetch) -> bool:
    try:
        fetch()
    except openai.NotFoundError:
        return True
    return False


def store_members(api: openai.OpenAI, store_id: str) -> dict[str, dict]:
    return {f.id: {"status": f.status, "attributes": f.attributes} for f in api.vector_stores.files.list(store_id)}


DOCS = {"docs/a.md": "# A\nAlpha document.\n", "docs/b.md": "# B\nBravo document.\n",
        "docs/c.md": "# C\nCharlie document.\n"}

KNOWLEDGE = """\
stack: {name}
file_sets:
  docs:
    include: ["docs/*.md"]
vector_stores:
  kb:
    name: kb-one
    description: the docs
    metadata: {{team: a}}
    expires_after: {{anchor: last_active_at, days: 7}}
    chunking_strategy:
      type: static
      static: {{max_chunk_size_tokens: 800, chunk_overlap_tokens: 200}}
    file_sets:
      - file_set: docs
        attributes: {{source: docs}}
assistants:
  bot:
    model: gpt-4o
    tools: [{{type: file_search}}]
    tool_resources:
      file_search: {{vector_stores: [kb]}}
"""


# ---- 1. vector store: replace on chunking, in-place for the rest ---------------------------------

def test_changing_chunking_replaces_the_store_and_repoints_the_assistant(cli, workspace: Path, api: openai.OpenAI):
    stack = write_stack(workspace, "kb1", KNOWLEDGE.format(name="kb1"), DOCS)
    apply_ok(cli, stack)
    old = ids(workspace, "kb1")
    edit(workspace, stack, "max_chunk_size_tokens: 800", "max_chunk_size_tokens: 400")

    plan = plan_json(cli, stack)
    assert actions(plan) == {"vector_stores.kb": "replace", "assistants.bot": "update"}
    change = next(c for c in plan["changes"] if c["address"] == "vector_stores.kb")
    forcing = [d for d in change["diff"] if d["forces_replacement"]]
    assert [d["path"] for d in forcing] == ["chunking_strategy.static.max_chunk_size_tokens"]
    text = cli("plan", stack).out
    assert "forces replacement" in text or "cannot change in place" in text

    result = apply_ok(cli, stack)
    assert "1 added, 1 changed, 1 destroyed" in result.out
    new = ids(workspace, "kb1")
    assert new["vector_stores.kb"] != old["vector_stores.kb"]
    assert all(new[a] == old[a] for a in old if a.startswith("file_sets"))  # no re-upload
    members = store_members(api, new["vector_stores.kb"])
    assert set(members) == {new[a] for a in new if a.startswith("file_sets")}
    assert all(m["status"] == "completed" and m["attributes"] == {"source": "docs"} for m in members.values())
    for member in api.vector_stores.files.list(new["vector_stores.kb"]):
        assert member.chunking_strategy.static.max_chunk_size_tokens == 400
    bot = api.beta.assistants.retrieve(new["assistants.bot"])
    assert bot.tool_resources.file_search.vector_store_ids == [new["vector_stores.kb"]]
    assert gone(lambda: api.vector_stores.retrieve(old["vector_stores.kb"]))
    assert not [a for a in resources(workspace, "kb1") if "deposed" in a]
    no_changes(cli, stack)


def test_name_metadata_and_expiry_of_a_store_change_in_place(cli, workspace: Path, api: openai.OpenAI):
    stack = write_stack(workspace, "kb2", KNOWLEDGE.format(name="kb2"), DOCS)
    apply_ok(cli, stack)
    old = ids(workspace, "kb2")
    edit(workspace, stack, "name: kb-one", "name: kb-two")
    edit(workspace, stack, "metadata: {team: a}", "metadata: {team: b, tier: gold}")
    edit(workspace, stack, "days: 7", "days: 30")

    plan = plan_json(cli, stack)
    assert actions(plan) == {"vector_stores.kb": "update"}
    change = next(c for c in plan["changes"] if c["address"] == "vector_stores.kb")
    assert {d["path"] for d in change["diff"]} == {"name", "metadata.team", "metadata.tier", "expires_after.days"}
    assert not any(d["forces_replacement"] for d in change["diff"])

    apply_ok(cli, stack)
    assert ids(workspace, "kb2") == old
    store = api.vector_stores.retrieve(old["vector_stores.kb"])
    assert store.name == "kb-two" and store.expires_after.days == 30
    assert store.metadata["team"] == "b" and store.metadata["tier"] == "gold"
    no_changes(cli, stack)

    # dropping a metadata key and the expiry altogether also converges
    edit(workspace, stack, "metadata: {team: b, tier: gold}", "metadata: {team: b}")
    edit(workspace, stack, "    expires_after: {anchor: last_active_at, days: 30}\n", "")
    assert actions(plan_json(cli, stack)) == {"vector_stores.kb": "update"}
    apply_ok(cli, stack)
    store = api.vector_stores.retrieve(old["vector_stores.kb"])
    assert "tier" not in store.metadata and store.expires_after is None
    no_changes(cli, stack)


def test_changing_per_file_attributes_updates_them_without_reupload(cli, workspace: Path, api: openai.OpenAI):
    stack = write_stack(workspace, "kb3", KNOWLEDGE.format(name="kb3"), DOCS)
    apply_ok(cli, stack)
    old = ids(workspace, "kb3")
    edit(workspace, stack, "attributes: {source: docs}", "attributes: {source: manual, version: 2}")

    plan = plan_json(cli, stack)
    assert actions(plan) == {"vector_stores.kb": "update"}
    change = next(c for c in plan["changes"] if c["address"] == "vector_stores.kb")
    assert all(".attributes." in d["path"] for d in change["diff"]), change["diff"]

    before = {f.id for f in api.files.list()}
    apply_ok(cli, stack)
    assert ids(workspace, "kb3") == old
    assert {f.id for f in api.files.list()} == before  # nothing uploaded
    members = store_members(api, old["vector_stores.kb"])
    assert set(members) == {old[a] for a in old if a.startswith("file_sets")}
    assert all(m["attributes"] == {"source": "manual", "version": 2} for m in members.values()), members
    no_changes(cli, stack)


# ---- 2, 3. files moving between stores and within a file set --------------------------------------

TWO_STORES = """\
stack: {name}
files:
  faq: {{path: data/faq.md}}
  guide: {{path: data/guide.md}}
vector_stores:
  one:
    files: [faq, guide]
  two:
    files: []
"""


def test_a_file_moved_to_another_store_updates_both_without_reupload(cli, workspace: Path, api: openai.OpenAI):
    stack = write_stack(workspace, "move", TWO_STORES.format(name="move"),
                        {"data/faq.md": "Questions.\n", "data/guide.md": "The guide.\n"})
    apply_ok(cli, stack)
    old = ids(workspace, "move")
    edit(workspace, stack, "files: [faq, guide]", "files: [faq]")
    edit(workspace, stack, "files: []", "files: [guide]")

    assert actions(plan_json(cli, stack)) == {"vector_stores.one": "update", "vector_stores.two": "update"}
    apply_ok(cli, stack)
    assert ids(workspace, "move") == old
    assert set(store_members(api, old["vector_stores.one"])) == {old["files.faq"]}
    assert set(store_members(api, old["vector_stores.two"])) == {old["files.guide"]}
    no_changes(cli, stack)


def test_a_document_renamed_in_a_file_set_leaves_exactly_the_right_files(cli, workspace: Path, api: openai.OpenAI):
    stack = write_stack(workspace, "rename", KNOWLEDGE.format(name="rename"), DOCS)
    apply_ok(cli, stack)
    old = ids(workspace, "rename")
    root = workspace / stack
    (root / "docs" / "b.md").rename(root / "docs" / "bravo.md")
    old_doc, new_doc = 'file_sets.docs["docs/b.md"]', 'file_sets.docs["docs/bravo.md"]'

    plan = plan_json(cli, stack)
    assert actions(plan) == {old_doc: "delete", new_doc: "create", "vector_stores.kb": "update"}
    apply_ok(cli, stack)
    new = ids(workspace, "rename")
    assert old_doc not in new and new[new_doc] != old[old_doc]
    assert gone(lambda: api.files.retrieve(old[old_doc]))
    assert re.fullmatch(r"bravo\.[0-9a-f]{12}\.md", api.files.retrieve(new[new_doc]).filename)
    members = store_members(api, new["vector_stores.kb"])
    assert set(members) == {new[a] for a in new if a.startswith("file_sets")}
    assert all(m["status"] == "completed" for m in members.values())
    no_changes(cli, stack)


# ---- 4. removing a store an assistant still uses --------------------------------------------------

def test_removing_a_store_the_assistant_used_updates_the_assistant_first(cli, workspace: Path, api: openai.OpenAI):
    stack = write_stack(workspace, "drop", KNOWLEDGE.format(name="drop").replace(
        "    tools: [{type: file_search}]\n    tool_resources:\n",
        "    tools: [{type: file_search}, {type: code_interpreter}]\n    tool_resources:\n"
        "      code_interpreter: {files: [extra]}\n").replace(
        "file_sets:\n", "files:\n  extra: {path: data/extra.csv}\nfile_sets:\n", 1),
        {**DOCS, "data/extra.csv": "a,b\n1,2\n"})
    apply_ok(cli, stack)
    old = ids(workspace, "drop")
    text = (workspace / stack / "stack.yaml").read_text()
    start, end = text.index("vector_stores:\n"), text.index("assistants:\n")
    text = text[:start] + text[end:]
    (workspace / stack / "stack.yaml").write_text(text.replace("      file_search: {vector_stores: [kb]}\n", ""))

    plan = plan_json(cli, stack)
    assert actions(plan) == {"vector_stores.kb": "delete", "assistants.bot": "update"}
    events = cli("apply", stack, "--auto-approve")
    assert events.code == 0, events.output
    assert "1 changed, 1 destroyed" in events.out
    lines = events.err.splitlines()
    assert lines.index("assistants.bot: update complete") < lines.index("vector_stores.kb: delete..."), events.err
    bot = api.beta.assistants.retrieve(old["assistants.bot"])
    assert not (bot.tool_resources.file_search and bot.tool_resources.file_search.vector_store_ids)
    assert bot.tool_resources.code_interpreter.file_ids == [old["files.extra"]]
    assert gone(lambda: api.vector_stores.retrieve(old["vector_stores.kb"]))
    assert "vector_stores.kb" not in resources(workspace, "drop")
    no_changes(cli, stack)


# ---- 7. files from outside the stack ---------------------------------------------------------------

def test_an_external_file_is_attached_and_never_deleted(cli, workspace: Path, api: openai.OpenAI):
    external = api.files.create(file=("handbook.md", b"# Handbook\nShared by another team.\n"), purpose="assistants")
    stack = write_stack(workspace, "ext", f"""\
        stack: ext
        files:
          own: {{path: data/own.md}}
        vector_stores:
          kb:
            files: [own, {{file: {external.id}, attributes: {{origin: shared}}}}]
        assistants:
          bot:
            model: gpt-4o
            tools: [{{type: file_search}}, {{type: code_interpreter}}]
            tool_resources:
              file_search: {{vector_stores: [kb]}}
              code_interpreter: {{files: [{external.id}, own]}}
        """, {"data/own.md": "Our own notes.\n"})
    plan = plan_json(cli, stack)
    assert actions(plan) == {"files.own": "create", "vector_stores.kb": "create", "assistants.bot": "create"}
    apply_ok(cli, stack)
    state = ids(workspace, "ext")
    assert external.id not in state.values()
    members = store_members(api, state["vector_stores.kb"])
    assert members[external.id] == {"status": "completed", "attributes": {"origin": "shared"}}
    assert set(members) == {external.id, state["files.own"]}
    bot = api.beta.assistants.retrieve(state["assistants.bot"])
    assert bot.tool_resources.code_interpreter.file_ids == [external.id, state["files.own"]]
    no_changes(cli, stack)

    # dropped from the store: detached, not deleted
    edit(workspace, stack, f", {{file: {external.id}, attributes: {{origin: shared}}}}", "")
    apply_ok(cli, stack)
    assert set(store_members(api, state["vector_stores.kb"])) == {state["files.own"]}
    assert api.files.retrieve(external.id).id == external.id

    result = cli("destroy", stack, "--auto-approve")
    assert result.code == 0, result.output
    assert "3 destroyed" in result.out
    assert gone(lambda: api.files.retrieve(state["files.own"]))
    assert api.files.retrieve(external.id).id == external.id


# ---- 10. assistant fields ---------------------------------------------------------------------------

ASSISTANT = """\
stack: {name}
assistants:
  bot:
    model: gpt-4o
    instructions: Answer in JSON.
    temperature: 0.4
    top_p: 0.9
    response_format:
      type: json_schema
      json_schema:
        name: answer
        schema:
          type: object
          properties:
            text: {{type: string}}
          required: [text]
          additionalProperties: false
"""


def test_json_schema_response_format_and_sampling_fields_converge(cli, workspace: Path, api: openai.OpenAI):
    stack = write_stack(workspace, "fmt", ASSISTANT.format(name="fmt"))
    apply_ok(cli, stack)
    bot_id = ids(workspace, "fmt")["assistants.bot"]
    bot = api.beta.assistants.retrieve(bot_id)
    assert bot.response_format.type == "json_schema" and bot.response_format.json_schema.name == "answer"
    assert bot.temperature == 0.4 and bot.top_p == 0.9
    no_changes(cli, stack)

    # strict and a description: in place; then dropping temperature and top_p resets them
    edit(workspace, stack, "        name: answer\n", "        name: answer\n        description: One answer.\n"
                                                   "        strict: true\n")
    assert actions(plan_json(cli, stack)) == {"assistants.bot": "update"}
    apply_ok(cli, stack)
    assert api.beta.assistants.retrieve(bot_id).response_format.json_schema.strict is True
    no_changes(cli, stack)

    edit(workspace, stack, "    temperature: 0.4\n    top_p: 0.9\n", "")
    plan = plan_json(cli, stack)
    assert actions(plan) == {"assistants.bot": "update"}
    assert {d["path"] for d in plan["changes"][0]["diff"]} == {"temperature", "top_p"}
    apply_ok(cli, stack)
    bot = api.beta.assistants.retrieve(bot_id)
    assert bot.temperature == 1.0 and bot.top_p == 1.0
    no_changes(cli, stack)

    # back to the default response format
    text = (workspace / stack / "stack.yaml").read_text()
    (workspace / stack / "stack.yaml").write_text(text[:text.index("    response_format:")])
    assert actions(plan_json(cli, stack)) == {"assistants.bot": "update"}
    apply_ok(cli, stack)
    assert api.beta.assistants.retrieve(bot_id).response_format == "auto"
    no_changes(cli, stack)


def test_reasoning_effort_on_a_reasoning_model(cli, workspace: Path, api: openai.OpenAI):
    stack = write_stack(workspace, "reason", """\
        stack: reason
        assistants:
          thinker:
            model: o3-mini
            instructions: Think, then answer.
            reasoning_effort: high
        """)
    apply_ok(cli, stack)
    bot_id = ids(workspace, "reason")["assistants.thinker"]
    assert api.beta.assistants.retrieve(bot_id).reasoning_effort == "high"
    no_changes(cli, stack)
    edit(workspace, stack, "reasoning_effort: high", "reasoning_effort: low")
    assert actions(plan_json(cli, stack)) == {"assistants.thinker": "update"}
    apply_ok(cli, stack)
    assert api.beta.assistants.retrieve(bot_id).reasoning_effort == "low"
    no_changes(cli, stack)
    # a switch to a model without reasoning drops the effort in the same update
    edit(workspace, stack, "    reasoning_effort: low\n", "")
    edit(workspace, stack, "model: o3-mini", "model: gpt-4o")
    apply_ok(cli, stack)
    bot = api.beta.assistants.retrieve(bot_id)
    assert bot.model == "gpt-4o" and bot.reasoning_effort is None
    no_changes(cli, stack)


# ---- 6. parallelism does not change the outcome ----------------------------------------------------

def _end_state(workspace: Path, api: openai.OpenAI, stack_name: str) -> dict:
    state = resources(workspace, stack_name)
    store = state["vector_stores.knowledge"]["id"]
    # uploads carry their create's marker (x.<12 hex>.md), different in each run
    files = {a: re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", api.files.retrieve(r["id"]).filename)
             for a, r in state.items() if r["kind"] == "file"}
    bot = api.beta.assistants.retrieve(state["assistants.support"]["id"])
    return {
        "addresses": sorted(state),
        "files": files,
        "members": sorted(files[next(a for a, r in state.items() if r["id"] == f.id)]
                          for f in api.vector_stores.files.list(store) if f.status == "completed"),
        "assistant_store": bot.tool_resources.file_search.vector_store_ids == [store],
        "assistant_files": bot.tool_resources.code_interpreter.file_ids == [state["files.pricing"]["id"]],
    }


def test_parallelism_1_and_8_reach_the_same_end_state(cli, workspace: Path, api: openai.OpenAI, emulator):
    ends = []
    for parallelism in ("1", "8"):
        emulator.reset()  # else the second run's fresh state adopts the first run's tagged objects
        state = f"state/p{parallelism}.json"
        result = cli("apply", "stacks/support-bot", "--auto-approve", "--parallelism", parallelism, "--state", state)
        assert result.code == 0, result.output
        assert "7 added" in result.out
        stack_state(workspace, "support-bot").parent.mkdir(exist_ok=True)
        stack_state(workspace, "support-bot").write_text((workspace / state).read_text())
        ends.append(_end_state(workspace, api, "support-bot"))
        assert cli("plan", "stacks/support-bot", "--detailed-exitcode", "--state", state).code == 0
    assert ends[0] == ends[1]
    assert len(ends[0]["members"]) == 4 and ends[0]["assistant_store"] and ends[0]["assistant_files"]


# ---- 8. destroy after a partly failed apply ----------------------------------------------------------

def test_destroy_after_a_partly_failed_apply_removes_everything(cli, workspace: Path, api: openai.OpenAI):
    stack = "stacks/support-bot"
    (workspace / stack / "data" / "logo.md").write_bytes(b"\x89PNG not really an image")
    edit(workspace, stack, "files:\n  pricing:\n", "files:\n  logo:\n    path: data/logo.md\n  pricing:\n")
    edit(workspace, stack, "    file_sets:\n      - file_set: docs\n",
         "    files: [logo]\n    file_sets:\n      - file_set: docs\n")
    failed = cli("apply", stack, "--auto-approve")
    assert failed.code == 1 and "indexing failed" in failed.output
    made = ids(workspace, "support-bot")
    assert "assistants.support" not in made and "files.logo" in made

    result = cli("destroy", stack, "--auto-approve")
    assert result.code == 0, result.output
    assert resources(workspace, "support-bot") == {}
    live = {f.id for f in api.files.list()} | {v.id for v in api.vector_stores.list()}
    assert not live & {i for i in made.values() if i}
    assert cli("plan", stack, "--destroy", "--detailed-exitcode").code == 0


# ---- 9. saved plans ------------------------------------------------------------------------------------

def test_a_saved_plan_applies_as_saved_even_after_the_stack_was_edited(cli, workspace: Path, api: openai.OpenAI):
    stack = "stacks/support-bot"
    apply_ok(cli, stack)
    before = ids(workspace, "support-bot")
    edit(workspace, stack, "temperature: 0.2", "temperature: 0.7")
    saved = cli("plan", stack, "--out", "reviewed.json")
    assert saved.code == 0 and "0.2 -> 0.7" in saved.out
    # edited after the review: another temperature, a store renamed, pricing dropped
    edit(workspace, stack, "temperature: 0.7", "temperature: 1.5")
    edit(workspace, stack, "name: support-knowledge-${var.env}", "name: renamed")

    result = cli("apply", "reviewed.json")
    assert result.code == 0, result.output
    assert "0 added, 1 changed, 0 destroyed" in result.out
    assert ids(workspace, "support-bot") == before
    assert api.beta.assistants.retrieve(before["assistants.support"]).temperature == 0.7
    assert api.vector_stores.retrieve(before["vector_stores.knowledge"]).name == "support-knowledge-dev"
    # the stack as edited now is a fresh plan of its own
    assert actions(plan_json(cli, stack)) == {"assistants.support": "update", "vector_stores.knowledge": "update"}


def test_a_saved_destroy_plan_destroys(cli, workspace: Path, api: openai.OpenAI):
    stack = "stacks/support-bot"
    apply_ok(cli, stack)
    made = ids(workspace, "support-bot")
    saved = cli("plan", stack, "--destroy", "--out", "destroy.json")
    assert saved.code == 0 and "7 to destroy" in saved.out
    edit(workspace, stack, "temperature: 0.2", "temperature: 0.9")  # no bearing on a saved plan

    refused = cli("apply", "destroy.json")  # a destroy asks, even when saved: here nobody can answer
    assert refused.code == 1 and "--auto-approve" in refused.err, refused.output
    assert ids(workspace, "support-bot") == made

    result = cli("apply", "destroy.json", "--auto-approve")
    assert result.code == 0, result.output
    assert "7 destroyed" in result.out
    assert resources(workspace, "support-bot") == {}
    live = {f.id for f in api.files.list()} | {v.id for v in api.vector_stores.list()} | {
        a.id for a in api.beta.assistants.list()}
    assert not live & set(made.values())
    assert not stack_state(workspace, "support-bot", suffix=".outputs.json").exists()


def test_file_search_options_can_be_set_and_removed(cli, workspace: Path, api: openai.OpenAI):
    stack = write_stack(workspace, "search", """\
        stack: search
        vector_stores:
          kb: {}
        assistants:
          bot:
            model: gpt-4o
            tools:
              - type: file_search
                max_num_results: 5
                ranking_options: {ranker: default_2024_08_21, score_threshold: 0.5}
            tool_resources:
              file_search: {vector_stores: [kb]}
        """)
    apply_ok(cli, stack)
    bot_id = ids(workspace, "search")["assistants.bot"]
    tool = api.beta.assistants.retrieve(bot_id).tools[0]
    assert tool.file_search.max_num_results == 5 and tool.file_search.ranking_options.score_threshold == 0.5
    no_changes(cli, stack)

    edit(workspace, stack, "        max_num_results: 5\n"
                           "        ranking_options: {ranker: default_2024_08_21, score_threshold: 0.5}\n", "")
    assert actions(plan_json(cli, stack)) == {"assistants.bot": "update"}
    apply_ok(cli, stack)
    tool = api.beta.assistants.retrieve(bot_id).tools[0]
    assert tool.type == "file_search"
    assert not (tool.file_search and tool.file_search.max_num_results not in (None, 20))
    no_changes(cli, stack)


def test_a_new_version_that_fails_indexing_leaves_the_old_one_in_the_store(cli, workspace: Path, api: openai.OpenAI):
    """Replacing a document attaches the new upload before it lets go of the old one, so a store
    never goes without the document, even when the new version cannot be indexed."""
    stack = write_stack(workspace, "roll", """\
        stack: roll
        files:
          guide: {path: data/guide.md}
          faq: {path: data/faq.md}
        vector_stores:
          kb: {files: [guide, faq]}
        """, {"data/guide.md": "The guide.\n", "data/faq.md": "The FAQ.\n", "data/guide-binary.md": "\x00binary guide\n"})
    apply_ok(cli, stack)
    old = ids(workspace, "roll")
    edit(workspace, stack, "path: data/guide.md", "path: data/guide-binary.md")
    assert actions(plan_json(cli, stack)) == {"files.guide": "replace", "vector_stores.kb": "update"}

    failed = cli("apply", stack, "--auto-approve")
    assert failed.code == 1 and "files.guide: indexing failed" in failed.output, failed.output
    members = store_members(api, old["vector_stores.kb"])
    assert members[old["files.guide"]]["status"] == "completed"  # the old version still serves
    assert members[old["files.faq"]]["status"] == "completed"

    edit(workspace, stack, "path: data/guide-binary.md", "path: data/guide.md")
    apply_ok(cli, stack)
    new = ids(workspace, "roll")
    live = store_members(api, new["vector_stores.kb"])
    assert set(live) == {new["files.guide"], new["files.faq"]}
    assert all(m["status"] == "completed" for m in live.values())
    assert not [a for a in new if "deposed" in a]
    assert gone(lambda: api.files.retrieve(old["files.guide"]))
    no_changes(cli, stack)


def test_renaming_a_store_key_repoints_both_assistants_then_deletes_the_old_store(cli, workspace: Path,
                                                                                   api: openai.OpenAI):
    text = KNOWLEDGE.format(name="rekey") + """\
  helper:
    model: gpt-4o-mini
    tools: [{type: file_search}]
    tool_resources:
      file_search: {vector_stores: [kb]}
"""
    stack = write_stack(workspace, "rekey", text, DOCS)
    apply_ok(cli, stack)
    old = ids(workspace, "rekey")
    path = workspace / stack / "stack.yaml"
    path.write_text(path.read_text().replace("  kb:\n", "  library:\n").replace("[kb]", "[library]"))

    assert actions(plan_json(cli, stack)) == {"vector_stores.kb": "delete", "vector_stores.library": "create",
                                              "assistants.bot": "update", "assistants.helper": "update"}
    apply_ok(cli, stack)
    new = ids(workspace, "rekey")
    for name in ("bot", "helper"):
        bot = api.beta.assistants.retrieve(new[f"assistants.{name}"])
        assert bot.tool_resources.file_search.vector_store_ids == [new["vector_stores.library"]]
    assert gone(lambda: api.vector_stores.retrieve(old["vector_stores.kb"]))
    assert set(store_members(api, new["vector_stores.library"])) == {new[a] for a in new if a.startswith("file_sets")}
    no_changes(cli, stack)


def test_destroy_after_the_assistants_api_sunset_still_removes_files_and_stores(
        cli, workspace: Path, emulator_factory, monkeypatch, tmp_path: Path):
    """The endpoint dropped /v1/assistants (and every assistant with it): destroy must still
    delete the stack's files and vector stores, and forget the assistant."""
    before = emulator_factory(db_path=tmp_path / "openai.db")
    monkeypatch.setenv("PROVISIONER_EMULATOR_URL", before.base_url)
    apply_ok(cli, "stacks/support-bot")
    made = ids(workspace, "support-bot")
    before.close()
    after = emulator_factory(db_path=tmp_path / "openai.db", assistants_api=False)
    monkeypatch.setenv("PROVISIONER_EMULATOR_URL", after.base_url)

    planned = cli("plan", "stacks/support-bot", "--destroy", "--out", "destroy.json")
    assert planned.code == 0 and "7 to destroy" in planned.out, planned.output
    result = cli("apply", "destroy.json", "--auto-approve")  # a saved destroy plan reads the live world the same way
    assert result.code == 0, result.output
    assert resources(workspace, "support-bot") == {}
    client = after.client()
    assert not {f.id for f in client.files.list()} & set(made.values())
    assert not {v.id for v in client.vector_stores.list()} & set(made.values())


def test_a_store_with_more_members_than_one_list_page_converges(cli, workspace: Path, api: openai.OpenAI):
    docs = {f"docs/doc{n:03}.md": f"Document number {n}.\n" for n in range(130)}
    stack = write_stack(workspace, "big", """\
        stack: big
        file_sets:
          docs: {include: ["docs/*.md"]}
        vector_stores:
          kb: {file_sets: [docs]}
        """, docs)
    result = apply_ok(cli, stack, "--parallelism", "8")
    assert "131 added" in result.out
    state = ids(workspace, "big")
    assert api.vector_stores.retrieve(state["vector_stores.kb"]).file_counts.completed == 130
    no_changes(cli, stack)
    (workspace / stack / "docs" / "doc007.md").unlink()
    assert actions(plan_json(cli, stack)) == {'file_sets.docs["docs/doc007.md"]': "delete", "vector_stores.kb": "update"}
    apply_ok(cli, stack)
    assert api.vector_stores.retrieve(state["vector_stores.kb"]).file_counts.completed == 129
    no_changes(cli, stack)


def test_writing_out_the_default_chunking_changes_nothing(cli, workspace: Path):
    """`chunking_strategy: {type: auto}` is what the API does when none is given: no replacement."""
    stack = write_stack(workspace, "auto", """\
        stack: auto
        files:
          faq: {path: faq.md}
        vector_stores:
          kb: {files: [faq]}
        """, {"faq.md": "Questions.\n"})
    apply_ok(cli, stack)
    edit(workspace, stack, "kb: {files: [faq]}", "kb: {files: [faq], chunking_strategy: {type: auto}}")
    no_changes(cli, stack)
    apply_ok(cli, stack)
    edit(workspace, stack, "kb: {files: [faq], chunking_strategy: {type: auto}}", "kb: {files: [faq]}")
    no_changes(cli, stack)


# ---- drift: objects deleted or detached by hand --------------------------------------------------

def test_objects_deleted_or_detached_by_hand_are_put_back(cli, workspace: Path, api: openai.OpenAI):
    stack = "stacks/support-bot"
    apply_ok(cli, stack)
    old = ids(workspace, "support-bot")
    doc = 'file_sets.docs["docs/troubleshooting.md"]'
    api.files.delete(old["files.pricing"])  # also detaches nothing: pricing is in no store
    api.vector_stores.files.delete(old[doc], vector_store_id=old["vector_stores.knowledge"])

    result = cli("plan", stack, "--detailed-exitcode")
    assert result.code == 2
    plan = plan_json(cli, stack)
    assert actions(plan) == {"files.pricing": "create", "vector_stores.knowledge": "update",
                             "assistants.support": "update"}
    assert {c["address"] for c in plan["changes"] if c["drift"]} == {"files.pricing", "vector_stores.knowledge"}
    apply_ok(cli, stack)
    new = ids(workspace, "support-bot")
    assert new["files.pricing"] != old["files.pricing"] and new[doc] == old[doc]
    assert old[doc] in store_members(api, new["vector_stores.knowledge"])
    bot = api.beta.assistants.retrieve(new["assistants.support"])
    assert bot.tool_resources.code_interpreter.file_ids == [new["files.pricing"]]
    no_changes(cli, stack)

    api.vector_stores.delete(new["vector_stores.knowledge"])
    assert actions(plan_json(cli, stack)) == {"vector_stores.knowledge": "create", "assistants.support": "update"}
    apply_ok(cli, stack)
    final = ids(workspace, "support-bot")
    assert api.vector_stores.retrieve(final["vector_stores.knowledge"]).file_counts.completed == 4
    bot = api.beta.assistants.retrieve(final["assistants.support"])
    assert bot.tool_resources.file_search.vector_store_ids == [final["vector_stores.knowledge"]]
    no_changes(cli, stack)


def test_many_kinds_of_change_at_once_leave_nothing_behind(cli, workspace: Path, api: openai.OpenAI):
    stack = write_stack(workspace, "combo", KNOWLEDGE.format(name="combo"), DOCS)
    apply_ok(cli, stack)
    old = ids(workspace, "combo")
    live_before = {f.id for f in api.files.list()} | {v.id for v in api.vector_stores.list()}
    root = workspace / stack
    (root / "docs" / "a.md").write_text("# A\nAlpha document, second edition.\n")  # re-upload
    (root / "docs" / "c.md").unlink()  # removed
    (root / "docs" / "d.md").write_text("# D\nDelta document.\n")  # added
    edit(workspace, stack, "max_chunk_size_tokens: 800", "max_chunk_size_tokens: 600")  # store replaced
    edit(workspace, stack, "model: gpt-4o", "model: gpt-4o\n    temperature: 0.5")

    assert actions(plan_json(cli, stack)) == {
        'file_sets.docs["docs/a.md"]': "replace", 'file_sets.docs["docs/c.md"]': "delete",
        'file_sets.docs["docs/d.md"]': "create", "vector_stores.kb": "replace", "assistants.bot": "update"}
    apply_ok(cli, stack)
    new = ids(workspace, "combo")
    assert not [a for a in new if "deposed" in a]
    members = store_members(api, new["vector_stores.kb"])
    assert set(members) == {new[a] for a in new if a.startswith("file_sets")} and len(members) == 3
    assert all(m["status"] == "completed" for m in members.values())
    bot = api.beta.assistants.retrieve(new["assistants.bot"])
    assert bot.tool_resources.file_search.vector_store_ids == [new["vector_stores.kb"]] and bot.temperature == 0.5
    live_after = {f.id for f in api.files.list()} | {v.id for v in api.vector_stores.list()}
    ours = set(new.values())
    assert not (live_after - live_before) - ours, "objects made but not tracked"
    replaced = {old[a] for a in old if a not in new or new[a] != old[a]}
    assert not replaced & live_after, "objects replaced or removed but still live"
    no_changes(cli, stack)


def test_a_hand_edit_later_adopted_by_the_stack_stops_showing_as_drift(cli, workspace: Path, api: openai.OpenAI):
    """Someone changes a value in the dashboard; the stack is then edited to match. The plan has
    nothing to do, and once applied, the change is no longer reported as drift."""
    stack = "stacks/quickstart"
    apply_ok(cli, stack)
    bot = ids(workspace, "quickstart")["assistants.weather"]
    api.beta.agents.update(bot, reasoning={"effort": "medium"})
    edit(workspace, stack, "reasoning_effort: low", "reasoning_effort: medium")

    first = cli("plan", stack, "--detailed-exitcode")
    assert first.code in (0, 2), first.output
    apply_ok(cli, stack)
    assert api.beta.agents.retrieve(bot).reasoning.effort == "medium"
    result = cli("plan", stack, "--detailed-exitcode")
    assert result.code == 0, result.output
    assert "Drift" not in result.out and "changed outside" not in result.out, result.out


def test_an_expired_store_is_replaced_and_the_assistant_repointed(cli, workspace: Path, emulator_factory, monkeypatch):
    """A store idle past its expires_after is expired for good: it takes no files and serves no
    search. The plan must not call that "no changes"; it replaces the store."""
    clocked = emulator_factory()
    monkeypatch.setenv("PROVISIONER_EMULATOR_URL", clocked.base_url)
    stack = write_stack(workspace, "expiry", KNOWLEDGE.format(name="expiry"), DOCS)
    apply_ok(cli, stack)
    old = ids(workspace, "expiry")
    no_changes(cli, stack)
    clocked.advance_clock(8 * 86400)  # expires_after: 7 days
    client = clocked.client()
    assert client.vector_stores.retrieve(old["vector_stores.kb"]).status == "expired"

    plan = plan_json(cli, stack)
    assert actions(plan) == {"vector_stores.kb": "replace", "assistants.bot": "update"}
    change = next(c for c in plan["changes"] if c["address"] == "vector_stores.kb")
    assert "expired" in change["reason"] and change["drift"] is True
    apply_ok(cli, stack)
    new = ids(workspace, "expiry")
    store = client.vector_stores.retrieve(new["vector_stores.kb"])
    assert store.status == "completed" and store.file_counts.completed == 3
    bot = client.beta.assistants.retrieve(new["assistants.bot"])
    assert bot.tool_resources.file_search.vector_store_ids == [new["vector_stores.kb"]]
    assert gone(lambda: client.vector_stores.retrieve(old["vector_stores.kb"]))
    no_changes(cli, stack)


def test_editing_a_code_interpreter_file_repoints_the_assistant_then_deletes_the_old_upload(
        cli, workspace: Path, api: openai.OpenAI):
    stack = "stacks/support-bot"
    apply_ok(cli, stack)
    old = ids(workspace, "support-bot")
    pricing = workspace / stack / "data" / "pricing.csv"
    pricing.write_text(pricing.read_text() + "enterprise,999\n")
    assert actions(plan_json(cli, stack)) == {"files.pricing": "replace", "assistants.support": "update"}
    result = apply_ok(cli, stack)
    lines = result.err.splitlines()
    deposed = f"files.pricing (deposed {old['files.pricing']})"
    assert lines.index("assistants.support: update complete") < lines.index(f"{deposed}: delete-deposed..."), result.err
    new = ids(workspace, "support-bot")
    bot = api.beta.assistants.retrieve(new["assistants.support"])
    assert bot.tool_resources.code_interpreter.file_ids == [new["files.pricing"]] != [old["files.pricing"]]
    assert gone(lambda: api.files.retrieve(old["files.pricing"]))
    no_changes(cli, stack)


def test_a_store_larger_than_one_file_batch_is_attached_in_several(cli, workspace: Path, read_state, api,
                                                                    emulator, monkeypatch):
    monkeypatch.setattr(vector_store, "MAX_BATCH_FILES", 3)  # the API's 2000, scaled to the 4 documents
    emulator.reset_stats()
    assert cli("apply", "stacks/support-bot", "--auto-approve").code == 0
    batches = emulator.stats()["requests"].get("POST /v1/vector_stores/{id}/file_batches", 0)
    assert batches == 2
    store = read_state()["resources"]["vector_stores.knowledge"]
    assert api.vector_stores.retrieve(store["id"]).file_counts.completed == 4
    assert cli("plan", "stacks/support-bot", "--detailed-exitcode").code == 0
