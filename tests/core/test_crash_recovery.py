"""Crash recovery takes back only what it can prove it made: an apply killed while its uploads are in
flight, then applied again, never swaps look-alike files nor claims another environment's objects."""
from __future__ import annotations

import os
import multiprocessing
import random
import signal
import time
from pathlib import Path

import pytest

from provisioner.cli import main
from provisioner.emulator.testing import running_emulator
from provisioner.state.local import LocalFileBackend
from provisioner.state.manager import StateManager
from tests.conftest import FAST_SWITCHES
from tests.conftest import stack_state

# Every request waits this long in the server before it is handled, so an apply killed while its
# uploads wait there leaves them to be made after it died: intents in state, ids never recorded.
LATENCY_MS = 150


@pytest.fixture(scope="module")
def slow():
    with running_emulator(**{**FAST_SWITCHES, "latency_ms": LATENCY_MS}) as process:
        yield process


@pytest.fixture
def fresh(slow, monkeypatch):
    slow.reset()
    monkeypatch.setenv("PROVISIONER_EMULATOR_URL", slow.base_url)
    return slow


def _resources(state_file: Path, stack: str = "support-bot") -> dict:
    """What the state holds, its journal included (a killed run leaves its changes there)."""
    return {address: resource.model_dump(mode="json") for address, resource in
            StateManager(LocalFileBackend(state_file), stack).load().resources.items()}


def _apply_killed_with_uploads_in_flight(emulator, uploads: int, *args: str) -> None:
    """Run `provisioner apply ARGS` in a child process and SIGKILL it once the server has received
    `uploads` uploads (they wait out the latency there); return once the server has made them."""
    child = multiprocessing.get_context("fork").Process(target=_run_cli, args=(["apply", *args, "--auto-approve"],))
    child.start()  # forked, so it starts at once with everything imported
    deadline = time.monotonic() + 60
    while emulator.stats()["requests"].get("POST /v1/files", 0) < uploads:
        assert child.is_alive() and time.monotonic() < deadline, "the apply ended before its uploads were sent"
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    client = emulator.client()
    while len(list(client.files.list())) < uploads:
        assert time.monotonic() < deadline, "the server did not make the uploads"
        time.sleep(0.05)


def _run_cli(args: list[str]) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.environ["CI"] = "true"
    main(["--no-color", *args])


TWINS = """\
stack: twins
files:
  public: {path: a/x.md, purpose: user_data}    # user_data: readable back, to check the content
  internal: {path: b/x.md, purpose: user_data}
vector_stores:
  kb:
    files: [{file: public, attributes: {audience: public}}, {file: internal, attributes: {audience: internal}}]
"""


@pytest.mark.parametrize("seed", range(6))
def test_same_name_same_size_files_are_never_swapped_after_a_crash(cli, workspace: Path, fresh, seed):
    """a/x.md and b/x.md, same size, different content: the apply is killed with both uploads in
    flight. Recovery used to take them back by name and size, i.e. at random: the public store then
    served the internal text and the next plan said "No changes"."""
    rng = random.Random(seed)
    root = workspace / "stacks" / "twins"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "stack.yaml").write_text(TWINS)
    size = rng.randint(20, 200)
    contents = {"public": "P" + "".join(rng.choice("abcdef ") for _ in range(size)),
                "internal": "I" + "".join(rng.choice("uvwxyz ") for _ in range(size))}
    (root / "a" / "x.md").write_text(contents["public"])
    (root / "b" / "x.md").write_text(contents["internal"])
    state_file = stack_state(workspace, "twins")

    _apply_killed_with_uploads_in_flight(fresh, 2, "stacks/twins", "--parallelism", "2")
    left = _resources(state_file, "twins")
    assert [left[a]["id"] for a in ("files.public", "files.internal")] == [None, None], left
    client = fresh.client()

    result = cli("apply", "stacks/twins", "--auto-approve")
    assert result.code == 0, result.output
    state = _resources(state_file, "twins")
    assert len(list(client.files.list())) == 2  # both taken back, none made again
    for name, content in contents.items():
        assert client.files.content(state[f"files.{name}"]["id"]).text == content
    served = {f.attributes["audience"]: client.files.content(f.id).text
              for f in client.vector_stores.files.list(state["vector_stores.kb"]["id"])}
    assert served == contents
    assert cli("plan", "stacks/twins", "--detailed-exitcode").code == 0


def test_a_crashed_dev_apply_never_claims_prod_objects(cli, workspace: Path, fresh):
    """dev and prod are two workspaces of one stack (the same documents; `env` defaults per workspace).
    A dev apply killed with its uploads in flight, then prod applied, then dev applied again: dev takes
    back only its own uploads, and destroying dev leaves prod whole."""
    stack = "stacks/support-bot"
    dev, prod = ("--workspace", "dev"), ("--workspace", "prod")
    dev_state = workspace / stack / "state" / "dev" / "support-bot.json"
    prod_state = workspace / stack / "state" / "prod" / "support-bot.json"
    _apply_killed_with_uploads_in_flight(fresh, 4, stack, *dev, "--parallelism", "4")
    assert sum(1 for r in _resources(dev_state).values() if r["id"] is None) >= 3  # ids never recorded

    assert cli("apply", stack, *prod, "--auto-approve").code == 0
    prod_ids = {a: r["id"] for a, r in _resources(prod_state).items()}
    assert len(prod_ids) == 7

    again = cli("apply", stack, *dev, "--auto-approve")
    assert again.code == 0, again.output
    dev_ids = {a: r["id"] for a, r in _resources(dev_state).items()}
    assert len(dev_ids) == 7 and not set(dev_ids.values()) & set(prod_ids.values()), (dev_ids, prod_ids)
    assert cli("plan", stack, *prod, "--detailed-exitcode").code == 0

    assert cli("destroy", stack, *dev, "--auto-approve").code == 0
    client = fresh.client()
    live_files = {f.id for f in client.files.list()}
    assert {i for a, i in prod_ids.items() if a.startswith(("files.", "file_sets."))} <= live_files
    assert client.vector_stores.retrieve(prod_ids["vector_stores.knowledge"]).status == "completed"
    assert client.beta.assistants.retrieve(prod_ids["assistants.support"]).id
    assert len(live_files) == 5  # dev's uploads are all gone, none was left behind
    assert cli("plan", stack, *prod, "--detailed-exitcode").code == 0
    assert not stack_state(workspace, "support-bot").exists()  # the default workspace was never used
