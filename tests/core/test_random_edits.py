"""Seeded rounds of the edits a team makes day to day, each applied and checked for convergence:
the next plan is empty, every store holds exactly the files the stack says, each assistant reads the
store it names, and nothing made along the way is left live untracked or deposed."""
from __future__ import annotations

import json
import random
import textwrap
from pathlib import Path

import openai
import pytest
from tests.conftest import stack_state

SETS = ("guides", "policies")


def _stack(doc_sets: dict[str, str], chunk: int, attrs: dict[str, str], bot_store: str) -> str:
    return textwrap.dedent(f"""\
        stack: churn
        file_sets:
          guides: {{include: ["guides/*.md"]}}
          policies: {{include: ["policies/*.md"]}}
        vector_stores:
          one:
            chunking_strategy: {{type: static, static: {{max_chunk_size_tokens: {chunk}, chunk_overlap_tokens: 100}}}}
            file_sets: [{{file_set: guides, attributes: {{kind: "{attrs['guides']}"}}}}]
          two:
            file_sets: [{{file_set: policies, attributes: {{kind: "{attrs['policies']}"}}}}]
        assistants:
          bot:
            model: gpt-4o
            tools: [{{type: file_search}}]
            tool_resources: {{file_search: {{vector_stores: [{bot_store}]}}}}
          helper:
            model: gpt-4o-mini
            tools: [{{type: file_search}}]
            tool_resources: {{file_search: {{vector_stores: [two]}}}}
        """)


@pytest.mark.parametrize("seed", [11, 12])
def test_rounds_of_random_edits_always_converge(cli, workspace: Path, api: openai.OpenAI, seed: int):
    rng = random.Random(seed)
    root = workspace / "stacks" / "churn"
    docs: dict[str, str] = {f"doc{n}.md": rng.choice(SETS) for n in range(6)}  # name -> set
    docs.update({"anchor-g.md": "guides", "anchor-p.md": "policies"})  # a file set may not be empty
    movable = lambda: sorted(n for n in docs if not n.startswith("anchor"))  # noqa: E731
    version = {name: 0 for name in docs}
    chunk, attrs, bot_store = 400, {"guides": "g0", "policies": "p0"}, "one"
    live_before = {f.id for f in api.files.list()} | {v.id for v in api.vector_stores.list()}
    seen: set[str] = set()

    for round_ in range(6):
        for edit in rng.sample(["content", "add", "remove", "move", "chunk", "attrs", "repoint"], 3):
            if edit == "content":
                version[rng.choice(sorted(docs))] += 1
            elif edit == "add":
                name = f"doc{len(version) + 10}.md"
                docs[name], version[name] = rng.choice(SETS), 0
            elif edit == "remove" and movable():
                del docs[rng.choice(movable())]
            elif edit == "move" and movable():
                name = rng.choice(movable())
                docs[name] = SETS[1 - SETS.index(docs[name])]
            elif edit == "chunk":
                chunk = 1200 - chunk  # 400 <-> 800: replaces store one
            elif edit == "attrs":
                key = rng.choice(SETS)
                attrs[key] = f"{key[0]}{round_ + 1}"
            elif edit == "repoint":
                bot_store = "two" if bot_store == "one" else "one"
        for directory in SETS:
            for path in (root / directory).glob("*.md") if (root / directory).exists() else []:
                path.unlink()
        for name, where in docs.items():
            (root / where).mkdir(parents=True, exist_ok=True)
            (root / where / name).write_text(f"{name} version {version[name]}\n" + "text " * version[name])
        (root / "stack.yaml").write_text(_stack(docs, chunk, attrs, bot_store))

        result = cli("apply", "stacks/churn", "--auto-approve", "--parallelism", str(rng.choice([1, 4, 8])))
        assert result.code == 0, f"round {round_}: {result.output}"
        plan = cli("plan", "stacks/churn", "--detailed-exitcode")
        assert plan.code == 0, f"round {round_}: {plan.output}"

        state = json.loads(stack_state(workspace, "churn").read_text())["resources"]
        assert not [a for a in state if "deposed" in a or state[a]["id"] is None]
        for store, file_set in (("one", "guides"), ("two", "policies")):
            store_id = state[f"vector_stores.{store}"]["id"]
            expected = {state[f'file_sets.{file_set}["{file_set}/{name}"]']["id"]: attrs[file_set]
                        for name, where in docs.items() if where == file_set}
            live = {f.id: (f.status, (f.attributes or {}).get("kind")) for f in api.vector_stores.files.list(store_id)}
            assert live == {i: ("completed", kind) for i, kind in expected.items()}, f"round {round_}: {store}"
        bot = api.beta.assistants.retrieve(state["assistants.bot"]["id"])
        assert bot.tool_resources.file_search.vector_store_ids == [state[f"vector_stores.{bot_store}"]["id"]]
        live_now = {f.id for f in api.files.list()} | {v.id for v in api.vector_stores.list()}
        tracked = {r["id"] for r in state.values()}
        assert not (live_now - live_before) - tracked, f"round {round_}: objects left live untracked"
        seen |= tracked
        assert not (seen - tracked) & live_now, f"round {round_}: replaced or removed objects still live"
