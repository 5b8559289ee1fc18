"""Workspaces: the environments (dev, staging, prod) one stack is deployed to, each apart.

Owns the name rule, where the name comes from (`--workspace`, else $PROVISIONER_WORKSPACE, else
`default`) and the one message for a bad name. What a workspace separates is decided where it
applies: its own state (provisioner.state.location), its own ownership tag
(provisioner.resources.base.OWNER_WORKSPACE), `${workspace}` and per-workspace variable defaults
(provisioner.config). It must not read files or call the network.
"""
from __future__ import annotations

import re

DEFAULT_WORKSPACE = "default"  # whose objects carry no workspace tag, and whose state keeps its old place
WORKSPACE_ENV = "PROVISIONER_WORKSPACE"
# short and plain: it becomes a folder name, part of a PostgreSQL row name and a metadata value
WORKSPACE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
_NAME = re.compile(WORKSPACE_PATTERN)
RULE = "1 to 32 lowercase letters, digits, '-' or '_', starting with a letter or digit"


def bad_name(name: str) -> str | None:
    """Why `name` cannot name a workspace, or None when it can."""
    if _NAME.fullmatch(name):  # match's `$` would let "prod\n" through
        return None
    return f"{name!r} is not a workspace name: use {RULE} (e.g. dev, staging, prod)"
