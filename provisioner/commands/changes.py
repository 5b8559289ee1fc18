"""The commands that change live objects: plan (what would change), apply and destroy (a plan made
now or a saved one).

Owns building the plan from the stack, the state and what is live, and carrying it out with the
applier after confirmation. The decisions are the planner's, the execution the applier's, the
output render's: this module must not take any of them.
"""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import click

from provisioner.commands.options import (Settings, _trust, _workspace, lock_option, stack_options, targeting_options,
                                          unlocked_lock_option)
from provisioner.commands.run import (ExitCode, _confirm, _connect, _declared, _is_saved_plan, _load, _location,
                                      _locked, _print_header, _provider, _saved_plan, _states, _write_outputs)
from provisioner.config.spec import Stack
from provisioner.errors import ProvisionerError
from provisioner.lifecycle import check_prevent_destroy
from provisioner.private_files import write_atomic
from provisioner.state import surgery
from provisioner.targeting import TARGETING_WARNING, check_addresses, targeted
from provisioner.trust import endpoint_refusals

if TYPE_CHECKING:
    from provisioner.api.base import Api
    from provisioner.plan import Plan
    from provisioner.state.manager import StateManager


def _plan(stack: Stack, states: StateManager, api: Api, destroy: bool, state_path: Path | None) -> Plan:
    from provisioner.resources import tagged_kinds
    from provisioner.observe import observe
    from provisioner.planner import live_fingerprint, make_plan
    state = states.load()
    moved, forgotten = surgery.edits_of_stack(state, stack.moved, stack.removed)
    state = surgery.replay(state, moved, forgotten)  # planned as if made; apply makes them first
    declared = _declared(stack)
    # a destroy wants nothing: it reads only what the state tracks, so a kind the endpoint dropped
    # (the Assistants API after its sunset) is planned as gone instead of refusing the destroy
    wanted = [] if destroy else declared
    meta = click.get_current_context().meta
    targets, replace = meta.get("targets", ()), meta.get("replace", ())
    check_addresses("--target", targets, [*(d.address for d in declared), *state.resources])
    check_addresses("--replace", replace, [a for a, r in state.resources.items() if r.id])
    delete_orphans = bool(meta.get("delete_orphans"))
    if delete_orphans and targets:  # a targeted plan keeps only what its targets need: no orphan is one
        raise ProvisionerError("--delete-orphans cannot be combined with --target: an orphan is at no address"
                               " a target names, so the targeted plan would drop its delete in silence;"
                               " nothing was changed", hint="run it without --target")
    # orphans are looked for among the kinds read; asked to delete them, every kind with tags is read
    observed = observe(api, state, {d.kind for d in wanted}, [ref for d in wanted for ref in d.external],
                       also=tagged_kinds() if delete_orphans else (), workspace=stack.workspace)
    the_plan = make_plan(stack.name, declared, state, observed, destroy=destroy, provider=_provider(stack),
                         state_path=str(states.backend.describe()), state_location=_location(stack, state_path),
                         lifecycles=stack.lifecycles, moved=moved, forgotten=forgotten, replace=frozenset(replace),
                         delete_orphans=delete_orphans)
    the_plan = the_plan.model_copy(update={"workspace": stack.workspace})  # so a saved plan goes back to it
    if targets:
        click.echo(TARGETING_WARNING, err=True)
        the_plan = targeted(the_plan, targets)
        # what it no longer adopts or deletes is no longer checked at apply
        the_plan = the_plan.model_copy(update={"live_fingerprint": live_fingerprint(state, observed, the_plan.changes)})
    check_prevent_destroy(the_plan, stack.lifecycles)
    return the_plan


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@stack_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--markdown", is_flag=True, help="Print the plan as Markdown (for a pull-request comment).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan for `apply`.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 with no changes, 2 with changes (drift included), 1 on error.")
@click.option("--destroy", is_flag=True, help="Plan the destruction of everything the stack manages.")
@click.option("--verbose", "-v", is_flag=True, help="List every file of a large file set instead of one group line.")
@targeting_options
@unlocked_lock_option
@click.pass_obj
def plan(settings: Settings, path: Path, variables, var_files, state_path, as_json: bool, markdown: bool,
         out: Path | None, detailed_exitcode: bool, destroy: bool, verbose: bool) -> None:
    """Show what apply would change, reading the live resources; takes no lock, so never waits for an apply."""
    from provisioner import render
    stack = _load(path, variables, var_files)
    states = _states(stack, state_path)
    # no lock: plan writes nothing, so a scheduled plan never makes an apply fail, nor waits for one;
    # it reads one consistent revision (see StateManager.load), and a saved plan names that revision,
    # so apply refuses it if the state moved meanwhile
    with _connect(_provider(stack)) as api:
        _print_header(states, stack.workspace)
        the_plan = _plan(stack, states, api, destroy, state_path)
    if out:
        write_atomic(out, the_plan.to_json().encode())
    if as_json:
        click.echo(render.plan_json(the_plan))
    elif markdown:
        click.echo(render.plan_markdown(the_plan), nl=False)
    else:
        click.echo(render.state_edits_text(the_plan) + render.plan_text(the_plan, settings.color, verbose), nl=False)
        if out:
            click.echo(f"\nSaved the plan to {out}. To carry out exactly these actions: provisioner apply {out}")
    if detailed_exitcode and the_plan.has_changes:
        raise SystemExit(ExitCode.CHANGES)


