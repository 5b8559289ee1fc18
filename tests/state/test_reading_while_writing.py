"""A reader that takes no lock (plan, drift, show) sees one consistent revision while a run appends
to the journal and folds it into the snapshot: never an entry lost, never one twice."""
from __future__ import annotations

import threading

from provisioner.state import ResourceState, StateManager

RECORDS = 60


def test_a_reader_sees_every_revision_whole_while_a_run_records_and_folds(shared_backends):
    writer = StateManager(shared_backends.first, "support-bot")
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with writer.lock("apply"):
                writer.load()
                for n in range(RECORDS):
                    writer.record(f"files.f{n}", ResourceState(address=f"files.f{n}", kind="file", id=f"file-{n}"))
                    if n % 7 == 6:
                        writer.compact()  # a fold in the middle: snapshot rewritten, journal dropped
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    reader = StateManager(shared_backends.another_handle(), "support-bot")
    seen = []
    while thread.is_alive() or not seen:
        state = reader.load()
        # entries are recorded in order, so revision k holds exactly the first k files
        assert set(state.resources) == {f"files.f{n}" for n in range(state.serial)}, state.serial
        seen.append(state.serial)
    thread.join()
    assert not failures, failures
    assert seen == sorted(seen), "a later read never goes back to an older revision"
    assert reader.load().serial == RECORDS
