"""Benchmark: validate generated stacks of many assistants, and of a file set of many files; prints figures.

Runs `provisioner validate` in a subprocess on each stack and prints wall time, CPU time and
peak memory, so that a quadratic step in the loader shows as a figure that grows fourfold when
the stack doubles. `--profile` prints the top of a cProfile of the loader instead.
Usage: python bench/validate_bench.py [--assistants 5000 20000] [--files 2000 10000] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ASSISTANT = """\
  a{i}:
    model: gpt-4o
    name: Assistant {i}
    instructions: You help with topic {i}.
    temperature: 0.2
    tools: [{{type: code_interpreter}}, {{type: file_search}}, {{type: function, function: lookup}}]
    tool_resources: {{file_search: {{vector_stores: [kb]}}}}
    metadata: {{team: t{team}, env: dev}}
"""
HEAD = """\
stack: bench
functions:
  lookup: {parameters: {type: object, properties: {q: {type: string}}}}
vector_stores:
  kb: {file_sets: [docs]}
file_sets:
  docs: {include: ["docs/**/*.md"]}
"""


def write_stack(root: Path, assistants: int, files: int) -> Path:
    for i in range(max(files, 1)):
        doc = root / "docs" / f"part-{i // 500:03d}" / f"doc-{i:05d}.md"
        doc.parent.mkdir(parents=True, exist_ok=True)
        doc.write_text(f"# Document {i}\n")
    body = "".join(ASSISTANT.format(i=i, team=i % 7) for i in range(assistants))
    (root / "stack.yaml").write_text(HEAD + ("assistants:\n" + body if assistants else ""))
    return root / "stack.yaml"


def measure(label: str, stack: Path) -> None:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "provisioner.cli", "validate", str(stack)],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{label} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"{label:<28} {elapsed:6.2f} s wall  {cpu:6.2f} s CPU  peak RSS {after.ru_maxrss / 1024:6.1f} MiB"
          f"  ({stack.stat().st_size / 1e6:.1f} MB stack)")


def profile(stack: Path) -> None:
    from provisioner.config.loader import load_stack
    profiler = cProfile.Profile()
    profiler.runcall(load_stack, stack)
    pstats.Stats(profiler).sort_stats("cumtime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assistants", type=int, nargs="*", default=[5000, 20000])
    parser.add_argument("--files", type=int, nargs="*", default=[2000, 10000])
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    cases = [(f"{n} assistants", n, 1) for n in options.assistants]
    cases += [(f"file set of {n} files", 0, n) for n in options.files]
    for label, assistants, files in cases:
        with tempfile.TemporaryDirectory() as tmp:
            stack = write_stack(Path(tmp), assistants, files)
            if options.profile:
                print(f"-- {label}")
                profile(stack)
            else:
                measure(label, stack)


if __name__ == "__main__":
    main()
