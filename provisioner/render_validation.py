"""Validation results as text, JSON (versioned, for tools) or GitHub Actions annotation lines.

It lays out the diagnostics the loader collected; it must not validate anything.
"""
from __future__ import annotations

import json

from provisioner.errors import Diagnostic, display_path

FORMAT_VERSION = 1


def report(output_format: str, diagnostics: list[Diagnostic], *, stack: str | None = None, summary: str = "") -> str:
    if output_format == "json":
        return json.dumps({"format_version": FORMAT_VERSION, "valid": not diagnostics, "stack": stack,
                           "errors": [_entry(d) for d in diagnostics]}, indent=2, ensure_ascii=False)
    if output_format == "github":
        return "\n".join(_annotation(d) for d in diagnostics) if diagnostics else summary
    return summary


def _entry(d: Diagnostic) -> dict:
    where = d.location
    return {"file": display_path(where.file) if where else None, "line": where.line if where else None,
            "column": where.column if where else None, "message": d.message, "hint": d.hint}


def _annotation(d: Diagnostic) -> str:
    """`::error file=F,line=L,col=C::message`, escaped as GitHub's workflow commands require."""
    properties = []
    if d.location:
        properties.append(f"file={_escape_property(display_path(d.location.file))}")
        if d.location.line is not None:
            properties.append(f"line={d.location.line}")
            if d.location.column is not None:
                properties.append(f"col={d.location.column}")
    properties.append("title=provisioner validate")
    message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
    return f"::error {','.join(properties)}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
