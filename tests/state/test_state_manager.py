"""StateManager: serial, lineage, stale writes, corrupt files, secrets and concurrent records."""
from __future__ import annotations

import json
import threading

import pytest

from provisioner.errors import StateError
from provisioner.state import InMemoryBackend, LocalFileBackend, ResourceState, State, StateManager


def file_state(address: str, file_id: str = "file-abc") -> ResourceState:
    return ResourceState(address=address, kind="file", id=file_id, attributes={"sha256": "0" * 64})


@pytest.fixture
def path(tmp_path):
    return tmp_path / "state" / "support-bot.json"


@pytest.fixture
def manager(path):
    return StateManager(LocalFileBackend(path), "support-bot")


def test_a_stack_without_state_starts_empty_with_a_fresh_lineage(manager, path):
    state = manager.load()
    assert state.stack == "support-bot" and state.serial == 0 and state.resources == {}
    assert len(state.lineage) == 32 and int(state.lineage, 16) >= 0
    assert not path.exists(), "loading must not write anything"


def test_each_write_bumps_the_serial_and_keeps_the_lineage(manager, path):
    first = manager.persist(manager.load())
    manager.record("files.policy", file_state("files.policy"))
    assert (first.serial, manager.current().serial) == (1, 2)
    reloaded = StateManager(LocalFileBackend(path), "support-bot").load()
    assert reloaded.serial == 2 and reloaded.lineage == first.lineage
    assert reloaded.resources["files.policy"].id == "file-abc"


def test_state_is_written_pretty_and_sorted_for_reviewable_diffs(manager, path):
    manager.record('file_sets.docs["a.md"]', file_state('file_sets.docs["a.md"]'))
    manager.compact()
    text = path.read_text()
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, sort_keys=True) + "\n"
    assert document["resources"]['file_sets.docs["a.md"]']["id"] == "file-abc"


def test_a_write_after_someone_else_wrote_is_refused(path):
    mine = StateManager(LocalFileBackend(path), "support-bot")
    theirs = StateManager(LocalFileBackend(path), "support-bot")
    mine.persist(mine.load())
    stale = mine.load()
    theirs.record("files.policy", file_state("files.policy"))
    with pytest.raises(StateError, match="serial 2.*serial 1.*another run") as raised:
        mine.persist(stale)
    assert "plan again" in str(raised.value)
    assert "files.policy" in StateManager(LocalFileBackend(path), "support-bot").load().resources


def test_a_state_from_another_lineage_is_refused(manager):
    manager.persist(manager.load())
    impostor = State.new("support-bot").model_copy(update={"serial": 1})
    with pytest.raises(StateError, match="lineage"):
        manager.persist(impostor)


def test_a_state_of_another_stack_is_refused(manager):
    with pytest.raises(StateError, match="'other-bot'"):
        manager.persist(State.new("other-bot"))


def test_a_corrupt_state_file_names_the_file_and_the_backup(manager, path):
    path.parent.mkdir(parents=True)
    path.write_text('{"serial": 3, "lin')
    with pytest.raises(StateError) as raised:
        manager.load()
    message = str(raised.value)
    assert str(path) in message or "support-bot.json" in message
    assert "not valid JSON" in message and "support-bot.json.backup" in message


def test_a_state_file_missing_fields_says_which(manager, path):
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "serial": 3, "stack": "support-bot"}')
    with pytest.raises(StateError, match="lineage: Field required"):
        manager.load()


def test_a_state_from_a_newer_provisioner_is_refused(manager, path):
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 99, "lineage": "x", "stack": "support-bot"}))
    with pytest.raises(StateError, match="format version 99") as raised:
        manager.load()
    assert "upgrade" in str(raised.value)


def test_resources_stored_under_the_wrong_key_are_refused():
    with pytest.raises(ValueError, match="has address"):
        State(stack="s", lineage="l", resources={"files.a": file_state("files.b")})


def test_record_removes_a_resource_given_none(manager, path):
    manager.record("files.policy", file_state("files.policy"))
    store = ResourceState(address="vector_stores.kb", kind="vector_store", id="vs_1")
    manager.record("vector_stores.kb", store)
    manager.record("files.policy", None)
    assert list(manager.current().resources) == ["vector_stores.kb"]
    manager.compact()
    assert list(json.loads(path.read_text())["resources"]) == ["vector_stores.kb"]


def test_record_refuses_a_resource_filed_under_another_address(manager):
    with pytest.raises(ValueError):
        manager.record("files.a", file_state("files.b"))


def test_states_handed_out_are_copies(manager):
    manager.record("files.policy", file_state("files.policy"))
    manager.current().resources.clear()
    manager.current().resources["files.policy"].attributes["sha256"] = "tampered"
    assert manager.current().resources["files.policy"].attributes["sha256"] == "0" * 64


def test_fingerprint_identifies_one_revision(manager):
    loaded = manager.load()
    written = manager.persist(loaded)
    assert loaded.fingerprint() != written.fingerprint()
    assert written.fingerprint() == manager.load().fingerprint()
    other_lineage = State.new("support-bot").model_copy(update={"serial": written.serial})
    assert written.fingerprint() != other_lineage.fingerprint()


