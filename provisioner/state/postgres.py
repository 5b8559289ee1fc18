"""State in PostgreSQL: one row per stack name, and a session advisory lock, so pipelines share state.

Owns the four tables (`provisioner_state` for the snapshot, `provisioner_state_journal` for the
entries appended since, keyed by (name, seq), `provisioner_state_version` for the state as it was
before each of the last KEEP_VERSIONS runs that wrote, and `provisioner_state_lock` for who holds a lock)
and how rows are read, written and locked. It must not parse the state document, and it
must never put the connection string in a message or in `describe()`: it may hold a password.

Locking: `lock()` opens a dedicated connection and takes `pg_try_advisory_lock(key)` on it, the key
a 64-bit hash of the stack name. The server releases a session advisory lock when its connection
ends, so a crashed or killed holder never leaves the state locked. The lock row only names the
holder for the error message; it counts only while the connection it names (`backend_pid`) is the
one holding the advisory lock, so a row left behind by a dead holder is ignored and overwritten.
"""
from __future__ import annotations

import hashlib
import logging
import time
from contextlib import contextmanager
from typing import Any, Iterator

from provisioner.errors import StateError
from provisioner.state.backend import KEEP_VERSIONS, KeptVersion, LockInfo, locked_error, utc_text

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS provisioner_state (
    name text PRIMARY KEY,
    data bytea NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS provisioner_state_journal (
    name text NOT NULL,
    seq bigint NOT NULL,
    entry bytea NOT NULL,
    PRIMARY KEY (name, seq)
);
CREATE TABLE IF NOT EXISTS provisioner_state_version (
    name text NOT NULL,
    serial bigint NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now(),
    run text NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (name, serial)
);
CREATE TABLE IF NOT EXISTS provisioner_state_lock (
    name text PRIMARY KEY,
    lock_id text NOT NULL,
    who text NOT NULL,
    pid integer NOT NULL,
    host text NOT NULL,
    created text NOT NULL,
    backend_pid integer NOT NULL
);
"""
# Serialises the CREATE TABLEs of concurrent first runs: IF NOT EXISTS alone can still collide.
_SCHEMA_KEY = int.from_bytes(hashlib.sha256(b"provisioner:schema").digest()[:8], "big", signed=True)
# The connection that holds the advisory lock on `key`, if any. A bigint key is stored in pg_locks
# as classid (high 32 bits) and objid (low 32 bits), with objsubid 1.
_HOLDER_PID = """
SELECT pid FROM pg_locks
 WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND objsubid = 1 AND classid = ((%(key)s::bigint >> 32) & 4294967295)::oid
   AND objid = (%(key)s::bigint & 4294967295)::oid
"""
# How long a refused locker waits for a new holder to finish writing its lock row, so the error
# can name it; the row is written right after the advisory lock is taken.
_NAME_THE_HOLDER_SECONDS = 2.0
# How long force-unlock waits for a terminated holder's connection to end.
_TERMINATE_SECONDS = 10.0


def _driver() -> Any:
    # Imported here so the tool works without psycopg for every stack that keeps its state locally.
    try:
        import psycopg
    except ImportError:
        raise StateError(
            "the postgres state backend needs the psycopg driver, which is not installed",
            hint="pip install 'provisioner[postgres]'",
        ) from None
    return psycopg


def lock_key(name: str) -> int:
    """The advisory lock key of a stack name: stable across runs, hosts and server versions."""
    return int.from_bytes(hashlib.sha256(f"provisioner:state:{name}".encode()).digest()[:8], "big", signed=True)


class PostgresBackend:
    def __init__(self, conninfo: str, name: str):
        self._conninfo = conninfo
        self.name = name
        self._key = lock_key(name)
        self._schema_ready = False
        self._held: Any = None  # the lock's connection while this handle holds the lock

    def __repr__(self) -> str:  # never the conninfo: it may hold a password
        return f"PostgresBackend(name={self.name!r})"

    def describe(self) -> str:
        return f"postgres:{self.name}"

    def read(self) -> bytes | None:
        with self._session("read") as conn:
            row = conn.execute("SELECT data FROM provisioner_state WHERE name = %s", (self.name,)).fetchone()
        return bytes(row[0]) if row else None

    def workspace_rows(self) -> list[str]:
        """The names of the rows of this name and of its workspaces (`<name>/<workspace>`) that hold state."""
        below = f"{self.name}/"
        with self._session("read") as conn:
            rows = conn.execute(
                "SELECT name FROM provisioner_state WHERE name = %s OR starts_with(name, %s)"
                " UNION SELECT name FROM provisioner_state_journal WHERE name = %s OR starts_with(name, %s)",
                (self.name, below, self.name, below)).fetchall()
        return sorted(row[0] for row in rows)

    def write(self, data: bytes) -> None:
        # One transaction: a reader sees the old snapshot and its journal, or the new one alone.
        with self._session("write") as conn, conn.transaction():
            conn.execute(
                "INSERT INTO provisioner_state (name, data, updated_at) VALUES (%s, %s, now())"
                " ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                (self.name, bytes(data)),
            )
            conn.execute("DELETE FROM provisioner_state_journal WHERE name = %s", (self.name,))

    def keep_version(self, data: bytes, serial: int, run: str) -> None:
        with self._session("write") as conn, conn.transaction():
            conn.execute("INSERT INTO provisioner_state_version (name, serial, run, data) VALUES (%s, %s, %s, %s)"
                         " ON CONFLICT (name, serial) DO UPDATE SET saved_at = now(), run = excluded.run,"
                         " data = excluded.data", (self.name, serial, run, bytes(data)))
            conn.execute("DELETE FROM provisioner_state_version WHERE name = %s AND serial NOT IN"
                         " (SELECT serial FROM provisioner_state_version WHERE name = %s"
                         "  ORDER BY serial DESC LIMIT %s)", (self.name, self.name, KEEP_VERSIONS))

    def versions(self) -> list[KeptVersion]:
        with self._session("read") as conn:
            rows = conn.execute("SELECT serial, saved_at, run FROM provisioner_state_version WHERE name = %s"
                                " ORDER BY serial DESC", (self.name,)).fetchall()
        return [KeptVersion(key=str(serial), serial=serial, run=run, saved_at=utc_text(saved))
                for serial, saved, run in rows]

    def read_version(self, key: str) -> bytes | None:
        if not key.isdigit():
            return None
        with self._session("read") as conn:
            row = conn.execute("SELECT data FROM provisioner_state_version WHERE name = %s AND serial = %s",
                               (self.name, int(key))).fetchone()
        return bytes(row[0]) if row else None

    def read_journal(self) -> list[bytes]:
        with self._session("read") as conn:
            rows = conn.execute("SELECT entry FROM provisioner_state_journal WHERE name = %s ORDER BY seq",
                                (self.name,)).fetchall()
        return [bytes(row[0]) for row in rows]

    def append(self, entries: list[bytes]) -> None:
        # One transaction (one commit, so one flush on the server) for the whole group.
        with self._session("write") as conn, conn.transaction():
            last = conn.execute("SELECT coalesce(max(seq), 0) FROM provisioner_state_journal WHERE name = %s",
                                (self.name,)).fetchone()[0]
            with conn.cursor() as cursor:
                cursor.executemany("INSERT INTO provisioner_state_journal (name, seq, entry) VALUES (%s, %s, %s)",
                                   [(self.name, last + n, bytes(entry)) for n, entry in enumerate(entries, 1)])

    @contextmanager
    def _session(self, action: str, fresh: bool = False) -> Iterator[Any]:
        """A connection for one read or write, as a StateError if the database fails.

        While this handle holds the lock, that is the lock's own connection: no connection per
        write during an apply, and a run whose lock was force-unlocked (its connection ended)
        cannot write over the state of the run that took over.
        """
        psycopg = _driver()
        try:
            if self._held is not None and not fresh:
                yield self._held
            else:
                with self._connect(action) as conn:
                    yield conn
        except psycopg.Error as exc:
            raise StateError(f"cannot {action} state {self.describe()}: {self._clean(exc)}") from None

    @contextmanager
    def lock(self, who: str) -> Iterator[None]:
        info = LockInfo(who=who)
        psycopg = _driver()
        conn = self._connect("lock")
        try:
            self._acquire(conn, info)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, psycopg.Error):
                raise StateError(f"cannot lock state {self.describe()}: {self._clean(exc)}") from None
            raise
        self._held = conn
        try:
            yield
        finally:
            self._held = None
            self._release(conn, info)

    def _acquire(self, conn: Any, info: LockInfo) -> None:
        deadline = time.monotonic() + _NAME_THE_HOLDER_SECONDS
        while True:
            taken = conn.execute("SELECT pg_try_advisory_lock(%s::bigint)", (self._key,)).fetchone()[0]
            if taken:
                break
            holder = self._holder(conn)
            if holder is not None or time.monotonic() >= deadline:
                raise locked_error(self.describe(), holder)
            time.sleep(0.05)
        with conn.transaction():
            conn.execute("DELETE FROM provisioner_state_lock WHERE name = %s", (self.name,))
            conn.execute(
                "INSERT INTO provisioner_state_lock (name, lock_id, who, pid, host, created, backend_pid)"
                " VALUES (%s, %s, %s, %s, %s, %s, pg_backend_pid())",
                (self.name, info.id, info.who, info.pid, info.host, info.created),
            )

    def _holder(self, conn: Any) -> LockInfo | None:
        """Who holds the lock now, or None while the holder has not written its row yet."""
        row = conn.execute(
            f"SELECT who, pid, host, created, lock_id FROM provisioner_state_lock"
            f" WHERE name = %(name)s AND backend_pid IN ({_HOLDER_PID})",
            {"name": self.name, "key": self._key},
        ).fetchone()
        if row is None:
            return None
        who, pid, host, created, lock_id = row
        return LockInfo(who=who, pid=pid, host=host, created=created, id=lock_id)

    def _release(self, conn: Any, info: LockInfo) -> None:
        psycopg = _driver()
        try:
            conn.execute("DELETE FROM provisioner_state_lock WHERE name = %s AND lock_id = %s",
                         (self.name, info.id))
            conn.execute("SELECT pg_advisory_unlock(%s::bigint)", (self._key,))
        except psycopg.Error as exc:
            # A force-unlock terminated this connection: the server already dropped the lock.
            log.warning("state %s: the lock connection was gone at release (%s)", self.describe(),
                        type(exc).__name__)
        finally:
            conn.close()

    def force_unlock(self, lock_id: str) -> None:
        with self._session("force-unlock", fresh=True) as conn:
            holder_pid = conn.execute(_HOLDER_PID, {"key": self._key}).fetchone()
            row = conn.execute(
                "SELECT who, pid, host, created, lock_id, backend_pid FROM provisioner_state_lock WHERE name = %s",
                (self.name,),
            ).fetchone()
            if holder_pid is None:
                raise StateError(f"state {self.describe()} is not locked")
            if row is None or row[5] != holder_pid[0]:
                raise StateError(
                    f"state {self.describe()} is locked by a connection that left no lock record",
                    hint="it may be a run that is just starting; try again, or look for it in pg_stat_activity",
                )
            who, pid, host, created, held_id, backend_pid = row
            holder = LockInfo(who=who, pid=pid, host=host, created=created, id=held_id)
            if held_id != lock_id:
                raise StateError(
                    f"state {self.describe()} is locked with id {held_id}, not {lock_id}",
                    hint=f"the lock is held by {holder}; pass its id if you are sure that run is gone",
                )
            # Ending the holder's connection is what frees an advisory lock held by another session.
            terminated = conn.execute("SELECT pg_terminate_backend(%s)", (backend_pid,)).fetchone()[0]
            if not terminated:
                raise StateError(f"could not end the connection of the lock holder {holder}",
                                 hint="the database role needs pg_signal_backend, or the holder's role")
            self._wait_until_free(conn, holder)
            conn.execute("DELETE FROM provisioner_state_lock WHERE name = %s AND lock_id = %s", (self.name, held_id))
        log.warning("force-unlocked state %s, held by %s", self.describe(), holder)

    def _wait_until_free(self, conn: Any, holder: LockInfo) -> None:
        deadline = time.monotonic() + _TERMINATE_SECONDS
        while conn.execute(_HOLDER_PID, {"key": self._key}).fetchone() is not None:
            if time.monotonic() >= deadline:
                raise StateError(f"the connection of the lock holder {holder} did not end in time",
                                 hint="run force-unlock again")
            time.sleep(0.05)

    def _connect(self, purpose: str) -> Any:
        psycopg = _driver()
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=15,
                                   application_name=f"provisioner {purpose} {self.name}"[:63])
        except psycopg.Error as exc:
            raise StateError(f"cannot connect to the database of state {self.describe()}: {self._clean(exc)}",
                             hint="check the connection string in the environment variable named by"
                             " state.conninfo_env") from None
        try:
            self._ensure_schema(conn)
        except psycopg.Error as exc:
            conn.close()
            raise StateError(f"cannot prepare the tables of state {self.describe()}: {self._clean(exc)}") from None
        return conn

    def _ensure_schema(self, conn: Any) -> None:
        if self._schema_ready:
            return
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s::bigint)", (_SCHEMA_KEY,))
            conn.execute(_SCHEMA)
        self._schema_ready = True

    def _clean(self, exc: Exception) -> str:
        """The driver's message, one line, without the connection string should it ever quote it."""
        text = " ".join(str(exc).split())
        return text.replace(self._conninfo, "<conninfo>") if self._conninfo else text
