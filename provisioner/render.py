"""Plans, apply events, results, state and outputs as text, JSON or Markdown. No logic.

It walks the same steps the applier executes (Plan.walk), in their order, with what each delete
waits for, so what is printed and what is done cannot disagree. It must not decide anything or call
the API.
"""
from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

import click

from provisioner.applier import ApplyResult, Event
from provisioner.observe import is_deposed
from provisioner.outputs import is_empty
from provisioner.plan import Action, Change, Plan, referenced_address
from provisioner.render_markdown import OPEN_CHARS, Section, fence_for, fit
from provisioner.render_diff import KNOWN_AFTER_APPLY, Group, Row, diff_rows, grouped, value_rows
from provisioner.state.model import State
from provisioner.workspaces import DEFAULT_WORKSPACE

WHOLE_PLAN_HINT = ("This comment was shortened to fit GitHub's 65,536-character limit. The whole plan: "
                   "`provisioner show plan.json` on the saved plan (the `plan` artifact of this run), "
                   "or `provisioner plan --verbose PATH`.")
MAX_VALUE_CHARS = 120  # for state listings only: plans never cut a value
COLORS = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.REPLACE: "magenta",
          Action.DELETE: "red", Action.ADOPT: "cyan", Action.NOOP: None}
SIGN_COLORS = {"+": "green", "-": "red", "~": "yellow", "@": "cyan", " ": None}
VERBS = {Action.CREATE: "will be created", Action.UPDATE: "will be updated in place",
         Action.REPLACE: "must be replaced", Action.DELETE: "will be destroyed",
         Action.ADOPT: "will be adopted into state", Action.NOOP: "is up to date"}


def _value(value: Any) -> str:
    text = json.dumps(_placeholders(value), ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 15] + f"... ({len(text)} chars)"


def _placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    return KNOWN_AFTER_APPLY if referenced_address(value) else value


def _paint(text: str, color: str | None, enabled: bool, bold: bool = False) -> str:
    return click.style(text, fg=color, bold=bold) if enabled and (color or bold) else text


def rows_text(rows: list[Row], color: bool, indent: str = "      ") -> list[str]:
    """Rows of render_diff as lines: the sign painted, a hunk header in place of a sign."""
    return [f"{indent}{_paint(' ' if sign == '@' else sign, SIGN_COLORS[sign], color)} "
            f"{_paint(text, 'cyan', color) if sign == '@' else text}".rstrip() for sign, text in rows]


def _change_lines(change: Change, color: bool, waits: list[str]) -> list[str]:
    tint = COLORS[change.action]
    ident = f" ({change.id})" if change.id and not is_deposed(change.address) else ""
    lines = [_paint(f"  # {change.address} {VERBS[change.action]}", None, color, bold=True)]
    if change.reason:
        lines.append(f"  # ({change.reason})")
    lines += _waits_line(change.action, waits)
    lines.append(f"{_paint(change.action.symbol.rjust(3), tint, color)} {change.address}{ident}")
    if change.action is Action.CREATE and change.after:
        lines.extend(rows_text(value_rows("+", "", change.after), color))
    elif change.action is not Action.DELETE:
        lines.extend(rows_text(diff_rows(change.diff), color))
    return lines


def _waits_line(action: Action, waits: list[str]) -> list[str]:
    return [f"  # (after {', '.join(waits)})"] if action is Action.DELETE and waits else []


def _group_lines(group: Group, color: bool, verbose: bool, waits: dict[str, list[str]]) -> list[str]:
    tint = COLORS[group.action]
    lines = [_paint(f"  # {group.headline()} {VERBS[group.action]}", None, color, bold=True)]
    reasons = sorted({m.reason for m in group.members if m.reason})
    lines += [f"  # ({reason})" for reason in reasons]
    # what the members wait for; the files of their own set (each one's new upload) as one count
    waited = dict.fromkeys(w for m in group.members for w in waits[m.address])
    own = [w for w in waited if w.startswith(f"{group.file_set}[")]
    lines += _waits_line(group.action, [f"{len(own)} files of {group.file_set}"] * bool(own)
                         + [w for w in waited if w not in own])
    lines.append(f"{_paint(group.action.symbol.rjust(3), tint, color)} {group.file_set}: {len(group.members)} files"
                 + ("" if verbose else " (--verbose lists them)"))
    if verbose:
        for member, name in zip(group.members, group.names):
            size = (member.after or member.before or {}).get("bytes")
            lines.append(f"      {_paint(group.action.symbol, tint, color)} {json.dumps(name, ensure_ascii=False)}"
                         + (f" ({size:,} bytes)" if size is not None else ""))
    return lines


