"""The command line: builds the objects, calls planner, applier and render, maps errors to exit codes.

Exit codes: 0 success (or no changes), 1 error, 2 changes present (only with --detailed-exitcode).
Tracebacks only with --debug. It holds no logic of its own beyond wiring.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import shlex
import sys
import traceback
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import click

from provisioner import render_validation
from provisioner.config.loader import load_stack
from provisioner.config.spec import Stack
from provisioner.config.yaml_source import ParseLimits
from provisioner.connection import DEFAULT_EMULATOR_DATA
from provisioner.errors import ProvisionerError, StackError, StateLockedError
from provisioner.lifecycle import check_prevent_destroy
from provisioner.private_files import write_atomic
from provisioner.resources import tagged_nouns
from provisioner.state import surgery
from provisioner.state.location import locate
from provisioner.state.waiting import lock_waiting, parse_duration
from provisioner.targeting import TARGETING_WARNING, check_addresses, targeted
from provisioner.trust import DEFAULT_KEY_ENV, ENDPOINTS_ENV, ENV_VARS_ENV, KEY_ENVS_ENV, Trust, endpoint_refusals
from provisioner.workspaces import DEFAULT_WORKSPACE, WORKSPACE_ENV, bad_name

if TYPE_CHECKING:
    from provisioner.api.base import Api
    from provisioner.observe import Observed
    from provisioner.plan import Plan
    from provisioner.state.location import Location
    from provisioner.state.manager import StateManager

# Commands that talk to the API import the planner, the applier, the SDK and the renderers when
# they run: `validate` (a CI check, run on every change) needs none of them, and they take
# longer to import than a large stack takes to validate.


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


DEBUG_HELP = "Show tracebacks for errors."
NO_COLOR_HELP = "Plain output (also when NO_COLOR is set or not on a terminal)."


def _late_global_option(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    settings = ctx.find_object(Settings)
    if value and settings:
        if param.name == "no_color":
            settings.color = False
        else:
            settings.debug = True


class _LazyCommand(click.Command):
    """Stands in for a command in the list of commands until it is run, so `--help` imports nothing
    heavy (the emulator's server)."""

    def __init__(self, name: str, target: str, short_help: str):
        super().__init__(name, short_help=short_help)
        self.target = target

    def load(self) -> click.Command:
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)


