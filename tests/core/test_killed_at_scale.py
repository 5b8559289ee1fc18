"""An apply of a few hundred files killed mid-run converges on the next apply: nothing doubled, nothing leaked."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from provisioner.emulator.testing import running_emulator
from provisioner.state.local import LocalFileBackend
from provisioner.state.manager import StateManager

DOCS = 300
STACK = """\
stack: kb
provider: {kind: emulator}
file_sets:
  docs: {include: ["docs/*.md"]}
vector_stores:
  kb: {file_sets: [docs]}
"""


def _recorded(state_file: Path) -> dict:
    """What the state holds now, its journal included, as the next run will read it."""
    return StateManager(LocalFileBackend(state_file), "kb").load().resources


def test_a_killed_apply_of_hundreds_of_files_converges_without_duplicates_or_leaks(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    for i in range(DOCS):
        (tmp_path / "docs" / f"doc-{i:03d}.md").write_text(f"# Document {i}\n" + "some text\n" * 20)
    (tmp_path / "stack.yaml").write_text(STACK)
    state_file = tmp_path / "state" / "kb.json"
    with running_emulator(latency_ms=40, index_base_ms=200) as slow:
        env = {**os.environ, "PROVISIONER_EMULATOR_URL": slow.base_url, "CI": "true"}
        command = [sys.executable, "-m", "provisioner.cli", "apply", ".", "--auto-approve", "--parallelism", "8"]
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_recorded(state_file)) < DOCS // 3:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        partial = _recorded(state_file)
        assert DOCS // 3 <= len(partial) < DOCS + 1, "killed before or after the uploads"

        rerun = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr + rerun.stdout

        client = slow.client()
        files = list(client.files.list(limit=10_000))
        assert len(files) == DOCS and len({f.filename for f in files}) == DOCS
        [store] = list(client.vector_stores.list())
        members = list(client.vector_stores.files.list(store.id, limit=100))
        assert sorted(m.id for m in members) == sorted(f.id for f in files)
        recorded = _recorded(state_file)
        assert len(recorded) == DOCS + 1
        assert recorded["vector_stores.kb"].id == store.id
        assert not (tmp_path / "state" / "kb.json.journal").exists(), "the run folds its journal at the end"
        plan = subprocess.run([*command[:3], "plan", ".", "--detailed-exitcode"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert plan.returncode == 0, plan.stdout + plan.stderr
