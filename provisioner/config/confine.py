"""Which files a stack may read: those that resolve, symlinks followed, inside its allowed folders.

Owns the rule and its message. A stack's folder (the stack directory, or the directory of the
stack file) is always allowed; the operator adds folders with `--allow-path`, and the stack's own
`allow_paths:` counts only when the operator passes `--trust-stack-paths`, since a pull request
can write it. A path is checked before anything opens it, so nothing of a refused file is read,
hashed or shown. It must not read files.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from provisioner.errors import DiagnosticCollector, SourceLocation, display_path

HINT = ("keep the file inside the stack's folder; to let stacks read another folder, whoever runs the pipeline"
        " passes --allow-path DIR (a stack's own allow_paths: counts only with --trust-stack-paths)")


class Confinement:
    def __init__(self, root: Path, allowed: Iterable[Path] = ()):
        self.root = Path(os.path.realpath(root))
        self.roots = [str(self.root)] + [os.path.realpath(p) for p in allowed]

    def contains(self, real: str) -> bool:
        """Whether a path, already resolved with realpath, lies in an allowed folder."""
        return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in self.roots)

    def outside(self, path: Path) -> str | None:
        """Where `path` really leads, if that is outside every allowed folder; None if it is inside."""
        real = os.path.realpath(path)
        return None if self.contains(real) else real

    def check(self, path: Path, what: str, where: SourceLocation | None, diags: DiagnosticCollector) -> bool:
        """Report `path` at `where` unless it may be read; `what` names the setting (`instructions_file`)."""
        try:
            real = self.outside(path)
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte
            diags.add(f"{what} {display_path(path)} cannot be used: {getattr(exc, 'strerror', None) or exc}", where)
            return False
        if real is None:
            return True
        self.refuse(path, real, what, where, diags)
        return False

    def refuse(self, path: Path, real: str, what: str, where: SourceLocation | None,
               diags: DiagnosticCollector) -> None:
        leads = "" if os.path.normpath(path) == real else f" (it leads to {real})"
        diags.add(f"{what} {display_path(path)} is outside the stack's folder {display_path(self.root)}{leads}:"
                  " a stack may only read files inside its folder", where, hint=HINT)
