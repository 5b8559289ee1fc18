"""A small multipart/form-data reader for file uploads.

Owns splitting a body into named fields and files. Must not validate API fields.
(`cgi` is deprecated and gone in Python 3.13, and `email` mangles binary parts.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import invalid


@dataclass
class Part:
    name: str
    filename: str | None
    content: bytes


def _boundary(content_type: str) -> bytes:
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.lower().startswith("multipart/form-data") or not found:
        raise invalid(
            "Invalid Content-Type header. Expected multipart/form-data with a boundary.",
            code="invalid_content_type",
        )
    return found.group(1).encode("latin-1")


def _disposition_param(header: str, key: str) -> str | None:
    # Anchored on `;` so that `name=` does not match inside `filename=`.
    found = re.search(rf'(?:^|;)\s*{key}="((?:[^"\\]|\\.)*)"', header) or re.search(
        rf"(?:^|;)\s*{key}=([^;\s]+)", header
    )
    return found.group(1).replace('\\"', '"') if found else None


def parse(content_type: str, body: bytes) -> dict[str, Part]:
    delimiter = b"--" + _boundary(content_type)
    parts: dict[str, Part] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, _, content = chunk.partition(b"\r\n\r\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _disposition_param(disposition, "name")
        if name is None:
            continue
        parts[name] = Part(name=name, filename=_disposition_param(disposition, "filename"), content=content)
    return parts
