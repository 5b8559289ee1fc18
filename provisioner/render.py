"""Plans, apply events, results, state and outputs as text, JSON or Markdown. No logic.

It walks the same Plan the applier executes, so what is printed and what is done cannot disagree.
It must not decide anything or call the API.
"""
from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

import click

from provisioner.applier import ApplyResult, Event
from provisioner.diff import field_path
from provisioner.errors import display_path
from provisioner.outputs import is_empty
from provisioner.plan import Action, Change, FieldChange, Plan, referenced_address
from provisioner.state.model import State

KNOWN_AFTER_APPLY = "(known after apply)"
MAX_VALUE_CHARS = 120
LEAF_DEPTH = 4  # deeper values (e.g. a function's JSON Schema) print as one JSON value
COLORS = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.REPLACE: "magenta",
          Action.DELETE: "red", Action.ADOPT: "cyan", Action.NOOP: None}
VERBS = {Action.CREATE: "will be created", Action.UPDATE: "will be updated in place",
         Action.REPLACE: "must be replaced", Action.DELETE: "will be destroyed",
         Action.ADOPT: "will be adopted into state", Action.NOOP: "is up to date"}


def _value(value: Any) -> str:
    if referenced_address(value):
        return KNOWN_AFTER_APPLY
    if isinstance(value, (dict, list)):
        value = _placeholders(value)
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 15] + f"... ({len(text)} chars)"


def _placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    return KNOWN_AFTER_APPLY if referenced_address(value) else value


def _leaves(value: Any, path: tuple = (), depth: int = 0) -> list[tuple[str, Any]]:
    """Nested attributes as (path, value) rows, so a new resource reads field by field."""
    if isinstance(value, dict) and value and depth < LEAF_DEPTH:
        return [row for key, item in value.items() for row in _leaves(item, (*path, key), depth + 1)]
    if isinstance(value, list) and value and depth < LEAF_DEPTH:
        return [row for i, item in enumerate(value) for row in _leaves(item, (*path, i), depth + 1)]
    if value in (None, {}, []):
        return []
    if path and path[-1] == "path" and isinstance(value, str):
        value = display_path(value)
    return [(field_path(path), value)]


def _paint(text: str, color: str | None, enabled: bool, bold: bool = False) -> str:
    return click.style(text, fg=color, bold=bold) if enabled and (color or bold) else text


def _field_line(row: FieldChange, color: bool) -> str:
    note = _paint("  # forces replacement", "magenta", color) if row.forces_replacement else ""
    if row.before is None:
        return f"      {_paint('+', 'green', color)} {row.path} = {_value(row.after)}{note}"
    if row.after is None:
        return f"      {_paint('-', 'red', color)} {row.path} = {_value(row.before)}{note}"
    return f"      {_paint('~', 'yellow', color)} {row.path}: {_value(row.before)} -> {_value(row.after)}{note}"


def _change_lines(change: Change, color: bool) -> list[str]:
    tint = COLORS[change.action]
    ident = f" ({change.id})" if change.id else ""
    lines = [_paint(f"  # {change.address} {VERBS[change.action]}", None, color, bold=True)]
    if change.reason:
        lines.append(f"  # ({change.reason})")
    lines.append(f"{_paint(change.action.symbol.rjust(3), tint, color)} {change.address}{ident}")
    if change.action is Action.CREATE and change.after:
        for path, value in _leaves(change.after):
            lines.append(f"      {_paint('+', 'green', color)} {path} = {_value(value)}")
    elif change.action is not Action.DELETE:
        lines.extend(_field_line(row, color) for row in change.diff)
    return lines


def plan_text(plan: Plan, color: bool = False) -> str:
    if not plan.has_changes:
        return (f"No changes. Stack {plan.stack} matches the live resources "
                f"({len(plan.changes)} resource{'s' if len(plan.changes) != 1 else ''} checked).\n")
    out = [f"Stack {plan.stack}: provisioner will perform the following actions:", ""]
    for change in plan.actionable:
        out.extend(_change_lines(change, color))
        out.append("")
    drift = plan.drifted
    if drift:
        out.append(_paint(f"Drift: {len(drift)} resource{'s' if len(drift) != 1 else ''} changed outside "
                          f"provisioner: {', '.join(c.address for c in drift)}", "yellow", color))
    out.append(summary_line(plan))
    return "\n".join(out).rstrip() + "\n"


def summary_line(plan: Plan) -> str:
    counts = plan.counts()
    parts = [f"{counts['create'] + counts['replace']} to add", f"{counts['update']} to change",
             f"{counts['delete'] + counts['replace']} to destroy"]
    if counts["adopt"]:
        parts.append(f"{counts['adopt']} to adopt")
    return "Plan: " + ", ".join(parts) + "."


def plan_json(plan: Plan) -> str:
    document = plan.model_dump(mode="json")
    document["summary"] = plan.counts()
    document["has_changes"] = plan.has_changes
    return json.dumps(document, indent=2)


