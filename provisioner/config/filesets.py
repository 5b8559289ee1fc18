"""Local files to upload: `files:` entries and the members of `file_sets:`.

Owns resolving paths and globs against the directory of the stack file that declares them
(never walking or matching outside the allowed folders of `confine.py`),
reading and hashing content, and naming set members. A set member's address key is its path
relative to the stack root with forward slashes (`file_sets.docs["guide/intro.md"]`); it is
uploaded under its basename (`intro.md`), as a user would name the file. Globs follow Python's
`glob` with `**` for any depth; hidden files are only matched by patterns that name the dot.
It must not call the API.
"""
from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
import stat
from pathlib import Path

from provisioner.addresses import address
from provisioner.config.confine import HINT, Confinement
from provisioner.config.spec import FilePurpose, FileSetSpec, LocalFile
from provisioner.errors import DiagnosticCollector, SourceLocation, display_path

# the Files API refuses larger uploads
MAX_FILE_BYTES = 512 * 1024 * 1024


def local_file(address: str, path: Path, filename: str, purpose: FilePurpose,
               where: SourceLocation | None, diags: DiagnosticCollector,
               info: os.stat_result | None = None) -> LocalFile | None:
    """Read and hash one file; report it at `where` if it is missing, empty or too large.

    `info` is the file's stat if the caller has it already: a set of thousands stats each once.
    """
    try:
        info = info or os.stat(path)
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
    try:
        # a small file in one read (a set may hold thousands); a large one in chunks
        with open(path, "rb", buffering=0) as handle:
            digest = hashlib.sha256(handle.read()) if size <= 1 << 20 else hashlib.file_digest(handle, "sha256")
    except OSError as exc:
        diags.add(f"cannot read {display_path(path)}: {exc.strerror}", where)
        return None
    # every field is made here, from values already checked: no validation per file of a large set
    return LocalFile.model_construct(address=address, path=path, filename=filename, purpose=purpose,
                                     sha256=digest.hexdigest(), size=size)


def expand_set(name: str, spec: FileSetSpec, base: Path, root: Path, confinement: Confinement,
               where: SourceLocation | None, diags: DiagnosticCollector) -> list[LocalFile]:
    """The set's members in path order: include matches minus exclude matches, regular files only.

    Only what lies inside the allowed folders is walked or matched: a pattern that starts outside,
    a symlinked file or folder leading outside, is an error, reported before anything is read.
    """
    matcher = _Matcher(base, confinement, where, diags)
    included = matcher.matches(spec.include, report=True)
    excluded = matcher.matches(spec.exclude, report=False)
    if matcher.refused:
        return []
    files = []  # (key, path, stat): each file is stat'ed once, and its key made once
    for path in included - excluded:
        info = _regular_file(path)
        if info is not None:
            files.append((_key(path, root), path, info))
    if not files:
        patterns = ", ".join(spec.include)
        unless = " once excludes are removed" if included else ""
        diags.add(f'file set "{name}" matches no file{unless} ({patterns}, in {display_path(base)})', where,
                  hint="patterns are relative to the stack file; use ** to match any depth")
        return []
    files.sort(key=lambda f: f[0])
    members = []
    for key, path, info in files:
        if '"' in key:
            # the key is quoted inside the address (file_sets.docs["..."]), so it cannot hold a quote
            diags.add(f'file set "{name}" matches {key}, whose name has a double quote', where,
                      hint="rename the file, or add it to exclude:")
            continue
        file = Path(path)
        member = local_file(address("file_sets", name, key), file, file.name, spec.purpose, where, diags, info)
        if member:
            members.append(member)
    return members