def plan_text(plan: Plan, color: bool = False, verbose: bool = False) -> str:
    """The plan for a terminal. Many files of one file set acting alike are one group; `verbose` lists them."""
    notes = warnings_text(plan, color)
    if not plan.has_changes:
        return (f"No changes. Stack {plan.stack} matches the live resources "
                f"({len(plan.changes)} resource{'s' if len(plan.changes) != 1 else ''} checked).\n") + notes
    out = [f"Stack {plan.stack}: provisioner will perform the following actions, in this order:", ""]
    waits = {step.node: step.wait_for for step in plan.steps}
    for item in grouped([change for _, change in plan.walk()]):
        out.extend(_group_lines(item, color, verbose, waits) if isinstance(item, Group)
                   else _change_lines(item, color, waits[item.address]))
        out.append("")
    drift = plan.drifted
    if drift:
        out.append(_paint(f"Drift: {len(drift)} resource{'s' if len(drift) != 1 else ''} changed outside "
                          f"provisioner: {', '.join(c.address for c in drift)}", "yellow", color))
    out.append(summary_line(plan))
    return "\n".join(out).rstrip() + "\n" + notes


def warnings_text(plan: Plan, color: bool = False) -> str:
    """What the plan leaves alone but a user must know of: orphans, and uploads it cannot prove its own."""
    out = []
    if plan.orphans:
        out += ["", _paint(f"Warning: {len(plan.orphans)} orphan{'s' if len(plan.orphans) != 1 else ''}: live objects"
                           " tagged by this stack and workspace that it neither tracks nor adopts."
                           " They are left alone; `--delete-orphans` on plan or apply deletes them:", "yellow", color)]
        out += [f"  {o.address}: {o.id}" + (f" ({json.dumps(o.name, ensure_ascii=False)})" if o.name else "")
                for o in plan.orphans]
    if plan.look_alikes:
        count = len({item.id for item in plan.look_alikes})
        out += ["", _paint(f"Warning: {count} file{'s' if count != 1 else ''} at the endpoint "
                           f"{'have' if count != 1 else 'has'} the name, purpose and size of a file this plan uploads,"
                           " but cannot be proven to be this stack's (uploaded by an older provisioner before its"
                           " state was lost, or attached by hand) and sit in this stack's stores. They are left"
                           " alone and the plan"
                           " uploads its own. To keep one instead, `provisioner import PATH ADDRESS ID` before"
                           " applying; else delete the strays by hand:", "yellow", color)]
        out += [f"  {item.address}: {item.id} ({json.dumps(item.filename, ensure_ascii=False)})"
                for item in plan.look_alikes]
    return "\n".join(out) + "\n" if out else ""


def summary_line(plan: Plan) -> str:
    counts = plan.counts()
    parts = [f"{counts['create'] + counts['replace']} to add", f"{counts['update']} to change",
             f"{counts['delete'] + counts['replace']} to destroy"]
    if counts["adopt"]:
        parts.append(f"{counts['adopt']} to adopt")
    return "Plan: " + ", ".join(parts) + "."


def plan_json(plan: Plan) -> str:
    """The saved plan's document followed by `summary` and `has_changes`.

    Written by pydantic's encoder, as Plan.to_json: json.dumps with an indent falls back to its
    pure-Python encoder (a 10k-file plan took seconds); the two keys close the same object."""
    document = plan.to_json()
    assert document.endswith("\n}")  # an object with fields: indent=2 closes it on a line of its own
    extra = json.dumps({"summary": plan.counts(), "has_changes": plan.has_changes}, indent=2)
    return f"{document[:-2]},\n{extra[2:]}"


