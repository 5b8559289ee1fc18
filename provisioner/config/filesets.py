"""Local files to upload: `files:` entries and the members of `file_sets:`.

Owns resolving paths and globs against the directory of the stack file that declares them,
reading and hashing content, and naming set members. A set member's address key is its path
relative to the stack root with forward slashes (`file_sets.docs["guide/intro.md"]`); it is
uploaded under its basename (`intro.md`), as a user would name the file. Globs follow Python's
`glob` with `**` for any depth; hidden files are only matched by patterns that name the dot.
It must not call the API.
"""
from __future__ import annotations

import glob
import hashlib
import os
import stat
from pathlib import Path

from provisioner.addresses import address
from provisioner.config.spec import FilePurpose, FileSetSpec, LocalFile
from provisioner.errors import DiagnosticCollector, SourceLocation, display_path

# the Files API refuses larger uploads
MAX_FILE_BYTES = 512 * 1024 * 1024


def local_file(address: str, path: Path, filename: str, purpose: FilePurpose,
               where: SourceLocation | None, diags: DiagnosticCollector) -> LocalFile | None:
    """Read and hash one file; report it at `where` if it is missing, empty or too large."""
    try:
        info = path.stat()
    except FileNotFoundError:
        hint = ("a files: entry is one file; use file_sets: with include: for a pattern" if glob.has_magic(str(path))
                else "paths are relative to the stack file that names them")
        diags.add(f"file not found: {display_path(path)}", where, hint=hint)
        return None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        diags.add(f"cannot read {display_path(path)}: {getattr(exc, 'strerror', None) or exc}", where)
        return None
    if not stat.S_ISREG(info.st_mode):
        diags.add(f"not a regular file: {display_path(path)}", where)
        return None
    size = info.st_size
    if size == 0:
        diags.add(f"file is empty: {display_path(path)}", where, hint="the Files API rejects empty files")
        return None
    if size > MAX_FILE_BYTES:
        diags.add(f"file is larger than 512 MB: {display_path(path)}", where, hint="the Files API rejects it")
        return None
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        diags.add(f"cannot read {display_path(path)}: {exc.strerror}", where)
        return None
    return LocalFile(address=address, path=path, filename=filename, purpose=purpose,
                     sha256=digest.hexdigest(), size=size)


def expand_set(name: str, spec: FileSetSpec, base: Path, root: Path,
               where: SourceLocation | None, diags: DiagnosticCollector) -> list[LocalFile]:
    """The set's members in path order: include matches minus exclude matches, regular files only."""
    included = _matches(spec.include, base)
    excluded = _matches(spec.exclude, base)
    prefix = os.path.join(os.path.abspath(root), "")
    keyed = sorted((_key(p, root, prefix), p) for p in included - excluded if p.is_file())
    if not keyed:
        patterns = ", ".join(spec.include)
        unless = " once excludes are removed" if included else ""
        diags.add(f'file set "{name}" matches no file{unless} ({patterns}, in {display_path(base)})', where,
                  hint="patterns are relative to the stack file; use ** to match any depth")
        return []
    members = []
    for key, path in keyed:
        if '"' in key:
            # the key is quoted inside the address (file_sets.docs["..."]), so it cannot hold a quote
            diags.add(f'file set "{name}" matches {key}, whose name has a double quote', where,
                      hint="rename the file, or add it to exclude:")
            continue
        member = local_file(address("file_sets", name, key), path, path.name, spec.purpose, where, diags)
        if member:
            members.append(member)
    return members


def _matches(patterns: list[str], base: Path) -> set[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        for match in glob.glob(pattern, root_dir=base, recursive=True):
            found.add(Path(os.path.normpath(base / match)))
    return found


def _key(path: Path, root: Path, prefix: str) -> str:
    text = str(path)
    if text.startswith(prefix):  # the usual case, without relpath's two abspath calls a file
        return Path(text[len(prefix):]).as_posix()
    return Path(os.path.relpath(path, root)).as_posix()