class _Commands(click.Group):
    """The group: global options are taken after the subcommand too, as users type them
    (`provisioner apply --no-color`); lazy commands are imported only when they run."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not isinstance(cmd, _LazyCommand):
            cmd.params += [click.Option([flag], is_flag=True, expose_value=False, callback=_late_global_option,
                                        help=text) for flag, text in (("--debug", DEBUG_HELP),
                                                                      ("--no-color", NO_COLOR_HELP))
                           if flag not in {opt for p in cmd.params for opt in p.opts}]
        super().add_command(cmd, name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name, cmd, rest = super().resolve_command(ctx, args)
        if isinstance(cmd, _LazyCommand):
            cmd = cmd.load()
            self.add_command(cmd, name)
        return name, cmd, rest


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help=DEBUG_HELP)
@click.option("--no-color", is_flag=True, help=NO_COLOR_HELP)
@click.version_option(package_name="provisioner")
@click.pass_context
def cli(ctx: click.Context, debug: bool, no_color: bool) -> None:
    """Declarative infrastructure-as-code for OpenAI files, vector stores, assistants and Agents."""
    tty = sys.stdout.isatty()
    ctx.obj = Settings(debug=debug, color=tty and not no_color and "NO_COLOR" not in os.environ,
                       interactive=sys.stderr.isatty() and not _is_ci())


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    ctx.meta.setdefault("trust", {})[param.name] = value


def _parse_limits(pairs: tuple[str, ...]) -> ParseLimits:
    values = {}
    for pair in pairs:
        name, sep, number = pair.partition("=")
        if name not in ParseLimits.names() or not sep or not number.strip().isdigit():
            raise click.UsageError(f"--parse-limit takes NAME=N with NAME one of {', '.join(ParseLimits.names())},"
                                   f" not {pair!r}")
        values[name] = int(number)
    return ParseLimits(**values)


def _trust() -> Trust:
    """The operator's settings from this command's flags (see provisioner.trust)."""
    given = click.get_current_context().meta.get("trust", {})
    return Trust(allow_paths=tuple(given.get("allow_paths") or ()),
                 trust_stack_paths=bool(given.get("trust_stack_paths")),
                 endpoints=tuple(given.get("allow_endpoints") or ()),
                 key_envs=tuple(given.get("allow_key_envs") or ()),
                 env_vars=tuple(given.get("allow_env") or ()),
                 limits=_parse_limits(tuple(given.get("parse_limits") or ())))


def trust_options(fn):
    """What the operator, not the stack, allows; each also read from the environment for pipelines."""
    fn = click.option("--parse-limit", "parse_limits", multiple=True, metavar="NAME=N", expose_value=False,
                      callback=_remember, help="Raise a limit on stack, schema and variables files: "
                      + ", ".join(f"{n} (default {getattr(ParseLimits(), n):,})" for n in ParseLimits.names())
                      + ".")(fn)
    fn = click.option("--allow-env", "allow_env", multiple=True, metavar="NAME", expose_value=False,
                      callback=_remember, help="Let the stack read this environment variable with ${env:NAME} (also"
                      f" ${ENV_VARS_ENV}, space-separated); plans print what it reads.")(fn)
    fn = click.option("--allow-key-env", "allow_key_envs", multiple=True, metavar="NAME", expose_value=False,
                      callback=_remember, help="Let the provider send this variable's value as its API key (besides"
                      f" {DEFAULT_KEY_ENV}; also ${KEY_ENVS_ENV}, space-separated).")(fn)
    fn = click.option("--allow-endpoint", "allow_endpoints", multiple=True, metavar="URL", expose_value=False,
                      callback=_remember, help="Let the provider send the API key to this base_url (OpenAI and loopback"
                      f" need nothing; also ${ENDPOINTS_ENV}, space-separated).")(fn)
    fn = click.option("--trust-stack-paths", is_flag=True, expose_value=False, callback=_remember,
                      envvar="PROVISIONER_TRUST_STACK_PATHS",
                      help="Honour the stack's own allow_paths: (never on untrusted stacks, e.g. pull requests).")(fn)
    fn = click.option("--allow-path", "allow_paths", multiple=True, metavar="DIR", expose_value=False,
                      callback=_remember, envvar="PROVISIONER_ALLOW_PATHS",
                      type=click.Path(file_okay=False, path_type=Path),
                      help="Let the stack read files in this folder too (repeatable).")(fn)
    return fn


def _remember_workspace(ctx: click.Context, param: click.Parameter, value: str) -> None:
    problem = bad_name(value)
    if problem:
        given = (f"${WORKSPACE_ENV}" if ctx.get_parameter_source(param.name) is click.core.ParameterSource.ENVIRONMENT
                 else "--workspace")
        raise click.BadParameter(problem, param_hint=given)
    ctx.meta["workspace"] = value


def _workspace() -> str:
    """The workspace this command works in (see provisioner.workspaces)."""
    return click.get_current_context().meta.get("workspace", DEFAULT_WORKSPACE)


def stack_options(fn):
    fn = trust_options(fn)
    fn = click.option("--workspace", default=DEFAULT_WORKSPACE, show_default=True, envvar=WORKSPACE_ENV,
                      metavar="NAME", expose_value=False, callback=_remember_workspace,
                      help=f"The environment (dev, prod, ...) to work in, each with its own state and objects"
                      f" (also ${WORKSPACE_ENV}).")(fn)
    fn = click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path),
                      help="Local state file, overriding the stack's state: block (default: state/<stack>.json"
                      " in the stack's folder, state/<workspace>/<stack>.json in a workspace).")(fn)
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


def lock_option(fn, help: str = "How long to wait for a state lock held by another run (e.g. 10s, 2m)."):
    """`--lock-timeout`, read by _lock through the click context so commands need not pass it on."""
    return click.option("--lock-timeout", default="0s", show_default=True, metavar="DURATION",
                        expose_value=False, callback=_lock_timeout, help=help)(fn)


def unlocked_lock_option(fn):
    """`--lock-timeout` on a read-only command, kept so that pipelines passing it everywhere still work."""
    return lock_option(fn, help="Accepted for pipelines that pass it to every command; this command takes no"
                       " lock, so it never waits for a run and never makes one wait.")


def _remember_value(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> None:
    ctx.meta[param.name] = value


def targeting_options(fn):
    """`--target`, `--replace` and `--delete-orphans`, read by _plan through the click context (see
    provisioner.targeting)."""
    fn = click.option("--delete-orphans", "delete_orphans", is_flag=True, expose_value=False,
                      callback=_remember_value,
                      help="Also delete the live objects tagged by this stack and workspace at addresses it no"
                      " longer declares nor tracks (orphans; without it they are listed and left alone).")(fn)
    fn = click.option("--replace", "replace", multiple=True, metavar="ADDRESS", expose_value=False,
                      callback=_remember_value,
                      help="Replace this resource even if nothing changed (create the new one, then delete"
                      " the old; refused with prevent_destroy). Repeatable.")(fn)
    return click.option("--target", "targets", multiple=True, metavar="ADDRESS", expose_value=False,
                        callback=_remember_value,
                        help="Plan only this resource and what it depends on (a partial plan; repeatable).")(fn)


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


def _load(path: Path, variables: tuple[str, ...], var_files: tuple[Path, ...], workspace: str | None = None) -> Stack:
    """The stack as deployed to `workspace` (default: the one this command works in)."""
    return load_stack(path, _parse_vars(variables), list(var_files), _trust(), workspace or _workspace())


def _provider(stack: Stack) -> dict[str, Any]:
    provider = stack.provider.model_dump()
    if provider.get("kind") == "emulator" and not provider.get("data"):
        # the embedded emulator's data belongs to the stack, wherever the command runs from
        provider["data"] = str(DEFAULT_EMULATOR_DATA)
    if provider.get("data"):
        provider["data"] = str((stack.root / provider["data"]).resolve())
    return provider


def _connect(provider: dict[str, Any]) -> contextlib.AbstractContextManager[Api]:
    from provisioner import render
    from provisioner.connection import connect
    return connect(provider, announce=lambda endpoint: click.echo(render.header_line("Endpoint", endpoint),
                                                                  err=True, nl=False))


def _location(stack: Stack, state_path: Path | None) -> Location:
    return locate(stack.name, stack.state.model_dump(), state_path, root=stack.root, workspace=stack.workspace)


def _states(stack: Stack, state_path: Path | None) -> StateManager:
    from provisioner.state.location import open_backend
    from provisioner.state.manager import StateManager
    return StateManager(open_backend(_location(stack, state_path)), stack.name)


def _counts(stack: Stack) -> dict[str, int]:
    """Declared objects by what users call them, and the functions given to assistants as tools."""
    from provisioner.resources import HANDLERS
    counts = dict.fromkeys((h.noun for h in HANDLERS.values()), 0)
    for item in _declared(stack):
        counts[HANDLERS[item.kind].noun] += 1
    return {**counts, "function": len(stack.functions)}


def _declared(stack: Stack) -> list:
    from provisioner.resources import HANDLERS
    return [d for handler in HANDLERS.values() for d in handler.declare(stack)]


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


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@stack_options
@click.option("--format", "output_format", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="json: a report for tools; github: annotation lines for GitHub Actions.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
def validate(path: Path, variables: tuple[str, ...], var_files: tuple[Path, ...], state_path: Path | None,
             output_format: str, as_json: bool) -> None:
    """Check stack files without calling the API."""
    output_format = "json" if as_json else output_format
    try:
        stack = _load(path, variables, var_files)
    except StackError as exc:
        if output_format == "text":
            raise
        click.echo(render_validation.report(output_format, exc.diagnostics))
        raise SystemExit(ExitCode.ERROR) from None
    counts = _counts(stack)
    line = (f"Stack {stack.name} is valid: "
            + ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items()) + ".")
    click.echo(render_validation.report(output_format, [], stack=stack.name, summary=line))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a stack file, for editors (yaml-language-server) and other tools."""
    from provisioner.schema import schema_json
    click.echo(schema_json(), nl=False)


