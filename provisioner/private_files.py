"""Files the tool writes on the user's disk: private to their owner, and replaced atomically.

Owns the mode of what the tool writes (state, backups, locks, outputs, saved plans): created 0600,
because they name live resources and may be read by anyone on a shared runner otherwise; a file
that already exists keeps any stricter mode, never a looser one. It must not know what the files
hold.
"""
from __future__ import annotations

import errno
import os
import stat
import uuid
from pathlib import Path

PRIVATE = 0o600


def private_mode(target: Path) -> int:
    """The mode to write `target` with: 0600, less what its current mode denies (a rewrite never loosens it)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode) & PRIVATE
    except FileNotFoundError:
        return PRIVATE


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` in one step: readers see the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    # os.replace keeps the mode the temporary file was created with
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, private_mode(path))
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable: it is on disk only once the directory entry is."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)
