"""Where a stack's state lives, as plain data a saved plan can carry, and opening a backend there.

Owns turning a stack's `state:` settings (or `--state FILE`) into a location such as
`{"backend": "postgres", "name": "support-bot", "conninfo_env": "PROVISIONER_PG_CONNINFO"}`, and
a location into a backend, and which workspaces have state beside the default workspace's location.
A location names the environment variable holding a connection string, never the string: plans
are committed and shared. It must not read, write or lock state.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from provisioner.errors import StateError
from provisioner.state.backend import StateBackend
from provisioner.state.local import LocalFileBackend
from provisioner.state.postgres import PostgresBackend
from provisioner.workspaces import DEFAULT_WORKSPACE, bad_name

STATE_DIR = Path("state")

Location = dict[str, str]


def locate(stack_name: str, settings: Mapping[str, Any] | None, override: Path | None = None,
           root: Path | None = None, workspace: str = DEFAULT_WORKSPACE) -> Location:
    """The location of a stack's state in `workspace`: `--state FILE` wins, then the stack's `state:` block.

    The default file is under the stack's `root`, not the working directory, so every way of naming
    the same stack (`plan .` inside it, `plan path/to/stack` from elsewhere) finds the same state.
    `--state FILE` stays as the operator typed it: relative to the working directory.
    A workspace other than the default has its own: `state/<workspace>/<stack>.json`, or the row
    `<stack>/<workspace>` (stack names have no "/"). A path or row name the stack writes is made
    the workspace's own by the loader, which alone sees whether it was written with ${workspace}."""
    if override is not None:
        return {"backend": "local", "path": str(override)}
    settings = settings or {}
    apart = workspace != DEFAULT_WORKSPACE
    if settings.get("backend") == "postgres":
        return {"backend": "postgres", "name": settings.get("name") or (
                f"{stack_name}/{workspace}" if apart else stack_name), "conninfo_env": settings["conninfo_env"]}
    folder = (root.absolute() if root is not None else Path()) / STATE_DIR
    default = (folder / workspace if apart else folder) / f"{stack_name}.json"
    return {"backend": "local", "path": settings.get("path") or str(default)}


def of_saved_plan(recorded: Mapping[str, str], state_path: str, override: Path | None) -> Location:
    """Where a saved plan applies: where it was planned, unless `--state FILE` says otherwise."""
    if override is not None or not recorded:  # plans saved before locations were recorded: a file
        return {"backend": "local", "path": str(override or state_path)}
    return dict(recorded)


def open_backend(location: Mapping[str, str], env: Mapping[str, str] = os.environ) -> StateBackend:
    if location.get("backend") == "postgres":
        variable = location["conninfo_env"]
        conninfo = env.get(variable, "")
        if not conninfo.strip():
            raise StateError(
                f"the state of this stack is in PostgreSQL, and ${variable}, which should hold the"
                " connection string, is not set",
                hint=f"export {variable}='host=... dbname=... user=... password=...' (or a postgresql:// URL)",
            )
        return PostgresBackend(conninfo, location["name"])
    if location.get("backend", "local") != "local":
        raise StateError(f"unknown state backend {location.get('backend')!r}",
                         hint="this provisioner knows local and postgres; is it older than the one that"
                         " saved the plan?")
    return LocalFileBackend(location["path"])


def workspaces_with_state(default: Location, env: Mapping[str, str] = os.environ) -> list[str]:
    """The workspaces that have state (a snapshot or a journal), `default` first: the one at `default`,
    the default workspace's location, and those where `locate` puts theirs: `<workspace>/<file>` in
    its folder, or the row `<name>/<workspace>`."""
    backend = open_backend(default, env)
    if isinstance(backend, PostgresBackend):
        found = [row.removeprefix(f"{backend.name}/") if row != backend.name else DEFAULT_WORKSPACE
                 for row in backend.workspace_rows()]
    else:
        folder, name = Path(default["path"]).parent, Path(default["path"]).name
        found = [DEFAULT_WORKSPACE] if _holds_state(LocalFileBackend(folder / name)) else []
        found += [d.name for d in (folder.iterdir() if folder.is_dir() else ())
                  if d.name != DEFAULT_WORKSPACE and d.is_dir() and _holds_state(LocalFileBackend(d / name))]
    return sorted({w for w in found if bad_name(w) is None}, key=lambda w: (w != DEFAULT_WORKSPACE, w))


def _holds_state(backend: LocalFileBackend) -> bool:
    return backend.path.is_file() or backend.journal_path.is_file()
