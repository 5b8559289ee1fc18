"""The applier on the fake API and an in-memory state: a plan's steps run in dependency order, as many
at once as allowed, ids made earlier in the run fill the placeholders of later steps, and a failed
step skips what depends on it while the rest goes on. Only through `Applier(...).apply(plan)`."""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

from provisioner.applier import Applier, Event
from provisioner.plan import Action, Change, Plan, unknown_id
from provisioner.schedule import schedule
from provisioner.state.manager import StateManager
from provisioner.state.memory import InMemoryBackend
from provisioner.state.model import State
from tests.support.fake_api import FakeApi

STACK = "s"
DOCUMENTS = ("a", "b", "c")


def _file(tmp_path: Path, name: str) -> Change:
    path = tmp_path / f"{name}.md"
    path.write_text(f"document {name}")
    after = {"filename": path.name, "purpose": "assistants", "bytes": path.stat().st_size,
             "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "path": str(path)}
    return Change(address=f"files.{name}", kind="file", action=Action.CREATE, after=after)


def _planned(changes: list[Change]) -> Plan:
    """A plan of `changes` from an empty state, with the steps the planner would schedule."""
    return Plan(stack=STACK, created_at="2026-01-01T00:00:00Z", state_lineage="", state_serial=0,
                live_fingerprint="", changes=changes, steps=schedule(changes, State.new(STACK)))


def _plan(tmp_path: Path) -> Plan:
    """Three uploads, a store holding them, an assistant searching the store."""
    files = [_file(tmp_path, name) for name in DOCUMENTS]
    store = Change(address="vector_stores.docs", kind="vector_store", action=Action.CREATE,
                   depends_on=[f.address for f in files], after={
                       "name": "docs", "description": None, "metadata": {}, "expires_after": None,
                       "chunking_strategy": None,
                       "files": {f.address: {"file_id": unknown_id(f.address), "attributes": {}} for f in files}})
    assistant = Change(address="assistants.helper", kind="assistant", action=Action.CREATE,
                       depends_on=["vector_stores.docs"], after={
                           "model": "gpt-4.1", "name": "helper", "tools": [{"type": "file_search"}],
                           "tool_resources": {"file_search": {"vector_store_ids": [unknown_id("vector_stores.docs")]}}})
    return _planned([*files, store, assistant])


def _apply(api: FakeApi, plan: Plan, parallelism: int = 4) -> tuple[Any, StateManager, list[Event]]:
    states = StateManager(InMemoryBackend(), STACK)
    events: list[Event] = []
    with states.lock("apply"):
        result = Applier(api, states, events.append, parallelism=parallelism).apply(plan)
    return result, states, events


class UploadsMeet(FakeApi):
    """Each upload waits until all of them are under way: they complete only if they run at once."""

    def __init__(self, uploads: int):
        super().__init__()
        self._all_started = threading.Barrier(uploads, timeout=10)  # a bound for a hang, not a timing

    def upload_file(self, path: Path, filename: str, purpose: str) -> Any:
        self._all_started.wait()
        return super().upload_file(path, filename, purpose)


def test_a_plan_runs_in_dependency_order_with_independent_steps_at_once(tmp_path: Path):
    api = UploadsMeet(len(DOCUMENTS))
    result, states, _ = _apply(api, _plan(tmp_path))

    assert result.failed == {}
    assert result.summary()["added"] == 5
    methods = [c.method for c in api.writes]
    assert methods[:3] == ["upload_file"] * 3
    assert methods[3:] == ["create_vector_store", "create_file_batch", "create_assistant"]
    state = states.current().resources
    uploaded = {address: state[address].id for address in (f"files.{n}" for n in DOCUMENTS)}
    # the ids the uploads got are what the store attached and what state holds
    batch = api.called("create_file_batch")[0].args["files"]
    assert sorted(entry["file_id"] for entry in batch) == sorted(uploaded.values())
    assert set(state["vector_stores.docs"].attributes["files"]) == set(uploaded)
    body = api.called("create_assistant")[0].args["body"]
    assert body["tool_resources"]["file_search"]["vector_store_ids"] == [state["vector_stores.docs"].id]
    assert api.assistants.objects[state["assistants.helper"].id]["name"] == "helper"


def test_a_failed_step_skips_what_depends_on_it_and_the_rest_goes_on(tmp_path: Path):
    api = FakeApi()
    api.fail("upload_file", when=lambda args: args["filename"].startswith("b."))
    result, states, events = _apply(api, _plan(tmp_path))

    assert set(result.failed) == {"files.b", "vector_stores.docs", "assistants.helper"}
    assert result.summary() == {"added": 2, "changed": 0, "destroyed": 0, "failed": 1, "skipped": 2}
    skipped = {e.address: e.message for e in events if e.kind == "skipped"}
    assert skipped == {"vector_stores.docs": "depends on files.b, which failed",
                       "assistants.helper": "depends on files.b, which failed"}
    assert [c.method for c in api.writes] == ["upload_file"] * 3  # nothing that needed files.b was sent
    state = states.current().resources
    assert state["files.a"].id in api.files.objects and state["files.c"].id in api.files.objects
    assert state["files.b"].id is None  # only the intent of the failed create
    assert "vector_stores.docs" not in state and "assistants.helper" not in state


def test_an_update_and_a_delete_act_on_the_ids_the_plan_names(tmp_path: Path):
    api = FakeApi()
    store = api.create_vector_store({"name": "old name"})
    gone = api.create_assistant({"model": "gpt-4.1", "name": "retired"})
    api.calls.clear()
    attributes = {"name": "old name", "description": None, "metadata": {}, "expires_after": None,
                  "chunking_strategy": None, "files": {}}
    plan = _planned([
        Change(address="vector_stores.docs", kind="vector_store", action=Action.UPDATE, id=store["id"],
               before=attributes, after={**attributes, "name": "new name"}),
        Change(address="assistants.retired", kind="assistant", action=Action.DELETE, id=gone["id"],
               before={"model": "gpt-4.1", "name": "retired"})])
    result, states, _ = _apply(api, plan)

    assert result.summary()["changed"] == 1 and result.summary()["destroyed"] == 1
    assert sorted((c.method, tuple(c.args.values())[0]) for c in api.writes) == [
        ("delete_assistant", gone["id"]), ("update_vector_store", store["id"])]
    assert api.vector_stores.objects[store["id"]]["name"] == "new name"
    assert states.current().resources["vector_stores.docs"].attributes["name"] == "new name"
