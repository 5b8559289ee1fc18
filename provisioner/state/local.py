"""State in a local JSON file: atomic replace, a backup of the state before the last run, and a lock file that survives crashes.

Owns the file layout next to the state (`<path>.backup`, `<path>.lock`, `<path>.journal`) and how
it is written and locked. It must not parse the state document nor journal entries: it stores
bytes for the manager.

Journal: `<path>.journal` holds one entry per line, appended with O_APPEND and fsynced before
`append` returns. A crash mid-append can leave a last line without its newline; the next append
cuts it off first, so new entries never glue onto a torn one. While this handle holds the lock,
every write first checks that the lock file is still its own: a run whose lock was force-unlocked
and taken by another run cannot write over that run's state.

Locking: `<path>.lock` holds a JSON LockInfo, and the holder keeps an `fcntl.flock` on it for as
long as it runs. The kernel drops a flock when its process dies, so a lock file whose flock is free
is stale, and a new run on the same host may take it over. The file is prepared under a temporary
name (created with O_CREAT|O_EXCL), flocked and filled first, and only then published with
`os.link`, which like O_EXCL fails if the name exists. So a lock file visible under its real name
is always complete and already flocked; a half-created lock can never be mistaken for a stale one.
"""
from __future__ import annotations

import fcntl
import logging
import os
import socket
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from provisioner.errors import StateError, StateLockedError, display_path
from provisioner.private_files import PRIVATE, fsync_dir, write_atomic
from provisioner.state.backend import KeptVersion, LockInfo, locked_error, utc_text

log = logging.getLogger(__name__)

# Attempts to take the lock while other runs create, release or take over lock files under our
# feet; each retry means another run changed the lock file, so this only bounds a pathological race.
_LOCK_ATTEMPTS = 20


