"""The `provisioner state` commands: list, show, rm, mv, versions and restore on a stack's state;
and `provisioner workspace list`, the workspaces that have state.

Owns wiring these commands to the state (locked for the edits) and printing what they did; the
edits themselves are provisioner.state.surgery's, the kept versions provisioner.state.versions'.
None of them calls the API: rm forgets an object and leaves it live, mv gives it another address
and the object keeps its id, restore puts back the state as it was before a run.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from provisioner.commands.options import Settings, _workspace, lock_option, stack_options
from provisioner.commands.run import _confirm, _load, _location, _lock, _states, _write_outputs
from provisioner.errors import ProvisionerError
from provisioner.state import surgery
from provisioner.state.location import workspaces_with_state
from provisioner.state.model import State
from provisioner.state.versions import kept_versions, to_restore
from provisioner.workspaces import DEFAULT_WORKSPACE

PATH = click.argument("path", type=click.Path(exists=True, path_type=Path))


@click.group("state")
def state_group() -> None:
    """Inspect and edit the state without touching live objects."""


@state_group.command("list")
@PATH
@stack_options
def list_command(path: Path, variables, var_files, state_path) -> None:
    """Print every address the state tracks, one a line."""
    state = _states(_load(path, variables, var_files), state_path).load()
    for address in sorted(state.resources):
        click.echo(address)


@state_group.command("show")
@PATH
@click.argument("address")
@stack_options
@click.option("--json", "as_json", is_flag=True, help="Print the entry as JSON.")
def show_command(path: Path, address: str, variables, var_files, state_path, as_json: bool) -> None:
    """Print what the state holds for ADDRESS: its live id and recorded attributes."""
    from provisioner import render  # only when it runs: registering the group must not import the renderers
    state = _states(_load(path, variables, var_files), state_path).load()
    resource = surgery.tracked(state, address)
    if as_json:
        click.echo(json.dumps(resource.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        click.echo(render.state_text(state.model_copy(update={"resources": {address: resource}})).rstrip("\n"))


@state_group.command("rm")
@PATH
@click.argument("addresses", metavar="ADDRESS...", nargs=-1, required=True)
@stack_options
@lock_option
def rm_command(path: Path, addresses: tuple[str, ...], variables, var_files, state_path) -> None:
    """Forget ADDRESS (repeatable): the object stays live, no longer managed by the stack."""
    states = _states(_load(path, variables, var_files), state_path)
    with _lock(states, "state rm"):
        state = states.load()
        ids = {a: state.resources[a].id for a in addresses if a in state.resources}
        states.persist(surgery.forget(state, addresses))
    for address in addresses:
        click.echo(f"Forgot {address} ({ids.get(address) or 'no live id'}); nothing was deleted.")


@state_group.command("mv")
@PATH
@click.argument("old")
@click.argument("new")
@stack_options
@lock_option
def mv_command(path: Path, old: str, new: str, variables, var_files, state_path) -> None:
    """Move the resource at OLD to NEW (same kind): the live object keeps its id."""
    states = _states(_load(path, variables, var_files), state_path)
    with _lock(states, "state mv"):
        states.persist(surgery.move(states.load(), old, new))
    click.echo(f"Moved {old} to {new}; nothing live changed.")


@state_group.command("versions")
@PATH
@stack_options
def versions_command(path: Path, variables, var_files, state_path) -> None:
    """List the kept versions of the state: the state as it was before each run that wrote it."""
    states = _states(_load(path, variables, var_files), state_path)
    current = states.load()
    versions = kept_versions(states)
    click.echo(f"State {states.backend.describe()} is at serial {current.serial}.")
    if not versions:
        click.echo("No earlier version is kept yet: one is kept before every run that writes the state.")
        return
    click.echo("Kept versions, newest first (`provisioner state restore PATH [SERIAL]`; default the first):")
    for version in versions:
        before = f"before {version.run}" if version.run else "before the last run that wrote"
        click.echo(f"  serial {version.serial:<6} kept {version.saved_at}  {before}")


@state_group.command("restore")
@PATH
@click.argument("version", metavar="[SERIAL]", type=int, required=False)
@stack_options
@click.option("--auto-approve", is_flag=True, help="Skip the confirmation prompt.")
@lock_option
@click.pass_obj
def restore_command(settings: Settings, path: Path, version: int | None, variables, var_files, state_path,
                    auto_approve: bool) -> None:
    """Put back a kept version of the state (default: as it was before the last run that wrote it).

    Nothing live changes: the next plan shows what the runs since did, as changes to undo. The
    restored state gets a new serial, so plans saved before are refused."""
    states = _states(_load(path, variables, var_files), state_path)
    with _lock(states, "state restore"):
        current = states.load()
        chosen, restored = to_restore(states, current, version)
        click.echo(f"Restoring state {states.backend.describe()} to serial {chosen.serial}"
                   f" (kept {chosen.saved_at}{', before ' + chosen.run if chosen.run else ''}):")
        click.echo(_differences(current, restored), nl=False)
        _confirm(settings, auto_approve, f"\nDo you want to restore this version of the state of stack {current.stack}?")
        written = states.persist(restored)
        _write_outputs(states)
    click.echo(f"Restored serial {chosen.serial} as serial {written.serial}. Nothing live was changed;"
               " `provisioner plan` now shows what the runs since then did, as changes to undo.")


@click.group("workspace")
def workspace_group() -> None:
    """The workspaces (environments) of a stack."""


@workspace_group.command("list")
@PATH
@stack_options
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def workspace_list_command(path: Path, variables, var_files, state_path, as_json: bool) -> None:
    """List the workspaces that have state for the stack; * marks the one this command is in."""
    if state_path is not None:
        raise ProvisionerError("--state names one file, which would be every workspace's: workspace list looks"
                               " where the stack keeps each workspace's state", hint="run it without --state")
    stack = _load(path, variables, var_files, DEFAULT_WORKSPACE)
    found, current = workspaces_with_state(_location(stack, None)), _workspace()
    if as_json:
        click.echo(json.dumps({"stack": stack.name, "current": current, "workspaces": found}, indent=2))
        return
    for name in found:
        click.echo(f"{'*' if name == current else ' '} {name}")
    if current not in found:
        click.echo(f"* {current} (no state yet)")


def _differences(current: State, restored: State) -> str:
    lines = []
    for address in sorted(set(current.resources) | set(restored.resources)):
        now, then = current.resources.get(address), restored.resources.get(address)
        if then is None:
            assert now is not None  # the address is in one of the two
            lines.append(f"  - {address} ({now.id or 'no live id'}) is forgotten; the object stays live")
        elif now is None:
            lines.append(f"  + {address} ({then.id or 'no live id'}) is tracked again")
        elif now.model_dump() != then.model_dump():
            lines.append(f"  ~ {address} goes back to what was recorded then ({then.id or 'no live id'})")
    return "\n".join(lines or ["  (the same resources as now)"]) + "\n"
