"""The command line: builds the objects, calls planner, applier and render, maps errors to exit codes.

Exit codes: 0 success (or no changes), 1 error, 2 changes present (only with --detailed-exitcode).
Tracebacks only with --debug. It holds no logic of its own beyond wiring.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any, Iterator

import click

from provisioner import render
from provisioner.api.base import Api
from provisioner.applier import Applier, ensure_current
from provisioner.config.loader import load_stack
from provisioner.config.spec import Stack
from provisioner.connection import DEFAULT_EMULATOR_DATA, connect
from provisioner.errors import ProvisionerError, StackError
from provisioner.importer import import_resource
from provisioner.lifecycle import check_prevent_destroy
from provisioner.observe import observe
from provisioner.outputs import outputs_of, outputs_path, select, write_outputs
from provisioner.plan import Action, Plan
from provisioner.planner import live_fingerprint, make_plan
from provisioner.resources import HANDLERS
from provisioner.state.local import LocalFileBackend
from provisioner.state.location import Location, locate, of_saved_plan, open_backend
from provisioner.state import surgery
from provisioner.state.manager import StateManager
from provisioner.state.waiting import lock_waiting, parse_duration


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    CHANGES = 2
    INTERRUPTED = 130


@dataclass
class Settings:
    debug: bool
    color: bool
    interactive: bool


def _is_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--no-color", is_flag=True, help="Plain output (also when NO_COLOR is set or not on a terminal).")
@click.version_option(package_name="provisioner")
@click.pass_context
def cli(ctx: click.Context, debug: bool, no_color: bool) -> None:
    """Declarative infrastructure-as-code for OpenAI files, vector stores and assistants."""
    tty = sys.stdout.isatty()
    ctx.obj = Settings(debug=debug, color=tty and not no_color and "NO_COLOR" not in os.environ,
                       interactive=sys.stderr.isatty() and not _is_ci())


def stack_options(fn):
    fn = click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path),
                      help="Local state file, overriding the stack's state: block"
                      " (default: state/<stack>.json in the stack's folder).")(fn)
    fn = click.option("--var-file", "var_files", multiple=True,
                      type=click.Path(exists=True, dir_okay=False, path_type=Path),
                      help="YAML or JSON file of variable values (repeatable).")(fn)
    fn = click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
                      help="Set a variable (repeatable).")(fn)
    return fn


def _lock_timeout(ctx: click.Context, param: click.Parameter, value: str) -> None:
    try:
        ctx.meta["lock_timeout"] = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def lock_option(fn):
    """`--lock-timeout`, read by _lock through the click context so commands need not pass it on."""
    return click.option("--lock-timeout", default="0s", show_default=True, metavar="DURATION",
                        expose_value=False, callback=_lock_timeout,
                        help="How long to wait for a state lock held by another run (e.g. 10s, 2m).")(fn)


def _lock(states: StateManager, who: str):
    timeout = click.get_current_context().meta.get("lock_timeout", 0.0)
    return lock_waiting(states, who, timeout, lambda line: click.echo(line, err=True))


def _parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.UsageError(f"--var takes NAME=VALUE, not {pair!r}")
        out[name.strip()] = value
    return out


def _load(path: Path, variables: tuple[str, ...], var_files: tuple[Path, ...]) -> Stack:
    return load_stack(path, _parse_vars(variables), list(var_files))


def _provider(stack: Stack) -> dict[str, Any]:
    provider = stack.provider.model_dump()
    if provider.get("kind") == "emulator" and not provider.get("data"):
        # the embedded emulator's data belongs to the stack, wherever the command runs from
        provider["data"] = str(DEFAULT_EMULATOR_DATA)
    if provider.get("data"):
        provider["data"] = str((stack.root / provider["data"]).resolve())
    return provider


def _location(stack: Stack, state_path: Path | None) -> Location:
    return locate(stack.name, stack.state.model_dump(), state_path, root=stack.root)


def _states(stack: Stack, state_path: Path | None) -> StateManager:
    return StateManager(open_backend(_location(stack, state_path)), stack.name)


def _declared(stack: Stack) -> list:
    return [d for handler in HANDLERS.values() for d in handler.declare(stack)]


def _plan(stack: Stack, states: StateManager, api: Api, destroy: bool, state_path: Path | None) -> Plan:
    state = states.load()
    moved, forgotten = surgery.edits_of_stack(state, stack.moved, stack.removed)
    state = surgery.replay(state, moved, forgotten)  # planned as if made; apply makes them first
    declared = _declared(stack)
    # a destroy wants nothing: it reads only what the state tracks, so a kind the endpoint dropped
    # (the Assistants API after its sunset) is planned as gone instead of refusing the destroy
    wanted = [] if destroy else declared
    observed = observe(api, state, {d.kind for d in wanted}, [ref for d in wanted for ref in d.external])
    the_plan = make_plan(stack.name, declared, state, observed, destroy=destroy, provider=_provider(stack),
                         state_path=str(states.backend.describe()), state_location=_location(stack, state_path),
                         lifecycles=stack.lifecycles, moved=moved, forgotten=forgotten)
    check_prevent_destroy(the_plan, stack.lifecycles)
    return the_plan


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@stack_options
def validate(path: Path, variables: tuple[str, ...], var_files: tuple[Path, ...], state_path: Path | None) -> None:
    """Check stack files without calling the API."""
    stack = _load(path, variables, var_files)
    counts = {"file": len(stack.local_files), "vector store": len(stack.vector_stores),
              "function": len(stack.functions), "assistant": len(stack.assistants)}
    click.echo(f"Stack {stack.name} is valid: "
               + ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items()) + ".")


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@stack_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--markdown", is_flag=True, help="Print the plan as Markdown (for a pull-request comment).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan for `apply`.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 with no changes, 2 with changes (drift included), 1 on error.")
@click.option("--destroy", is_flag=True, help="Plan the destruction of everything the stack manages.")
@lock_option
@click.pass_obj
def plan(settings: Settings, path: Path, variables, var_files, state_path, as_json: bool, markdown: bool,
         out: Path | None, detailed_exitcode: bool, destroy: bool) -> None:
    """Show what apply would change, reading the live resources."""
    stack = _load(path, variables, var_files)
    states = _states(stack, state_path)
    with _lock(states, "plan"), connect(_provider(stack)) as api:
        _print_header(api, states)
        the_plan = _plan(stack, states, api, destroy, state_path)
    if out:
        _write_atomic(out, the_plan.to_json())
    if as_json:
        click.echo(render.plan_json(the_plan))
    elif markdown:
        click.echo(render.plan_markdown(the_plan), nl=False)
    else:
        click.echo(render.state_edits_text(the_plan) + render.plan_text(the_plan, settings.color), nl=False)
        if out:
            click.echo(f"\nSaved the plan to {out}. To carry out exactly these actions: provisioner apply {out}")
    if detailed_exitcode and the_plan.has_changes:
        raise SystemExit(ExitCode.CHANGES)


def _print_header(api: Api, states: StateManager) -> None:
    click.echo(render.run_header(api.describe(), states.backend.describe()), err=True, nl=False)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _is_saved_plan(path: Path) -> bool:
    if not path.is_file() or path.suffix in (".yaml", ".yml"):
        return False
    with contextlib.suppress(OSError, UnicodeDecodeError):
        head = path.read_text()[:4096]
        return '"format_version"' in head and '"changes"' in head
    return False


@contextlib.contextmanager
def _planned(path: Path, variables, var_files, state_path, destroy: bool) -> Iterator[tuple[Plan, StateManager, Api]]:
    """Lock the state, connect, and either plan now or load a saved plan and check it is current."""
    if _is_saved_plan(path):
        try:
            saved = Plan.from_json(path.read_text())
        except ValueError as exc:
            raise ProvisionerError(f"{path} is not a plan this provisioner can read: {exc}") from None
        if destroy and not saved.destroy:  # a destroy must only ever destroy
            raise ProvisionerError(f"{path} is not a destroy plan: destroy carries out only a plan saved by"
                                   " `provisioner plan --destroy`; nothing was changed",
                                   hint=f"to carry out this plan, review it and run `provisioner apply {path}`")
        location = of_saved_plan(saved.state_location, saved.state_path, state_path)
        states = StateManager(open_backend(location), saved.stack)
        with _lock(states, "apply"), connect(saved.provider) as api:
            _print_header(api, states)
            state = surgery.replay(states.load(), saved.moved, saved.forgotten)
            observed = observe(api, state, {c.kind for c in saved.changes if c.action is not Action.DELETE})
            ensure_current(saved, state, live_fingerprint(state, observed))
            yield saved, states, api
        return
    stack = _load(path, variables, var_files)
    states = _states(stack, state_path)
    with _lock(states, "apply"), connect(_provider(stack)) as api:
        _print_header(api, states)
        yield _plan(stack, states, api, destroy, state_path), states, api


def _confirm(settings: Settings, auto_approve: bool, question: str) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise ProvisionerError("refusing to change anything without confirmation in a non-interactive shell",
                               hint="review the plan, then run again with --auto-approve")
    answer = click.prompt(f"{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value",
                          default="", show_default=False)
    if answer.strip() != "yes":
        raise ProvisionerError("cancelled: nothing was changed")


def _run_apply(settings: Settings, path: Path, variables, var_files, state_path, auto_approve: bool,
               parallelism: int, as_json: bool, destroy: bool) -> None:
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
    if as_json:
        click.echo(render.result_json(result))
    else:
        click.echo(render.result_text(result, settings.color), nl=False)
    if result.failed:
        raise SystemExit(ExitCode.ERROR)


def _write_outputs(states: StateManager) -> None:
    """Keep the outputs file next to a local state file in step with it (see provisioner.outputs).

    A state kept elsewhere has no local place for it: `provisioner output` reads it from the state."""
    if isinstance(states.backend, LocalFileBackend):
        write_outputs(outputs_path(states.backend.path), outputs_of(states.current()))


def apply_options(fn):
    fn = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(fn)
    fn = click.option("--parallelism", default=4, show_default=True, type=click.IntRange(1, 64),
                      help="How many independent changes run at once.")(fn)
    fn = click.option("--auto-approve", is_flag=True, help="Skip the confirmation prompt.")(fn)
    return lock_option(stack_options(fn))


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@apply_options
@click.pass_obj
def apply(settings: Settings, path: Path, variables, var_files, state_path, auto_approve: bool,
          parallelism: int, as_json: bool) -> None:
    """Create, update and delete resources to match the stack (or carry out a saved plan)."""
    _run_apply(settings, path, variables, var_files, state_path, auto_approve, parallelism, as_json, destroy=False)


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@apply_options
@click.pass_obj
def destroy(settings: Settings, path: Path, variables, var_files, state_path, auto_approve: bool,
            parallelism: int, as_json: bool) -> None:
    """Delete everything the stack created, in reverse dependency order."""
    _run_apply(settings, path, variables, var_files, state_path, auto_approve, parallelism, as_json, destroy=True)


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@stack_options
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
def show(path: Path, variables, var_files, state_path, as_json: bool) -> None:
    """Print the state: every resource the stack manages, with its live id."""
    stack = _load(path, variables, var_files)
    state = _states(stack, state_path).load()
    click.echo(state.model_dump_json(indent=2) if as_json else render.state_text(state).rstrip("\n"))


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("name", required=False)
@stack_options
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def output(path: Path, name: str | None, variables, var_files, state_path, as_json: bool) -> None:
    """Print the outputs of the last apply: resource ids and assistant definitions.

    NAME picks one: a resource address (its id), or an assistant by name or address (its Responses
    definition, or its Assistants API id). Apply also writes them all to state/<stack>.outputs.json
    beside the state.
    """
    stack = _load(path, variables, var_files)
    outputs = outputs_of(_states(stack, state_path).load())
    value = select(outputs, name) if name else outputs
    if as_json:
        click.echo(json.dumps(value, indent=2, ensure_ascii=False))
    else:
        click.echo((render.output_value_text(value) if name else render.outputs_text(outputs)).rstrip("\n"))


@cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("address")
@click.argument("live_id", metavar="ID")
@stack_options
@lock_option
def import_command(path: Path, address: str, live_id: str, variables, var_files, state_path) -> None:
    """Bring an existing object (made by hand) under the stack as ADDRESS; nothing live changes.

    The next plan shows how the object differs from the stack, and apply brings it in line.
    """
    stack = _load(path, variables, var_files)
    states = _states(stack, state_path)
    with _lock(states, "import"), connect(_provider(stack)) as api:
        import_resource(_declared(stack), states, api, address, live_id)
    click.echo(f"Imported {live_id} as {address}. Run `provisioner plan` to see how it differs from the stack.")


@cli.command("force-unlock")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("lock_id")
@stack_options
def force_unlock(path: Path, lock_id: str, variables, var_files, state_path) -> None:
    """Remove a stale state lock left by a crashed run (LOCK_ID is in the lock error)."""
    stack = _load(path, variables, var_files)
    states = _states(stack, state_path)
    states.backend.force_unlock(lock_id)
    click.echo(f"Unlocked the state {states.backend.describe()}.")


def _register_emulator() -> None:
    from provisioner.emulator.cli import emulator_command
    cli.add_command(emulator_command, "emulator")


def _register_state() -> None:
    from provisioner.state_commands import state_group
    cli.add_command(state_group, "state")


def main(argv: list[str] | None = None) -> None:
    _register_emulator()
    _register_state()
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="provisioner", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted: nothing more was changed.", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.ERROR)
    except KeyboardInterrupt:
        click.echo("Interrupted: what was applied is recorded in the state; apply again to converge.", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except StackError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(ExitCode.ERROR)
    except ProvisionerError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"Error: {exc}", err=True)
        sys.exit(ExitCode.ERROR)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a message, not a traceback
        if debug:
            traceback.print_exc()
        click.echo(f"Error: unexpected {exc.__class__.__name__}: {exc}\n  hint: run again with --debug for details",
                   err=True)
        sys.exit(ExitCode.ERROR)
    sys.exit(ExitCode.OK)


if __name__ == "__main__":
    main()