@contextlib.contextmanager
def _planned(path: Path, variables, var_files, state_path, destroy: bool) -> Iterator[tuple[Plan, StateManager, Api]]:
    """Lock the state, connect, and either plan now or load a saved plan and check it is current."""
    from provisioner.applier import ensure_current
    from provisioner.observe import observe
    from provisioner.plan import Action
    from provisioner.planner import live_fingerprint
    if _is_saved_plan(path):
        saved, states = _saved_plan(path, state_path)
        if destroy and not saved.destroy:  # a destroy must only ever destroy
            raise ProvisionerError(f"{path} is not a destroy plan: destroy carries out only a plan saved by"
                                   " `provisioner plan --destroy`; nothing was changed",
                                   hint=f"to carry out this plan, review it and run `provisioner apply {path}`")
        if saved.workspace != _workspace():
            raise ProvisionerError(f"{path} was planned in workspace {saved.workspace}, and this run is in workspace"
                                   f" {_workspace()}: nothing was changed",
                                   hint=f"to apply it, run with --workspace {saved.workspace}; to change workspace"
                                   f" {_workspace()}, plan it there")
        refusals = endpoint_refusals(saved.provider, _trust())
        if refusals:
            raise ProvisionerError(f"{path}: {refusals[0].message}", hint=refusals[0].hint)
        with _locked(states, "apply", path, (), (), state_path), _connect(saved.provider) as api:
            _print_header(states, saved.workspace)
            state = surgery.replay(states.load(), saved.moved, saved.forgotten)
            observed = observe(api, state, {c.kind for c in saved.changes if c.action is not Action.DELETE},
                               also={c.kind for c in saved.changes}, workspace=saved.workspace)  # orphans' too
            ensure_current(saved, state, live_fingerprint(state, observed, saved.changes))
            yield saved, states, api
        return
    stack = _load(path, variables, var_files)
    states = _states(stack, state_path)
    with _locked(states, "apply", path, variables, var_files, state_path), _connect(_provider(stack)) as api:
        _print_header(states, stack.workspace)
        yield _plan(stack, states, api, destroy, state_path), states, api


def _run_apply(settings: Settings, path: Path, variables, var_files, state_path, auto_approve: bool,
               parallelism: int, as_json: bool, destroy: bool) -> None:
    from provisioner import render
    from provisioner.applier import Applier
    with _planned(path, variables, var_files, state_path, destroy) as (the_plan, states, api):
        if not as_json:
            click.echo(render.state_edits_text(the_plan) + render.plan_text(the_plan, settings.color), nl=False)
        if the_plan.moved or the_plan.forgotten:  # state only, no API call: made before any change
            states.persist(surgery.replay(states.current(), the_plan.moved, the_plan.forgotten))
        if not the_plan.has_changes:
            if as_json:
                click.echo(render.plan_json(the_plan))
            _write_outputs(states)
            return
        # a saved plan was reviewed when it was made, except that a destroy asks again, however it comes
        reviewed = _is_saved_plan(path) and not the_plan.destroy
        verb = "destroy every resource of" if the_plan.destroy else "perform these actions on"
        _confirm(settings, auto_approve or reviewed, f"\nDo you really want to {verb} stack {the_plan.stack}?")
        printer = render.EventPrinter(sys.stderr, settings.interactive, settings.color)
        result = Applier(api, states, printer, parallelism).apply(the_plan)
        _write_outputs(states)
    click.echo(render.result_errors(result, settings.color), err=True, nl=False)
    if as_json:
        click.echo(render.result_json(result))
    else:
        click.echo(render.result_text(result, settings.color), nl=False)
    if result.failed:
        raise SystemExit(ExitCode.ERROR)


def apply_options(fn):
    fn = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(fn)
    fn = click.option("--parallelism", default=4, show_default=True, type=click.IntRange(1, 64),
                      help="How many independent changes run at once.")(fn)
    fn = click.option("--auto-approve", is_flag=True, help="Skip the confirmation prompt.")(fn)
    return lock_option(stack_options(fn))


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@apply_options
@targeting_options
@click.pass_obj
def apply(settings: Settings, path: Path, variables, var_files, state_path, auto_approve: bool,
          parallelism: int, as_json: bool) -> None:
    """Create, update and delete resources to match the stack (or carry out a saved plan)."""
    _run_apply(settings, path, variables, var_files, state_path, auto_approve, parallelism, as_json, destroy=False)


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@apply_options
@click.pass_obj
def destroy(settings: Settings, path: Path, variables, var_files, state_path, auto_approve: bool,
            parallelism: int, as_json: bool) -> None:
    """Delete everything the stack created, in reverse dependency order."""
    _run_apply(settings, path, variables, var_files, state_path, auto_approve, parallelism, as_json, destroy=True)