class LocalFileBackend:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.journal_path = self.path.with_name(self.path.name + ".journal")
        self._held: int | None = None  # the lock file's descriptor while this handle holds the lock
        self._journal: int | None = None  # the journal's descriptor, open for appending

    def describe(self) -> str:
        return display_path(self.path)

    def read(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read state {self.describe()}: {exc.strerror}") from exc

    def write(self, data: bytes) -> None:
        self._check_still_held()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, data)
            self._close_journal()
            if self.journal_path.exists():
                self.journal_path.unlink()
                fsync_dir(self.path.parent)
        except OSError as exc:
            raise StateError(f"cannot write state {self.describe()}: {exc.strerror or exc}") from exc

    def keep_version(self, data: bytes, serial: int, run: str) -> None:
        # one version only, and a plain state document, so a user can also restore it by hand (cp)
        self._check_still_held()
        try:
            write_atomic(self.backup_path, data)
        except OSError as exc:
            raise StateError(f"cannot write state backup {display_path(self.backup_path)}:"
                             f" {exc.strerror or exc}") from exc

    def versions(self) -> list[KeptVersion]:
        try:
            saved = datetime.fromtimestamp(self.backup_path.stat().st_mtime, timezone.utc)
        except FileNotFoundError:
            return []
        return [KeptVersion(key="backup", saved_at=utc_text(saved))]

    def read_version(self, key: str) -> bytes | None:
        if key != "backup":
            return None
        try:
            return self.backup_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read state backup {display_path(self.backup_path)}: {exc.strerror}") from exc

    def read_journal(self) -> list[bytes]:
        try:
            data = self.journal_path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StateError(f"cannot read state journal {display_path(self.journal_path)}: {exc.strerror}") from exc
        return [line for line in data.split(b"\n") if line]

    def append(self, entries: list[bytes]) -> None:
        self._check_still_held()
        try:
            if self._journal is None:
                self._journal = self._open_journal()
            os.write(self._journal, b"".join(entry + b"\n" for entry in entries))
            os.fsync(self._journal)
        except OSError as exc:
            raise StateError(f"cannot write state journal {display_path(self.journal_path)}:"
                             f" {exc.strerror or exc}") from exc

    def _open_journal(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.journal_path.exists()
        fd = os.open(self.journal_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, PRIVATE)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            # a torn last line, left by a crash mid-append: cut it off so the next entry starts clean
            os.ftruncate(fd, os.pread(fd, size, 0).rfind(b"\n") + 1)
            os.fsync(fd)
        if created:
            fsync_dir(self.path.parent)
        return fd

    def _close_journal(self) -> None:
        if self._journal is not None:
            os.close(self._journal)
            self._journal = None

    def _check_still_held(self) -> None:
        if self._held is not None and not _same_file(self._held, self.lock_path):
            raise StateError(
                f"cannot write state {self.describe()}: this run's lock was removed (force-unlock?)"
                " and another run may hold it now",
                hint="run plan again once the other run has finished",
            )

    @contextmanager
    def lock(self, who: str) -> Iterator[None]:
        try:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            fd = self._acquire(who)
        except OSError as exc:
            raise StateError(f"cannot lock state {self.describe()}: {exc.strerror or exc}") from exc
        self._held = fd
        try:
            yield
        finally:
            self._held = None
            self._close_journal()
            self._release(fd)

    def _acquire(self, who: str) -> int:
        """Take the lock; returns the descriptor whose flock holds it."""
        info = LockInfo(who=who)
        tmp = self.lock_path.with_name(f".{self.lock_path.name}.{info.id}.tmp")
        fd = self._prepare(tmp, info)
        try:
            for _ in range(_LOCK_ATTEMPTS):
                try:
                    os.link(tmp, self.lock_path)
                    return fd
                except FileExistsError:
                    pass
                # A lock file is there: live (flock held), stale (flock free) or just released.
                if self._replace_if_stale(tmp):
                    return fd
        except BaseException:
            os.close(fd)
            raise
        finally:
            tmp.unlink(missing_ok=True)
        os.close(fd)
        raise StateLockedError(
            f"state {self.describe()}: could not take the lock, other runs kept changing {self.lock_path.name}",
            hint="try again when the other runs have finished",
        )

    def _prepare(self, tmp: Path, info: LockInfo) -> int:
        """A fully written, flocked lock file under a temporary name; returns its descriptor."""
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, info.to_json())
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        return fd

    def _replace_if_stale(self, ours: Path) -> bool:
        """Move our prepared lock file over a stale one; raise if the lock is live.

        False means the lock file changed while we looked (released or taken over): try again.
        """
        try:
            old_fd = os.open(self.lock_path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            try:
                fcntl.flock(old_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise locked_error(self.describe(), LockInfo.from_json(_read_all(old_fd))) from None
            # We hold the old file's flock, but it may have been unlinked or replaced before we
            # got it; only the file still under the lock name counts.
            if not _same_file(old_fd, self.lock_path):
                return False
            holder = LockInfo.from_json(_read_all(old_fd))
            if holder is not None and holder.host != socket.gethostname():
                # flock does not reach across hosts on network file systems: we cannot tell
                # whether that holder still runs, so only the user may release it.
                raise locked_error(
                    self.describe(), holder,
                    f"it was taken on another host, so this run cannot tell whether pid {holder.pid}"
                    " still runs",
                )
            # Still holding the stale file's flock, so no other run can take it over at the same time.
            os.replace(ours, self.lock_path)
            log.warning(
                "took over the stale lock on state %s: %s", self.describe(),
                f"{holder} is no longer running on this host" if holder else "its lock record was unreadable",
            )
            return True
        finally:
            os.close(old_fd)

    def _release(self, fd: int) -> None:
        try:
            # Unlink while still holding the flock, and only if the file is still ours: a
            # force-unlock may have handed the name to another run meanwhile.
            if _same_file(fd, self.lock_path):
                self.lock_path.unlink()
        finally:
            os.close(fd)

    def force_unlock(self, lock_id: str) -> None:
        try:
            fd = os.open(self.lock_path, os.O_RDONLY)
        except FileNotFoundError:
            raise StateError(f"state {self.describe()} is not locked") from None
        try:
            holder = LockInfo.from_json(_read_all(fd))
            self._check_unlock(holder, lock_id)
            # Remove only the file we read: another run may have replaced a stale lock meanwhile.
            if _same_file(fd, self.lock_path):
                self.lock_path.unlink(missing_ok=True)
        finally:
            os.close(fd)
        log.warning("force-unlocked state %s, held by %s", self.describe(), holder)

    def _check_unlock(self, holder: LockInfo | None, lock_id: str) -> None:
        if holder is None:
            raise StateError(
                f"the lock record {display_path(self.lock_path)} is unreadable",
                hint="make sure no run is using this state, then delete that file by hand",
            )
        if holder.id != lock_id:
            raise StateError(
                f"state {self.describe()} is locked with id {holder.id}, not {lock_id}",
                hint=f"the lock is held by {holder}; pass its id if you are sure that run is gone",
            )


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)