@pytest.mark.parametrize(
    "attributes",
    [
        {"note": "key is sk-" + "a1B2" * 6},
        {"nested": [{"deep": "sk-proj-" + "Z" * 40}]},
        {"headers": {"Authorization": "anything at all"}},
        {"token": "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig"},
        {"dump": "POST /v1/files\nAuthorization: Bearer abc123"},
        {"sk-" + "k" * 30: "secret used as a key"},
    ],
    ids=["api-key", "nested-project-key", "authorization-header", "bearer-value", "header-line", "in-a-key"],
)
def test_credentials_are_never_written(manager, path, attributes):
    manager.persist(manager.load())
    before = path.read_bytes()
    resource = ResourceState(address="assistants.support", kind="assistant", id="asst_1", attributes=attributes)
    with pytest.raises(StateError, match="refusing to write") as raised:
        manager.record("assistants.support", resource)
    assert "assistants.support" in str(raised.value) or "a key under" in str(raised.value)
    assert "a1B2" not in str(raised.value) and "ZZZZ" not in str(raised.value)
    manager.compact()
    assert path.read_bytes() == before
    assert not path.with_name(path.name + ".journal").exists()


def test_credentials_in_outputs_are_refused_too(manager):
    state = manager.load()
    state.outputs["api_key"] = "sk-" + "x" * 48
    with pytest.raises(StateError, match="outputs.api_key"):
        manager.persist(state)


def test_ordinary_text_that_resembles_a_credential_is_written(manager):
    attributes = {
        "name": "disk-usage-report-for-the-quarter.md",
        "instructions": "Basic rules: be kind. Bearer of bad news: say sorry. Ask for the task-id first.",
    }
    resource = ResourceState(address="assistants.support", kind="assistant", id="asst_1", attributes=attributes)
    manager.record("assistants.support", resource)
    assert manager.current().serial == 1


def test_concurrent_records_from_many_threads_lose_nothing():
    backend = InMemoryBackend()
    manager = StateManager(backend, "support-bot")
    manager.load()
    workers, per_worker = 16, 10
    start = threading.Barrier(workers)

    def work(n):
        start.wait()
        for i in range(per_worker):
            address = f'file_sets.docs["w{n}-{i}.md"]'
            manager.record(address, file_state(address, f"file-{n}-{i}"))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = StateManager(backend, "support-bot").load()
    assert len(stored.resources) == workers * per_worker
    assert stored.serial == workers * per_worker
    assert backend.writes == 0, "recording a change must not rewrite the whole state"
    assert backend.appends <= workers * per_worker


def test_the_manager_locks_through_its_backend():
    backend = InMemoryBackend()
    with StateManager(backend, "s").lock("apply"):
        with pytest.raises(StateError, match="locked by apply"):
            with StateManager(backend, "s").lock("plan"):
                pass


def test_loading_another_stacks_state_is_refused(path):
    StateManager(LocalFileBackend(path), "other-bot").record("files.x", file_state("files.x"))
    with pytest.raises(StateError, match="belongs to stack 'other-bot'"):
        StateManager(LocalFileBackend(path), "support-bot").load()


def test_a_state_that_went_back_in_time_is_refused(manager, path):
    manager.record("files.policy", file_state("files.policy"))
    manager.compact()
    manager.persist(manager.current())
    path.write_bytes(path.with_name("support-bot.json.backup").read_bytes())  # restored behind our back
    with pytest.raises(StateError, match="older than"):
        manager.persist(manager.current())


def test_a_state_edited_into_an_unreadable_shape_is_not_written(manager, path):
    state = manager.persist(manager.load())
    state.resources["files.a"] = file_state("files.b")
    with pytest.raises(StateError, match="not a valid state document"):
        manager.persist(state)
    assert manager.load().serial == 1


def test_force_unlock_goes_through_the_manager():
    backend = InMemoryBackend()
    manager = StateManager(backend, "s")
    with manager.lock("crashed apply"):
        with pytest.raises(StateError) as raised:
            with manager.lock("me"):
                pass
        manager.force_unlock(raised.value.lock_id)
        with manager.lock("me"):
            pass


# ---- the journal: one small entry per change, replayed over the snapshot ----

def _journal(path):
    return path.with_name(path.name + ".journal")


def test_recording_appends_to_the_journal_and_a_new_run_replays_it(manager, path):
    manager.persist(manager.load())
    snapshot = path.read_bytes()
    for n in range(3):
        manager.record(f"files.f{n}", file_state(f"files.f{n}", f"file-{n}"))
    assert path.read_bytes() == snapshot, "a recorded change must not rewrite the snapshot"
    assert len(_journal(path).read_bytes().splitlines()) == 3
    # a run killed now left only its journal: the next run sees every change
    replayed = StateManager(LocalFileBackend(path), "support-bot").load()
    assert replayed.serial == 4 and sorted(replayed.resources) == ["files.f0", "files.f1", "files.f2"]


