"""When things go wrong: failed indexing, a held lock, a crash mid-apply; and secrets stay out."""
from __future__ import annotations

import re
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openai

from provisioner.emulator.testing import running_emulator
from provisioner.state.local import LocalFileBackend
from provisioner.state.manager import StateManager
from tests.conftest import stack_state

STACK = "stacks/support-bot"


def _add_unindexable_file(workspace: Path) -> None:
    # an image renamed .md: the attach is accepted (by extension), indexing then fails on its content
    (workspace / STACK / "data" / "logo.md").write_bytes(b"\x89PNG not really an image")
    stack_file = workspace / STACK / "stack.yaml"
    text = stack_file.read_text()
    text = text.replace("files:\n  pricing:\n", "files:\n  logo:\n    path: data/logo.md\n  pricing:\n")
    text = text.replace("    file_sets:\n      - file_set: docs\n", "    files: [logo]\n    file_sets:\n      - file_set: docs\n")
    stack_file.write_text(text)


def test_a_local_file_that_cannot_be_indexed_is_refused_before_any_call(cli, workspace: Path, emulator):
    (workspace / STACK / "data" / "logo.bin").write_bytes(b"\x89PNG not really an image")
    stack_file = workspace / STACK / "stack.yaml"
    text = stack_file.read_text().replace("files:\n  pricing:\n", "files:\n  logo:\n    path: data/logo.bin\n  pricing:\n")
    stack_file.write_text(text.replace("    file_sets:\n      - file_set: docs\n",
                                       "    files: [logo]\n    file_sets:\n      - file_set: docs\n"))
    emulator.reset_stats()
    result = cli("apply", STACK, "--auto-approve")
    assert result.code == 1 and "files.logo (stacks/support-bot/data/logo.bin) cannot go in vector_stores" in result.err
    assert emulator.stats()["total"] == 0


def test_a_file_that_fails_indexing_is_named_with_its_reason(cli, workspace: Path, read_state, api: openai.OpenAI):
    _add_unindexable_file(workspace)
    result = cli("apply", STACK, "--auto-approve")
    assert result.code == 1
    assert re.search(r"files\.logo: indexing failed: .*not supported", result.output), result.output
    # the branch that does not depend on the store carried on; the assistant that does was skipped
    assert "assistants.support: skipped (depends on vector_stores.knowledge, which failed)" in result.err
    assert "1 failed, 1 skipped" in result.out
    resources = read_state()["resources"]
    assert "assistants.support" not in resources
    store = resources["vector_stores.knowledge"]
    assert len(store["attributes"]["files"]) == 4  # the four documents that did index are recorded
    assert api.vector_stores.retrieve(store["id"]).file_counts.completed == 4


def test_a_held_lock_stops_a_second_apply(cli, workspace: Path, read_state):
    backend = LocalFileBackend(stack_state(workspace, "support-bot"))
    with backend.lock("another apply in CI"):
        result = cli("apply", STACK, "--auto-approve")
    assert result.code == 1
    assert "another apply in CI" in result.err
    assert "Traceback" not in result.output
    assert cli("apply", STACK, "--auto-approve").code == 0


def test_the_api_key_never_reaches_state_plan_or_output(cli, workspace: Path, emulator, monkeypatch):
    key = "sk-proj-" + "S3cr3tK3y" * 4
    monkeypatch.setenv("SUPPORT_BOT_KEY", key)
    stack_file = workspace / STACK / "stack.yaml"
    stack_file.write_text(stack_file.read_text().replace(
        "provider:\n  kind: emulator\n",
        f"provider:\n  kind: compatible\n  base_url: {emulator.base_url}\n  api_key_env: SUPPORT_BOT_KEY\n"))
    allow = ("--allow-key-env", "SUPPORT_BOT_KEY")  # the operator lets the stack send this variable
    outputs = [cli("plan", STACK, *allow, "--out", "p.json", "--json"), cli("apply", "p.json", *allow, "--json")]
    assert all(r.code == 0 for r in outputs), [r.output for r in outputs]
    state_dir = stack_state(workspace, "support-bot").parent
    written = [p.read_text() for p in state_dir.iterdir()] + [(workspace / "p.json").read_text()]
    assert all(key not in text for text in written + [r.output for r in outputs])
    assert "SUPPORT_BOT_KEY" in (workspace / "p.json").read_text()  # the variable's name, not its value


def _live_counts(client: openai.OpenAI) -> dict[str, int]:
    stores = [v for v in client.vector_stores.list() if (v.metadata or {}).get("provisioner:stack") == "support-bot"]
    assistants = [a for a in client.beta.assistants.list() if (a.metadata or {}).get("provisioner:stack") == "support-bot"]
    return {"files": len(list(client.files.list())), "vector_stores": len(stores), "assistants": len(assistants)}


def _recorded(state_file: Path, stack: str = "support-bot") -> dict:
    """What the state holds now, its journal included, as the next run will read it."""
    return StateManager(LocalFileBackend(state_file), stack).load().resources


def test_an_apply_killed_midway_is_recovered_without_duplicates(workspace: Path, read_state):
    """SIGKILL the CLI while it works, then apply again: the stack converges, nothing is doubled."""
    with running_emulator(latency_ms=150, index_base_ms=1500) as slow:
        env = {**os.environ, "PROVISIONER_EMULATOR_URL": slow.base_url, "CI": "true"}
        command = [sys.executable, "-m", "provisioner.cli", "apply", STACK, "--auto-approve", "--parallelism", "2"]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        state_file = stack_state(workspace, "support-bot")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill once some, but not all, resources exist
            if len(_recorded(state_file)) >= 3:
                break
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        partial = _recorded(state_file)
        assert 3 <= len(partial) < 7

        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr + rerun.stdout
        assert len(read_state()["resources"]) == 7
        assert _live_counts(slow.client()) == {"files": 5, "vector_stores": 1, "assistants": 1}
        plan = subprocess.run([*command[:3], "plan", STACK, "--detailed-exitcode"], env=env,
                              capture_output=True, text=True, timeout=60)
        assert plan.returncode == 0, plan.stdout + plan.stderr
