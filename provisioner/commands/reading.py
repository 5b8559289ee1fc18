"""The commands that change no live object: show and output (the state or a saved plan), import
(adopt an object into the state), drift (report what changed live), refresh (accept it into the
state) and force-unlock.

Owns wiring these to the state, the drift detector and the importer, and printing what they
found. It must not write to the API: a command that does belongs in provisioner.commands.changes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from provisioner.commands.options import Settings, lock_option, stack_options
from provisioner.commands.run import (ExitCode, _confirm, _connect, _declared, _is_saved_plan, _load, _locked,
                                      _print_header, _provider, _read_plan, _saved_plan, _states, _write_outputs)
from provisioner.resources import tagged_nouns

if TYPE_CHECKING:
    from provisioner.api.base import Api
    from provisioner.observe import Observed


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@stack_options
@click.option("--json", "as_json", is_flag=True, help="Print the state (or the saved plan) as JSON.")
@click.pass_obj
def show(settings: Settings, path: Path, variables, var_files, state_path, as_json: bool) -> None:
    """Print the state: every resource the stack manages, with its live id.

    Given a plan saved with `plan --out`, print that plan instead (reading nothing else)."""
    from provisioner import render
    if _is_saved_plan(path):
        saved = _read_plan(path)
        click.echo(render.plan_json(saved) if as_json else render.plan_text(saved, settings.color), nl=as_json)
        return
    stack = _load(path, variables, var_files)
    state = _states(stack, state_path).load()
    click.echo(state.model_dump_json(indent=2) if as_json else render.state_text(state).rstrip("\n"))


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("name", required=False)
@stack_options
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def output(path: Path, name: str | None, variables, var_files, state_path, as_json: bool) -> None:
    """Print the outputs of the last apply: resource ids and assistant definitions.

    NAME picks one: a resource address (its id), or an assistant by name or address (its Responses
    definition, or its Assistants API id). Apply also writes them all beside a local state file
    (state/<stack>.outputs.json, or state/<workspace>/<stack>.outputs.json in a workspace).
    """
    from provisioner import render
    from provisioner.outputs import outputs_of, select
    stack = _load(path, variables, var_files)
    outputs = outputs_of(_states(stack, state_path).load())
    value = select(outputs, name) if name else outputs
    if as_json:
        click.echo(json.dumps(value, indent=2, ensure_ascii=False))
    else:
        click.echo((render.output_value_text(value) if name else render.outputs_text(outputs)).rstrip("\n"))


@click.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("address")
@click.argument("live_id", metavar="ID")
@stack_options
@lock_option
def import_command(path: Path, address: str, live_id: str, variables, var_files, state_path) -> None:
    """Bring an existing object (made by hand) under the stack as ADDRESS; nothing live changes.

    The next plan shows how the object differs from the stack, and apply brings it in line.
    """
    from provisioner.importer import import_resource
    stack = _load(path, variables, var_files)
    states = _states(stack, state_path)
    with _locked(states, "import", path, variables, var_files, state_path), _connect(_provider(stack)) as api:
        _print_header(states, stack.workspace)
        import_resource(_declared(stack), states, api, address, live_id, stack.workspace)
    click.echo(f"Imported {live_id} as {address}. Run `provisioner plan` to see how it differs from the stack.")


def _observe_for_drift(api: Api, state, workspace: str) -> Observed:
    # nothing is wanted: a kind the endpoint dropped reads as empty (its objects as deleted)
    from provisioner.observe import observe
    from provisioner.resources import tagged_kinds
    return observe(api, state, set(), also=tagged_kinds(), workspace=workspace)


@click.command("drift")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@stack_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (see format_version).")
@click.option("--markdown", is_flag=True, help="Print the report as Markdown (for an issue or a comment).")
@click.option("--unmanaged", is_flag=True,
              help=f"Also report {tagged_nouns()} on the endpoint that no stack's tags claim.")
@click.pass_obj
def drift_command(settings: Settings, path: Path, variables, var_files, state_path, as_json: bool, markdown: bool,
                  unmanaged: bool) -> None:
    """Report what changed live outside provisioner; read-only. Exit 0 no drift, 2 drift, 1 error."""
    from provisioner import render_drift
    from provisioner.drift import detect
    stack = _load(path, variables, var_files)
    states = _states(stack, state_path)
    state = states.load()  # read without the lock: drift writes nothing, so it never waits for an apply
    with _connect(_provider(stack)) as api:
        _print_header(states, stack.workspace)
        observed = _observe_for_drift(api, state, stack.workspace)
    report = detect(stack.name, _declared(stack), state, observed, unmanaged=unmanaged,
                    state_path=str(states.backend.describe()), lifecycles=stack.lifecycles)
    if as_json:
        click.echo(render_drift.drift_json(report))
    elif markdown:
        click.echo(render_drift.drift_markdown(report), nl=False)
    else:
        click.echo(render_drift.drift_text(report, settings.color), nl=False)
    if report.has_drift:
        raise SystemExit(ExitCode.CHANGES)


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@stack_options
@click.option("--auto-approve", is_flag=True, help="Skip the confirmation prompt.")
@click.pass_obj
def refresh(settings: Settings, path: Path, variables, var_files, state_path, auto_approve: bool) -> None:
    """Accept what drifted into the state (as Terraform's apply -refresh-only); makes no API write."""
    from provisioner import render_drift
    from provisioner.drift import detect, refreshed
    stack = _load(path, variables, var_files)
    states = _states(stack, state_path)
    with _locked(states, "refresh", path, variables, var_files, state_path), _connect(_provider(stack)) as api:
        _print_header(states, stack.workspace)
        state = states.load()
        observed = _observe_for_drift(api, state, stack.workspace)
        report = detect(stack.name, _declared(stack), state, observed, state_path=str(states.backend.describe()),
                        lifecycles=stack.lifecycles)
        accepted = [d for d in report.drift if d.status in ("changed", "deleted")]
        if not accepted:
            click.echo(f"Nothing to refresh: the state of stack {stack.name} matches the live resources.")
            return
        click.echo(render_drift.refresh_text(report, settings.color), nl=False)
        _confirm(settings, auto_approve, f"\nDo you want to record these live values in the state of stack {stack.name}?")
        states.persist(refreshed(state, observed, report))
        _write_outputs(states)
    changed = sum(1 for d in accepted if d.status == "changed")
    click.echo(f"Refreshed the state: {changed} resource{'s' if changed != 1 else ''} updated, "
               f"{len(accepted) - changed} forgotten. Nothing live was changed; "
               "`provisioner plan` now shows how the stack differs from the live resources.")


@click.command("force-unlock")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("lock_id")
@stack_options
def force_unlock(path: Path, lock_id: str, variables, var_files, state_path) -> None:
    """Remove a stale state lock left by a crashed run (LOCK_ID is in the lock error).

    PATH is the stack, or a saved plan (its state)."""
    if _is_saved_plan(path):
        states = _saved_plan(path, state_path)[1]
    else:
        states = _states(_load(path, variables, var_files), state_path)
    states.backend.force_unlock(lock_id)
    click.echo(f"Unlocked the state {states.backend.describe()}.")

