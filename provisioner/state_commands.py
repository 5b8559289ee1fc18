"""The `provisioner state` commands: list, show, rm and mv on a stack's state.

Owns wiring these commands to the state (locked for the edits) and printing what they did; the
edits themselves are provisioner.state.surgery's. None of them calls the API: rm forgets an object
and leaves it live, mv gives it another address and the object keeps its id.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from provisioner import render
from provisioner.cli import _load, _lock, _states, lock_option, stack_options
from provisioner.state import surgery

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
