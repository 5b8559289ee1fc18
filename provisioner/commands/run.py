"""What running a command takes, shared by the commands: load the stack (with the operator's trust
and the workspace), connect (announcing the endpoint), open and lock its state (with
--lock-timeout), read a saved plan, ask for confirmation, keep the outputs file in step.

Owns these steps and the exit codes. It must not decide anything a plan decides, nor print
anything but a run's headers, prompts and lock waits.
"""
from __future__ import annotations

import contextlib
import shlex
import sys
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import click

from provisioner.commands.options import Settings, _trust, _workspace
from provisioner.config.loader import load_stack
from provisioner.config.spec import Stack
from provisioner.connection import DEFAULT_EMULATOR_DATA
from provisioner.errors import ProvisionerError, StateLockedError
from provisioner.state.location import locate
from provisioner.state.waiting import lock_waiting
from provisioner.workspaces import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from provisioner.api.base import Api
    from provisioner.plan import Plan
    from provisioner.state.location import Location
    from provisioner.state.manager import StateManager


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    CHANGES = 2
    INTERRUPTED = 130


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


def _declared(stack: Stack) -> list:
    from provisioner.resources import HANDLERS
    return [d for handler in HANDLERS.values() for d in handler.declare(stack)]


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


def _write_outputs(states: StateManager) -> None:
    """Keep the outputs file next to a local state file in step with it (see provisioner.outputs).

    A state kept elsewhere has no local place for it: `provisioner output` reads it from the state."""
    from provisioner.outputs import outputs_of, outputs_path, write_outputs
    from provisioner.state.local import LocalFileBackend
    if isinstance(states.backend, LocalFileBackend):
        write_outputs(outputs_path(states.backend.path), outputs_of(states.current()))

