"""Drift reports as text (for a terminal or a cron log), JSON (versioned) and Markdown (an issue body).

It lays out what drift.detect found; it must not decide anything or call the API.
"""
from __future__ import annotations

import json

from provisioner.drift import DriftReport, Drifted, Pending
from provisioner.render import _paint, rows_text
from provisioner.render_diff import diff_rows
from provisioner.render_markdown import Section, fence_for, fit

SIGNS = {"changed": ("~", "yellow"), "deleted": ("-", "red"), "orphan": ("!", "magenta"), "unmanaged": ("?", "cyan")}
WHAT = {"changed": "changed outside provisioner (recorded -> live)",
        "deleted": "deleted outside provisioner",
        "orphan": "tagged with this stack but not in its state",
        "unmanaged": "made outside any stack (no provisioner:stack tag)"}
PENDING_SIGNS = {"create": "+", "adopt": "<=", "update": "~", "replace": "-/+", "delete": "-"}
HINT = ("To put the live resources back as the stack declares them: `provisioner apply PATH`. To accept the "
        "changes into the state instead: `provisioner refresh PATH`. Orphans and unmanaged objects: "
        "`provisioner import PATH ADDRESS ID`, or delete them.")


def _head(item: Drifted) -> str:
    ident = f" ({item.id})" if item.id and item.id not in item.address else ""
    name = f" {json.dumps(item.name, ensure_ascii=False)}" if item.name and item.status != "changed" else ""
    return f"{item.address}{ident}{name}: {WHAT[item.status]}"


def _item_lines(item: Drifted, color: bool) -> list[str]:
    sign, tint = SIGNS[item.status]
    lines = [f"{_paint(sign.rjust(3), tint, color)} {_head(item)}"]
    lines += rows_text(diff_rows(item.diff), color)
    return lines


def _pending_line(item: Pending) -> str:
    fields = sorted({d.path.split(".")[0].split("[")[0] for d in item.diff})
    return f"{PENDING_SIGNS[item.action].rjust(3)} {item.address}: {item.action}" + (
        f" ({', '.join(fields)})" if fields else "")


def summary_line(report: DriftReport) -> str:
    if not report.has_drift:
        return f"No drift: the {report.checked} tracked resources match what the last apply recorded."
    counts = report.counts()
    return "Drift: " + ", ".join(f"{n} {status}" for status, n in counts.items() if n) + "."


def drift_text(report: DriftReport, color: bool = False) -> str:
    out = [_paint(f"Stack {report.stack}: {report.checked} tracked resources checked against the live world"
                  + (", and the endpoint searched for unmanaged objects" if report.unmanaged_checked else "") + ".",
                  None, color, bold=True), ""]
    for item in report.drift:
        out += _item_lines(item, color) + [""]
    if report.pending:
        out.append("Pending edits of the stack (not drift: the live objects are as last applied; "
                   "`provisioner plan` shows them):")
        out += [_pending_line(p) for p in report.pending] + [""]
    out.append(_paint(summary_line(report), "yellow" if report.has_drift else "green", color))
    if report.has_drift:
        out.append(HINT)
    return "\n".join(out) + "\n"


def refresh_text(report: DriftReport, color: bool = False) -> str:
    """What refresh will record: the live values of changed resources; deleted ones forgotten."""
    out = [_paint(f"Refresh will record in the state of stack {report.stack} (nothing live changes):", None, color,
                  bold=True), ""]
    for item in report.drift:
        if item.status in ("changed", "deleted"):
            out += _item_lines(item, color) + [""]
    others = [d for d in report.drift if d.status not in ("changed", "deleted")]
    if others:
        out.append(f"Not recorded: {len(others)} orphan or unmanaged object(s); "
                   "`provisioner import` takes one in.")
    return "\n".join(out) + "\n"


def drift_json(report: DriftReport) -> str:
    document = report.model_dump(mode="json")
    document["has_drift"] = report.has_drift
    document["summary"] = report.counts()
    return json.dumps(document, indent=2, ensure_ascii=False)


def drift_markdown(report: DriftReport) -> str:
    """For an issue opened (or updated) by a scheduled job: a table, then each field diff."""
    sections = [Section(f"### provisioner drift: `{report.stack}`\n\n{summary_line(report)}\n")]
    if report.drift:
        rows = [f"| `{item.address}` | {item.id or ''} | {WHAT[item.status]} |" for item in report.drift]
        sections.append(Section("\n| resource | id | what |\n|---|---|---|\n", rows, priority=1))
        changed = [line for item in report.drift if item.diff for line in _item_lines(item, False)]
        fence = fence_for("\n".join(changed))
        if changed:
            sections.append(Section(f"\n<details open><summary>Field changes (recorded -> live)</summary>"
                                    f"\n\n{fence}diff\n", changed, f"{fence}\n</details>\n", priority=3))
        sections.append(Section(f"\n{HINT}\n"))
    if report.pending:
        sections.append(Section("\n<details><summary>Pending edits of the stack (not drift)</summary>\n\n",
                                [f"- `{_pending_line(p).strip()}`" for p in report.pending], "\n</details>\n",
                                priority=2))
    sections.append(Section(f"\n<sub>checked {report.created_at}; `provisioner drift --json` has every detail</sub>\n"))
    return fit(sections, "This report was shortened to fit one comment: run `provisioner drift PATH` for all of it.")