@cli.command()
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


def _print_header(states: StateManager, workspace: str) -> None:
    from provisioner import render
    click.echo(render.state_header(states.backend.describe(), workspace), err=True, nl=False)


def _is_saved_plan(path: Path) -> bool:
    if not path.is_file() or path.suffix in (".yaml", ".yml"):
        return False
    with contextlib.suppress(OSError, UnicodeDecodeError):
        head = path.read_text()[:4096]
        return '"format_version"' in head and '"changes"' in head
    return False


def _read_plan(path: Path) -> Plan:
    from provisioner.plan import Plan, PlanFormatError
    try:
        return Plan.from_json(path.read_text())
    except PlanFormatError as exc:
        raise PlanFormatError(f"{path}: {exc.message}") from None
    except ValueError as exc:
        raise ProvisionerError(f"{path} is not a plan this provisioner can read: {exc}") from None


def _saved_plan(path: Path, state_path: Path | None) -> tuple[Plan, StateManager]:
    from provisioner.state.location import of_saved_plan, open_backend
    from provisioner.state.manager import StateManager
    saved = _read_plan(path)
    location = of_saved_plan(saved.state_location, saved.state_path, state_path)
    return saved, StateManager(open_backend(location), saved.stack)


@contextlib.contextmanager
def _locked(states: StateManager, who: str, path: Path, variables, var_files, state_path) -> Iterator[None]:
    """Hold the state; when another run holds it, the hint is the force-unlock command for this very
    state, as typed here (the same stack or saved plan, variables and --state), ready to paste."""
    from provisioner.state.backend import unlock_hint
    try:
        with _lock(states, who):
            yield
    except StateLockedError as exc:
        if exc.lock_id:
            words = ["provisioner", "force-unlock", str(path), exc.lock_id,
                     *(arg for pair in variables for arg in ("--var", pair)),
                     *(arg for file in var_files for arg in ("--var-file", str(file))),
                     *(["--state", str(state_path)] if state_path else []),
                     *(["--workspace", _workspace()] if _workspace() != DEFAULT_WORKSPACE else [])]
            exc.hint = unlock_hint(shlex.join(words))
        raise


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


def _write_outputs(states: StateManager) -> None:
    """Keep the outputs file next to a local state file in step with it (see provisioner.outputs).

    A state kept elsewhere has no local place for it: `provisioner output` reads it from the state."""
    from provisioner.outputs import outputs_of, outputs_path, write_outputs
    from provisioner.state.local import LocalFileBackend
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
@targeting_options
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


@cli.command()
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


@cli.command("drift")
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


@cli.command()
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


@cli.command("force-unlock")
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


cli.add_command(_LazyCommand("emulator", "provisioner.emulator.cli:emulator_command",
                             "Run a local, wire-faithful emulator of the OpenAI API."))


def _register_state() -> None:
    from provisioner.state_commands import state_group, workspace_group
    cli.add_command(state_group, "state")
    cli.add_command(workspace_group, "workspace")


def main(argv: list[str] | None = None) -> None:
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
