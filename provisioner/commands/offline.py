"""The commands that never connect: validate (check the stack files) and schema (print the stack
files' JSON Schema).

Owns these two. They run in CI on every change, so this module must import nothing that talks to
the API (the SDK, the planner, the renderers of plans): tests/cli/test_offline_imports.py checks it.
"""
from __future__ import annotations

from pathlib import Path

import click

from provisioner import render_validation
from provisioner.commands.options import stack_options
from provisioner.commands.run import ExitCode, _declared, _load
from provisioner.config.spec import Stack
from provisioner.errors import StackError


def _counts(stack: Stack) -> dict[str, int]:
    """Declared objects by what users call them, and the functions given to assistants as tools."""
    from provisioner.resources import HANDLERS
    counts = dict.fromkeys((h.noun for h in HANDLERS.values()), 0)
    for item in _declared(stack):
        counts[HANDLERS[item.kind].noun] += 1
    return {**counts, "function": len(stack.functions)}


@click.command()
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


@click.command()
def schema() -> None:
    """Print the JSON Schema of a stack file, for editors (yaml-language-server) and other tools."""
    from provisioner.schema import schema_json
    click.echo(schema_json(), nl=False)