def test_a_first_run_that_never_compacted_is_replayed_from_its_journal_alone(manager, path):
    manager.record("files.policy", file_state("files.policy"))
    assert not path.exists()
    replayed = StateManager(LocalFileBackend(path), "support-bot").load()
    assert replayed.lineage == manager.current().lineage and replayed.serial == 1
    with pytest.raises(StateError, match="belongs to stack 'support-bot'"):
        StateManager(LocalFileBackend(path), "other-bot").load()


def test_a_torn_last_entry_is_ignored_and_cut_off_before_the_next_append(manager, path):
    manager.record("files.a", file_state("files.a"))
    manager.record("files.b", file_state("files.b"))
    whole = _journal(path).read_bytes()
    _journal(path).write_bytes(whole[:-9])  # killed in the middle of writing the second entry
    resumed = StateManager(LocalFileBackend(path), "support-bot")
    assert sorted(resumed.load().resources) == ["files.a"]
    resumed.record("files.c", file_state("files.c"))
    again = StateManager(LocalFileBackend(path), "support-bot").load()
    assert sorted(again.resources) == ["files.a", "files.c"] and again.serial == 2


def test_a_damaged_entry_before_the_last_is_an_error(manager, path):
    for name in "abc":
        manager.record(f"files.{name}", file_state(f"files.{name}"))
    lines = _journal(path).read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b"files.b", b"files.x")
    _journal(path).write_bytes(b"".join(lines))
    with pytest.raises(StateError, match="journal .* damaged at entry 2 of 3"):
        StateManager(LocalFileBackend(path), "support-bot").load()


def test_entries_already_in_the_snapshot_are_skipped(manager, path):
    manager.record("files.a", file_state("files.a"))
    journal = _journal(path).read_bytes()
    manager.compact()
    _journal(path).write_bytes(journal)  # as if the compaction stopped before it dropped the journal
    manager.record("files.b", file_state("files.b"))
    replayed = StateManager(LocalFileBackend(path), "support-bot").load()
    assert replayed.serial == 2 and sorted(replayed.resources) == ["files.a", "files.b"]


def test_a_journal_of_another_lineage_is_refused(manager, path):
    manager.record("files.a", file_state("files.a"))
    journal = _journal(path).read_bytes()
    manager.compact()
    path.write_text(State.new("support-bot").model_dump_json())  # another history put in its place
    _journal(path).write_bytes(journal)
    with pytest.raises(StateError, match="lineage") as raised:
        StateManager(LocalFileBackend(path), "support-bot").load()
    assert "journal aside" in str(raised.value)


def test_member_changes_are_small_entries(manager, path):
    members = {f"f{n}": {"file_id": f"file-{n}", "attributes": {}} for n in range(500)}
    manager.record("vector_stores.kb", ResourceState(address="vector_stores.kb", kind="vector_store", id="vs_1",
                                                     attributes={"name": "kb", "files": members}))
    size = _journal(path).stat().st_size
    manager.record_members("vector_stores.kb", {"new": {"file_id": "file-new", "attributes": {"a": 1}}}, ["f3"])
    assert _journal(path).stat().st_size - size < 300
    files = StateManager(LocalFileBackend(path), "support-bot").load().resources["vector_stores.kb"].attributes["files"]
    assert len(files) == 500 and "f3" not in files and files["new"]["attributes"] == {"a": 1}


def test_the_end_of_a_locked_run_folds_the_journal_into_the_snapshot(manager, path):
    with manager.lock("apply"):
        manager.load()
        manager.record("files.a", file_state("files.a"))
        assert _journal(path).exists()
    assert not _journal(path).exists()
    assert json.loads(path.read_text())["serial"] == 1 and manager.load().serial == 1


def test_a_run_that_fails_still_folds_its_journal(manager, path):
    with pytest.raises(RuntimeError):
        with manager.lock("apply"):
            manager.record("files.a", file_state("files.a"))
            raise RuntimeError("an API call failed")
    assert not _journal(path).exists() and "files.a" in json.loads(path.read_text())["resources"]


def test_a_locked_run_folds_a_crashed_runs_journal_when_it_loads_without_moving_the_serial(manager, path):
    manager.record("files.a", file_state("files.a"))  # the crashed run
    later = StateManager(LocalFileBackend(path), "support-bot")
    with later.lock("plan"):
        assert later.load().serial == 1
        assert not _journal(path).exists() and json.loads(path.read_text())["serial"] == 1


def test_a_run_whose_lock_was_forced_away_cannot_record(path):
    stuck = StateManager(LocalFileBackend(path), "support-bot")
    with pytest.raises(StateError, match="lock was removed"):  # nor fold its journal at the end
        with stuck.lock("stuck apply"):
            stuck.record("files.a", file_state("files.a"))
            lock_file = path.with_name(path.name + ".lock")
            lock_id = json.loads(lock_file.read_text())["id"]
            StateManager(LocalFileBackend(path), "support-bot").force_unlock(lock_id)
            rescuer = StateManager(LocalFileBackend(path), "support-bot")
            with rescuer.lock("rescue"):
                assert "files.a" in rescuer.load().resources
                with pytest.raises(StateError, match="lock was removed"):
                    stuck.record("files.b", file_state("files.b"))
    assert "files.b" not in StateManager(LocalFileBackend(path), "support-bot").load().resources
