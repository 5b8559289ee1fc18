"""The options commands share, and the global settings: what the operator trusts (--allow-*,
--parse-limit), the workspace, the stack's variables and --state, --lock-timeout and targeting.

Owns declaring these options and reading back what they were given, through the click context so
that commands need not pass them on. It must not load, connect or lock: that is
provisioner.commands.run's.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from provisioner.config.yaml_source import ParseLimits
from provisioner.state.waiting import parse_duration
from provisioner.trust import DEFAULT_KEY_ENV, ENDPOINTS_ENV, ENV_VARS_ENV, KEY_ENVS_ENV, Trust
from provisioner.workspaces import DEFAULT_WORKSPACE, WORKSPACE_ENV, bad_name


@dataclass
class Settings:
    debug: bool
    color: bool
    interactive: bool


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
                      help="Also delete the live objects tagged by this stack and workspace that it neither"
                      " tracks nor adopts, a duplicate of a tracked address included (orphans; without it they"
                      " are listed and left alone).")(fn)
    fn = click.option("--replace", "replace", multiple=True, metavar="ADDRESS", expose_value=False,
                      callback=_remember_value,
                      help="Replace this resource even if nothing changed (create the new one, then delete"
                      " the old; refused with prevent_destroy). Repeatable.")(fn)
    return click.option("--target", "targets", multiple=True, metavar="ADDRESS", expose_value=False,
                        callback=_remember_value,
                        help="Plan only this resource and what it depends on (a partial plan; repeatable).")(fn)

