"""Scale benchmark: provisioner beside the SDK-helper script (bench/baseline.py) on the same emulator.

Generates the scenarios of issue 9, runs the provisioner CLI and the baseline as subprocesses
against one emulator per scenario (20 ms latency per request, ~200 ms indexing per file), and
prints per step: wall time, CPU (user+system of that process), peak memory, API calls (the
emulator's counter), the ratio to the baseline's wall time, and the ratio to the critical-path
bound (dependency depth x latency + the longest indexing wait). Writes every figure as JSON.
Usage: python bench/scale_bench.py [--scenario all|apply-500|apply-200|apply-2000|edit|destroy|plan-10000]
       [--scale 0.1] [--parallelism 8] [--out FILE]
plan-10000 plans the stack before its apply (first plan), with nothing changed (no-change plan), and
once more after its state file is deleted (lost state: every object adopted by its tags or marker),
each beside the no-change plan of the same stack in the same run.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from provisioner.emulator.testing import running_emulator

HERE = Path(__file__).resolve().parent
LATENCY_MS = 20.0
INDEX_BASE_MS = 200.0
INDEX_MS_PER_KB = 1.0
DOC = "lorem ipsum dolor sit amet, consectetur adipiscing elit\n" * 16  # ~1 KiB
# calls that must follow one another on the longest chain of an apply: upload -> create store ->
# create batch -> (indexing) -> read the batch -> create the assistant
APPLY_DEPTH = 5
EDIT_DEPTH = 5  # upload -> attach -> (indexing) -> read the batch -> detach -> delete the old file
DESTROY_DEPTH = 3  # assistant -> store -> file


def write_stack(root: Path, docs: int, stores: int, assistants: int) -> None:
    for k in range(stores):
        (root / "docs" / f"s{k}").mkdir(parents=True)
    for i in range(docs):
        (root / "docs" / f"s{i % stores}" / f"doc-{i:05d}.md").write_text(f"# Document {i}\n{DOC}")
    lines = ["stack: bench", "provider: {kind: emulator}", "file_sets:"]
    lines += [f'  s{k}: {{include: ["docs/s{k}/*.md"]}}' for k in range(stores)]
    lines += ["vector_stores:"] + [f"  kb{k}: {{file_sets: [s{k}]}}" for k in range(stores)]
    if assistants:
        lines += ["assistants:"]
        lines += [f"  a{j}: {{model: gpt-4o, tools: [{{type: file_search}}],"
                  f" tool_resources: {{file_search: {{vector_stores: [kb{j % stores}]}}}}}}" for j in range(assistants)]
    (root / "stack.yaml").write_text("\n".join(lines) + "\n")


class Bench:
    def __init__(self, options: argparse.Namespace):
        self.options = options
        self.rows: list[dict] = []

    def measure(self, emulator, command: list[str], cwd: Path, env: dict[str, str]) -> dict:
        """Run one process to its end; its own rusage (os.wait4), and the API calls it made."""
        emulator.reset_stats()
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 2):
            sys.exit(f"{' '.join(command[:4])} failed ({process.returncode}):\n{output.decode()[-3000:]}")
        stats = emulator.stats()
        summary = next((line for line in reversed(output.decode().splitlines()) if line.startswith("Plan: ")), "")
        return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                "peak_mib": round(usage.ru_maxrss / 1024, 1), "calls": stats["total"],
                "routes": stats["requests"], "exit": process.returncode, "summary": summary}

    def provisioner(self, emulator, root: Path, *args: str) -> dict:
        env = {**os.environ, "PROVISIONER_EMULATOR_URL": emulator.base_url, "CI": "true"}
        return self.measure(emulator, [sys.executable, "-m", "provisioner.cli", *args], root, env)

    def baseline(self, emulator, root: Path, action: str, stores: int = 1, assistants: int = 0) -> dict:
        command = [sys.executable, str(HERE / "baseline.py"), action, "--base-url", emulator.base_url,
                   "--ids", str(root / "baseline-ids.json"), "--root", str(root),
                   "--stores", str(stores), "--assistants", str(assistants),
                   "--concurrency", str(self.options.parallelism)]
        return self.measure(emulator, command, root, dict(os.environ))

    def row(self, scenario: str, step: str, mine: dict, base: dict | None = None, depth: int | None = None,
            indexing: bool = False, note: str = "") -> None:
        bound = None
        if depth is not None:
            bound = depth * LATENCY_MS / 1000 + (INDEX_BASE_MS + INDEX_MS_PER_KB * 1.1) / 1000 * indexing
        self.rows.append({
            "scenario": scenario, "step": step, "provisioner": mine, "baseline": base,
            "ratio_to_baseline": round(mine["wall_s"] / base["wall_s"], 2) if base else None,
            "critical_path_s": round(bound, 3) if bound else None,
            "ratio_to_bound": round(mine["wall_s"] / bound, 1) if bound else None, "note": note})
        self.print_row(self.rows[-1])

    @staticmethod
    def print_row(row: dict) -> None:
        mine, base = row["provisioner"], row["baseline"]
        cells = [f"{row['scenario']:<18}", f"{row['step']:<22}", f"{mine['wall_s']:8.2f}", f"{mine['cpu_s']:7.2f}",
                 f"{mine['peak_mib']:7.1f}", f"{mine['calls']:6d}",
                 f"{base['wall_s']:8.2f}" if base else f"{'-':>8}", f"{base['calls']:6d}" if base else f"{'-':>6}",
                 f"{row['ratio_to_baseline']:6.2f}" if base else f"{'-':>6}",
                 f"{row['ratio_to_bound']:6.1f}" if row["ratio_to_bound"] else f"{'-':>6}", row["note"]]
        print(" ".join(cells), flush=True)

    def docs(self, n: int) -> int:
        return max(10, math.ceil(n * self.options.scale))

    # ---- scenarios ----

    def apply_scenario(self, name: str, docs: int, stores: int, assistants: int) -> None:
        docs = self.docs(docs)
        with tempfile.TemporaryDirectory() as tmp, self.emulator() as emulator:
            root = Path(tmp)
            write_stack(root / "stack", docs, stores, assistants)
            mine = self.provisioner(emulator, root, "apply", "stack", "--auto-approve",
                                    "--parallelism", str(self.options.parallelism))
            base = self.baseline(emulator, root / "stack", "apply", stores, assistants)
            self.row(name, f"apply {docs} docs", mine, base, APPLY_DEPTH if assistants else APPLY_DEPTH - 1, True)

    def knowledge_base(self, edit: bool, destroy: bool) -> None:
        docs = self.docs(2000)
        name = f"kb-{docs}"
        with tempfile.TemporaryDirectory() as tmp, self.emulator() as emulator:
            root = Path(tmp)
            write_stack(root / "stack", docs, 1, 0)
            apply = ["apply", "stack", "--auto-approve", "--parallelism", str(self.options.parallelism)]
            self.row(name, "apply (setup)", self.provisioner(emulator, root, *apply), depth=APPLY_DEPTH - 1,
                     indexing=True)
            if edit:
                doc = root / "stack" / "docs" / "s0" / "doc-00007.md"
                doc.write_text(doc.read_text() + "edited\n")
                mine = self.provisioner(emulator, root, *apply)
                self.row(name, "edit 1 doc: apply", mine, depth=EDIT_DEPTH, indexing=True,
                         note=self.edit_calls(mine["routes"]))
            if destroy:
                mine = self.provisioner(emulator, root, "destroy", "stack", "--auto-approve",
                                        "--parallelism", str(self.options.parallelism))
                self.baseline(emulator, root / "stack", "apply")  # the baseline's own objects to delete
                base = self.baseline(emulator, root / "stack", "destroy")
                self.row(name, f"destroy {docs} files", mine, base, DESTROY_DEPTH - 1)

    @staticmethod
    def edit_calls(routes: dict[str, int]) -> str:
        def count(test) -> int:
            return sum(n for route, n in routes.items() if test(route))
        found = {"upload": count(lambda r: r == "POST /v1/files"),
                 "attach": count(lambda r: r.startswith("POST /v1/vector_stores/") and r.endswith("/file_batches")),
                 "detach": count(lambda r: r.startswith("DELETE /v1/vector_stores/") and "/files/" in r),
                 "delete": count(lambda r: r.startswith("DELETE /v1/files/"))}
        return " ".join(f"{k}={v}" for k, v in found.items())

    def plan_scenario(self) -> None:
        docs = self.docs(10000)
        name = f"plan-{docs}"
        with tempfile.TemporaryDirectory() as tmp, self.emulator() as emulator:
            root = Path(tmp)
            write_stack(root / "stack", docs, 1, 0)
            first = self.provisioner(emulator, root, "plan", "stack", "--detailed-exitcode")
            self.row(name, "first plan", first, depth=first["calls"], note=first["summary"])
            self.row(name, "apply (setup)", self.provisioner(emulator, root, "apply", "stack", "--auto-approve",
                                                              "--parallelism", str(self.options.parallelism)),
                     depth=APPLY_DEPTH - 1, indexing=True)
            mine = self.provisioner(emulator, root, "plan", "stack", "--detailed-exitcode")
            # a plan's list calls follow one another (pagination): its bound is their latency
            self.row(name, "no-change plan", mine, depth=mine["calls"],
                     note="no changes" if mine["exit"] == 0 else "CHANGES FOUND")
            self.row(name, "validate", self.provisioner(emulator, root, "validate", "stack"))
            # the state lost: every object is found again by its tags or file marker (all adopted, no API write)
            shutil.rmtree(root / "stack" / "state")
            lost = self.provisioner(emulator, root, "plan", "stack", "--detailed-exitcode")
            self.row(name, "lost state: plan", lost, depth=lost["calls"],
                     note=f"{lost['summary']} cpu x{lost['cpu_s'] / max(mine['cpu_s'], 0.01):.2f} of the no-change plan")

    def emulator(self):
        return running_emulator(latency_ms=LATENCY_MS, index_base_ms=INDEX_BASE_MS, index_ms_per_kb=INDEX_MS_PER_KB,
                                poll_after_ms=100)


SCENARIOS = ["apply-500", "apply-200", "apply-2000", "edit", "destroy", "plan-10000"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", nargs="+", choices=["all", *SCENARIOS], default=["all"])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every document count (0.1: a quick run)")
    parser.add_argument("--parallelism", type=int, default=8, help="provisioner's --parallelism and the baseline's pool")
    parser.add_argument("--out", type=Path, help="JSON results (default: bench/results/<timestamp>.json)")
    options = parser.parse_args()
    wanted = SCENARIOS if "all" in options.scenario else options.scenario
    bench = Bench(options)
    print(f"latency {LATENCY_MS:.0f} ms/request, indexing {INDEX_BASE_MS:.0f} ms/file, parallelism and baseline"
          f" concurrency {options.parallelism}, scale {options.scale}")
    print(" ".join([f"{'scenario':<18}", f"{'step':<22}", f"{'wall s':>8}", f"{'cpu s':>7}", f"{'MiB':>7}",
                    f"{'calls':>6}", f"{'base s':>8}", f"{'calls':>6}", f"{'x base':>6}", f"{'x bound':>6}", "note"]))
    if "apply-500" in wanted:
        bench.apply_scenario("apply-500", 500, 1, 0)
    if "apply-200" in wanted:
        bench.apply_scenario("apply-200-2asst", 200, 1, 2)
    if "apply-2000" in wanted:
        bench.apply_scenario("apply-2000-4x8", 2000, 4, 8)
    if "edit" in wanted or "destroy" in wanted:
        bench.knowledge_base("edit" in wanted, "destroy" in wanted)
    if "plan-10000" in wanted:
        bench.plan_scenario()
    out = options.out or HERE / "results" / f"{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"options": {k: str(v) for k, v in vars(options).items()}, "latency_ms": LATENCY_MS,
                               "index_base_ms": INDEX_BASE_MS, "rows": bench.rows}, indent=2) + "\n")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