def plan_markdown(plan: Plan) -> str:
    """For a pull-request comment: a table, the text plan and each file group's names, cut to fit one comment."""
    where = f" (workspace `{plan.workspace}`)" if plan.workspace != DEFAULT_WORKSPACE else ""
    sections = [Section(f"### provisioner plan: `{plan.stack}`{where}\n\n{summary_line(plan)}\n")]
    items = grouped([change for _, change in plan.walk()])
    if plan.has_changes:
        rows = [f"| `{_cell(item.file_set)}` ({len(item.members)} {'old ' * item.deposed}files) | {item.action.value} | |"
                if isinstance(item, Group) else f"| `{_cell(item.address)}` | {item.action.value} | {_cell(item.reason or '')} |"
                for item in items]
        sections.append(Section("\n| resource | action | reason |\n|---|---|---|\n", rows, priority=2))
    text = plan_text(plan)
    fence = fence_for(text)
    sections.append(Section(f"\n<details{' open' if len(text) < OPEN_CHARS else ''}><summary>Full plan</summary>"
                            f"\n\n{fence}diff\n", text.splitlines(), f"{fence}\n</details>\n", priority=3))
    for group in (item for item in items if isinstance(item, Group)):
        sections.append(Section(f"\n<details><summary>{group.headline()}: {group.action.value}</summary>\n\n",
                                [f"- `{_cell(name)}`" for name in group.names], "\n</details>\n", priority=4))
    return fit(sections, WHOLE_PLAN_HINT)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def result_errors(result: ApplyResult, color: bool = False) -> str:
    """The one line that gives each failure's reason (its progress line only said that it failed).
    Skipped resources were named as they were skipped; the summary counts them."""
    return "".join(_paint(f"Error: {node}: {result.actions[node]} failed: {outcome.error}", "red", color) + "\n"
                   for node, outcome in result.failed.items() if outcome.status.value == "failed")


def result_text(result: ApplyResult, color: bool = False) -> str:
    s = result.summary()
    head = "Apply failed" if s["failed"] or s["skipped"] else "Apply complete"
    return _paint(f"{head}! Resources: {s['added']} added, {s['changed']} changed, {s['destroyed']} destroyed"
                  f"{', %d failed' % s['failed'] if s['failed'] else ''}"
                  f"{', %d skipped' % s['skipped'] if s['skipped'] else ''}.",
                  "red" if s["failed"] else "green", color, bold=True) + "\n"


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
            "failed": _paint(f"{label}: {event.action} failed (the error follows at the end)", "red", self.color),
            "skipped": _paint(f"{label}: skipped ({event.message})", "yellow", self.color),
        }[event.kind]
        self._write(text)

    def _write(self, text: str, newline: bool = True) -> None:
        if self._open_line and newline:
            self.stream.write("\r\x1b[2K")
        self.stream.write(text + ("\n" if newline else ""))
        self._open_line = not newline
        self.stream.flush()


HEADER_LABELS = ("Endpoint", "State", "Workspace")  # the run's header, in this order, values in one column


def header_line(label: str, value: str) -> str:
    width = max(len(name) for name in HEADER_LABELS) + 1
    return f"{label + ':':<{width}} {value}\n"


def state_header(state: str, workspace: str) -> str:
    """Which state and workspace a run works on, printed first (after the endpoint) so a wrong one is seen early."""
    return header_line("State", state) + header_line("Workspace", workspace)


def state_edits_text(plan: Plan) -> str:
    """The stack's moved: and removed: blocks as the plan takes them: state edits, no API call."""
    lines = [f"  # {m['from']} has moved to {m['to']} (the live object is kept)" for m in plan.moved]
    lines += [f"  # {address} will be forgotten: it stays live, no longer managed (removed: destroy: false)"
              for address in plan.forgotten]
    return "\n".join(lines) + "\n\n" if lines else ""
