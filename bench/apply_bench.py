"""Benchmark: apply and re-plan a stack of N documents against the emulator; prints figures.

Measures wall time, API calls by route (the emulator's request counter) and peak memory of the
CLI process, for a first apply, a no-change plan, and an apply after one document changed.
Usage: python bench/apply_bench.py [--docs 200] [--latency-ms 20] [--parallelism 4 8]
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from provisioner.emulator.testing import running_emulator

STACK = """\
stack: bench
provider: {{kind: emulator}}
file_sets:
  docs: {{include: ["docs/*.md"]}}
vector_stores:
  kb: {{file_sets: [docs]}}
functions:
  f: {{parameters: {{type: object, properties: {{q: {{type: string}}}}}}}}
assistants:
  a:
    model: gpt-4o
    tools: [{{type: file_search}}, {{type: function, function: f}}]
    tool_resources: {{file_search: {{vector_stores: [kb]}}}}
"""


def write_stack(root: Path, docs: int) -> None:
    (root / "docs").mkdir(parents=True)
    for i in range(docs):
        (root / "docs" / f"doc-{i:04d}.md").write_text(f"# Document {i}\n" + "lorem ipsum dolor sit amet\n" * 40)
    (root / "stack.yaml").write_text(STACK.format())


def run(label: str, args: list[str], cwd: Path, env: dict[str, str], emulator) -> None:
    emulator.reset_stats()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "provisioner.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    stats = emulator.stats()
    if done.returncode not in (0, 2):
        sys.exit(f"{label} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    routes = ", ".join(f"{route} x{n}" for route, n in sorted(stats["requests"].items(), key=lambda kv: -kv[1])[:6])
    print(f"{label:<34} {elapsed:7.2f} s  {stats['total']:5d} API calls  peak RSS {max(peak, before) / 1024:6.1f} MiB")
    print(f"{'':<34} {routes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, nargs="+", default=[1, 4, 8])
    options = parser.parse_args()
    print(f"{options.docs} documents, {options.latency_ms:.0f} ms emulated latency per request")
    for parallelism in options.parallelism:
        with tempfile.TemporaryDirectory() as tmp, running_emulator(
                latency_ms=options.latency_ms, index_base_ms=200, index_ms_per_kb=1, poll_after_ms=100) as emulator:
            root = Path(tmp)
            write_stack(root / "stack", options.docs)
            env = {**os.environ, "PROVISIONER_EMULATOR_URL": emulator.base_url, "CI": "true"}
            apply = ["apply", "stack", "--auto-approve", "--parallelism", str(parallelism)]
            print(f"-- parallelism {parallelism}")
            run("apply from nothing", apply, root, env, emulator)
            run("plan with no changes", ["plan", "stack", "--detailed-exitcode"], root, env, emulator)
            doc = root / "stack" / "docs" / "doc-0007.md"
            doc.write_text(doc.read_text() + "edited\n")
            run("apply after one document changed", apply, root, env, emulator)


if __name__ == "__main__":
    main()
