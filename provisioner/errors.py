"""Errors and diagnostics shared by every stage.

Owns the one root exception, source locations and the collection of diagnostics, so validation
reports every problem at once. It must not print or decide exit codes: the CLI does that.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceLocation:
    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True)
class Diagnostic:
    message: str
    location: SourceLocation | None = None
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class ProvisionerError(Exception):
    """Root of every error the CLI turns into a clean message and exit code 1."""

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class StackError(ProvisionerError):
    """One or more problems in the stack files; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        count = len(self.diagnostics)
        head = f"{count} error{'s' if count != 1 else ''} in the stack"
        super().__init__(head + ":\n" + "\n".join(f"- {d}" for d in self.diagnostics))


class StateError(ProvisionerError):
    """The state file is unreadable, locked by another run, or from another lineage."""


class StateLockedError(StateError):
    """`lock_id` names the held lock (None when its record is unreadable), for a force-unlock hint."""

    def __init__(self, message: str, *, lock_id: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.lock_id = lock_id


class ApiError(ProvisionerError):
    """The endpoint answered with an error we cannot recover from."""


class StalePlanError(ProvisionerError):
    """A saved plan no longer matches the state or the live resources."""


@dataclass
class DiagnosticCollector:
    """Gathers diagnostics so that one run reports them all."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, message: str, location: SourceLocation | None = None, hint: str | None = None) -> None:
        self.items.append(Diagnostic(message, location, hint))

    def raise_if_any(self) -> None:
        if self.items:
            raise StackError(self.items)


def display_path(path: Path | str) -> str:
    """A path as the user would type it: relative to the working directory when possible."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)
