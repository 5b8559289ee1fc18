"""The command line: the `provisioner` group, its global options (--debug, --no-color, also after the
subcommand), the registration of every command, and the one place that maps errors to exit codes.

Exit codes: 0 success (or no changes), 1 error, 2 changes present (only with --detailed-exitcode).
Tracebacks only with --debug. The commands live in provisioner.commands (and provisioner.state_commands);
this module must hold no command of its own, nor import what only a command needs.
"""
from __future__ import annotations

import importlib
import os
import sys
import traceback

import click

from provisioner.commands import changes, offline, reading
from provisioner.commands.options import Settings
from provisioner.commands.run import ExitCode
from provisioner.errors import ProvisionerError, StackError
from provisioner.state_commands import state_group, workspace_group


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


for command in (offline.validate, offline.schema, changes.plan, changes.apply, changes.destroy, reading.show,
                reading.output, reading.import_command, reading.drift_command, reading.refresh, reading.force_unlock,
                state_group, workspace_group):
    cli.add_command(command)
cli.add_command(_LazyCommand("emulator", "provisioner.emulator.cli:emulator_command",
                             "Run a local, wire-faithful emulator of the OpenAI API."))


def main(argv: list[str] | None = None) -> None:
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