def plan_markdown(plan: Plan) -> str:
    """For a pull-request comment: a summary table and the text plan in a diff block."""
    rows = "\n".join(f"| `{c.address}` | {c.action.value} | {c.reason or ''} |" for c in plan.actionable)
    body = f"### provisioner plan: `{plan.stack}`\n\n{summary_line(plan)}\n"
    if rows:
        body += f"\n| resource | action | reason |\n|---|---|---|\n{rows}\n"
    return body + "\n<details><summary>Full plan</summary>\n\n```diff\n" + plan_text(plan) + "```\n</details>\n"


def result_text(result: ApplyResult, color: bool = False) -> str:
    s = result.summary()
    lines = []
    for node, outcome in result.failed.items():
        lines.append(_paint(f"Error: {node}: {outcome}", "red", color))
    head = "Apply failed" if s["failed"] or s["skipped"] else "Apply complete"
    lines.append(_paint(f"{head}! Resources: {s['added']} added, {s['changed']} changed, {s['destroyed']} destroyed"
                        f"{', %d failed' % s['failed'] if s['failed'] else ''}"
                        f"{', %d skipped' % s['skipped'] if s['skipped'] else ''}.",
                        "red" if s["failed"] else "green", color, bold=True))
    return "\n".join(lines) + "\n"


def result_json(result: ApplyResult) -> str:
    return json.dumps({
        "summary": result.summary(),
        "resources": {node: {"action": result.actions[node], "status": o.status.value,
                             **({"error": str(o.error)} if o.error else {}),
                             **({"skipped_because": str(o.failed_ancestor)} if o.failed_ancestor else {})}
                      for node, o in result.outcomes.items()},
    }, indent=2)


def state_text(state: State) -> str:
    if not state.resources:
        return f"Stack {state.stack}: the state is empty.\n"
    out = [f"Stack {state.stack} (serial {state.serial}, lineage {state.lineage}):", ""]
    for address, resource in sorted(state.resources.items()):
        out.append(f"{address}  {resource.id or '-'}")
        for key, value in resource.attributes.items():
            if value not in (None, {}, []) and key != "path":
                out.append(f"    {key} = {_value(value)}")
    return "\n".join(out) + "\n"


def outputs_text(outputs: dict[str, Any]) -> str:
    """One `address = id` line per resource, then each Responses definition in full (applications
    copy it whole, so it is not shortened like plan values)."""
    if is_empty(outputs):
        return f"Stack {outputs['stack']} has no outputs: nothing of it is applied.\n"
    out = [f"{address} = {live_id}" for address, live_id in outputs["resources"].items()]
    for name, entry in outputs["assistants"].items():
        if "definition" in entry:
            out += ["", f"assistants.{name} ({entry['target']} definition) =", output_value_text(entry["definition"])]
    return "\n".join(out) + "\n"


def output_value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


class EventPrinter:
    """Progress for long waits: rewritten in place on a terminal, plain throttled lines in CI."""

    THROTTLE_SECONDS = 10.0

    def __init__(self, stream: TextIO = sys.stderr, interactive: bool = False, color: bool = False):
        self.stream = stream
        self.interactive = interactive
        self.color = color
        self._last_progress: dict[str, float] = {}
        self._open_line = False

    def __call__(self, event: Event) -> None:
        label = f"{event.address}"
        if event.kind == "progress":
            if self.interactive:
                self._write(f"\r\x1b[2K{label}: {event.message}", newline=False)
                return
            now = time.monotonic()
            finished = event.message.startswith("indexed")
            if finished or now - self._last_progress.get(label, -1e9) >= self.THROTTLE_SECONDS:
                self._last_progress[label] = now
                self._write(f"{label}: {event.message}")
            return
        text = {
            "start": f"{label}: {event.action}...",
            "done": _paint(f"{label}: {event.action} complete", "green", self.color),
            "failed": _paint(f"{label}: {event.action} failed: {event.message}", "red", self.color),
            "skipped": _paint(f"{label}: skipped ({event.message})", "yellow", self.color),
        }[event.kind]
        self._write(text)

    def _write(self, text: str, newline: bool = True) -> None:
        if self._open_line and newline:
            self.stream.write("\r\x1b[2K")
        self.stream.write(text + ("\n" if newline else ""))
        self._open_line = not newline
        self.stream.flush()


def run_header(endpoint: str, state: str) -> str:
    """What a plan or apply works against, printed first so a wrong endpoint or state is seen early."""
    return f"Endpoint: {endpoint}\nState:    {state}\n"


def state_edits_text(plan: Plan) -> str:
    """The stack's moved: and removed: blocks as the plan takes them: state edits, no API call."""
    lines = [f"  # {m['from']} has moved to {m['to']} (the live object is kept)" for m in plan.moved]
    lines += [f"  # {address} will be forgotten: it stays live, no longer managed (removed: destroy: false)"
              for address in plan.forgotten]
    return "\n".join(lines) + "\n\n" if lines else ""