def _regular_file(path: str) -> os.stat_result | None:
    """The stat of what `path` leads to, if it is a regular file (as Path.is_file says)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info if stat.S_ISREG(info.st_mode) else None


class _Matcher:
    """Python glob's rules (`**` any depth, `*` and `**` skip dot-files unless the pattern names the
    dot), on a walk that never leaves the allowed folders and visits each folder once (symlink loops)."""

    def __init__(self, base: Path, confinement: Confinement, where: SourceLocation | None,
                 diags: DiagnosticCollector):
        self.base = base
        self.confinement = confinement
        self.where = where
        self.diags = diags
        self.walks: dict[tuple[str, bool], tuple[list[tuple[tuple[str, ...], str]], list[tuple[tuple[str, ...], str]]]] = {}
        self.refused = False

    def _refuse(self, message: str, report: bool, hint: str = HINT) -> None:
        self.refused = True
        if report:
            self.diags.add(message, self.where, hint=hint)

    def matches(self, patterns: list[str], report: bool) -> set[str]:
        """The paths (normalised, as text: a set holds thousands) that `patterns` match."""
        found: set[str] = set()
        for pattern in patterns:
            parts = [p for p in pattern.split("/") if p not in ("", ".")]
            literal: list[str] = []
            while parts and not glob.has_magic(parts[0]):
                literal.append(parts.pop(0))
            start = Path(os.path.normpath(Path(pattern[:1] if pattern.startswith("/") else self.base, *literal)))
            if ".." in parts:
                self._refuse(f'pattern "{pattern}" climbs with ".." after a wildcard: a pattern must stay inside'
                             " the folder it names", True, hint="name the folder before the wildcards")
                continue
            try:
                real = self.confinement.outside(start)
            except (OSError, ValueError) as exc:
                self._refuse(f'pattern "{pattern}" cannot be used: {getattr(exc, "strerror", None) or exc}', report)
                continue
            if real is not None:
                leads = "" if str(start) == real else f" (it leads to {real})"
                self._refuse(f'pattern "{pattern}" reaches {display_path(start)}{leads}, outside the stack\'s folder'
                             f" {display_path(self.confinement.root)}: a stack may only read files inside its folder",
                             report)
                continue
            if not parts:
                if os.path.lexists(start):
                    found.add(str(start))
                continue
            files, links_out = self._walk(start, any(p.startswith(".") for p in parts))
            for rel, target in links_out:
                if _match(parts, rel, prefix=True):
                    self._refuse(f'pattern "{pattern}" reaches the symlinked folder {display_path(start.joinpath(*rel))},'
                                 f" which leads to {target}, outside the stack's folder"
                                 f" {display_path(self.confinement.root)}", report)
            folder = str(start)
            for rel, target in files:
                if not _match(parts, rel):
                    continue
                path = os.path.join(folder, *rel)
                if not self.confinement.contains(target):
                    self._refuse(f'pattern "{pattern}" matches the symlink {display_path(path)}, which leads to'
                                 f" {target}, outside the stack's folder {display_path(self.confinement.root)}", report)
                    continue
                found.add(path)
        return found

    def _walk(self, start: Path, hidden: bool):
        """Every file under `start` as (relative parts, real path), and symlinked folders leading outside."""
        cached = self.walks.get((str(start), hidden))
        if cached is not None:
            return cached
        files: list[tuple[tuple[str, ...], str]] = []
        links_out: list[tuple[tuple[str, ...], str]] = []
        start_real = os.path.realpath(start)
        seen = {start_real}
        pending: list[tuple[tuple[str, ...], str, str]] = [((), str(start), start_real)]
        while pending:
            rel, folder, folder_real = pending.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                parts = rel + (entry.name,)
                try:
                    is_dir = entry.is_dir()
                    is_link = entry.is_symlink()
                except OSError:
                    continue
                real = os.path.realpath(entry.path) if is_link else os.path.join(folder_real, entry.name)
                if not is_dir:
                    files.append((parts, real))
                elif entry.name.startswith(".") and not hidden:
                    continue
                elif not self.confinement.contains(real):
                    links_out.append((parts, real))
                elif real not in seen:
                    seen.add(real)
                    pending.append((parts, entry.path, real))
        self.walks[(str(start), hidden)] = files, links_out
        return files, links_out


def _match(pattern: list[str], names: tuple[str, ...], prefix: bool = False) -> bool:
    """Whether path components `names` match `pattern`'s; with `prefix`, whether something below them could."""
    states = _closure(pattern, {0})
    for name in names:
        hidden = name.startswith(".")
        following = set()
        for i in states:
            if i == len(pattern):
                continue
            part = pattern[i]
            if part == "**":
                if not hidden:
                    following.add(i)
            elif fnmatch.fnmatchcase(name, part) and (not hidden or part.startswith(".")):
                following.add(i + 1)
        states = _closure(pattern, following)
        if not states:
            return False
    return any(i < len(pattern) for i in states) if prefix else len(pattern) in states


def _closure(pattern: list[str], states: set[int]) -> set[int]:
    # `**` also matches no folder at all
    result = set(states)
    for i in sorted(states):
        while i < len(pattern) and pattern[i] == "**":
            i += 1
            result.add(i)
    return result


def _key(path: str, root: Path) -> str:
    # the common case without relpath's normalising of both paths: a normalised path inside the root
    inside = str(root) + os.sep
    if path.startswith(inside) and os.path.normpath(root) == str(root):
        return path[len(inside):].replace(os.sep, "/")
    return Path(os.path.relpath(path, root)).as_posix()
