"""SQLite persistence for every emulated object and every uploaded file's bytes.

Owns the schema, the single connection and its lock. Objects are JSON documents keyed by
(kind, parent, id); `parent` scopes children such as a vector store's files. Must not know
API rules (validation, status derivation, wire shapes); it stores what it is given.
"""

from __future__ import annotations

import builtins  # the `list` method below hides the builtin in later annotations
import contextlib
import json
import os
import sqlite3
import threading
from typing import Any, Callable, Iterator

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    parent TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, parent, id)
);
CREATE INDEX IF NOT EXISTS objects_by_id ON objects (kind, id);
CREATE INDEX IF NOT EXISTS objects_in_order ON objects (kind, parent, created_at, seq);
CREATE TABLE IF NOT EXISTS blobs (
    id TEXT PRIMARY KEY,
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


def _where(kind: str, parent: str, match: dict[str, Any] | None) -> tuple[list[str], list[Any]]:
    """SQL conditions (and their arguments) for objects of a kind under a parent whose
    top-level fields equal `match`."""
    clauses, args = ["kind = ?", "parent = ?"], [kind, parent]
    for field, value in (match or {}).items():
        clauses.append("json_extract(data, ?) IS ?")
        args += [f"$.{field}", value]
    return clauses, args


class Store:
    """Thread-safe document store; one connection guarded by one re-entrant lock."""

    def __init__(self, path: str | None) -> None:
        if path is None:
            target = ":memory:"
        else:
            directory = os.path.dirname(os.path.abspath(path))
            os.makedirs(directory, exist_ok=True)
            # it holds every uploaded document: created private (SQLite gives its journals the same mode)
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            target = path
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout = 5000")
        if path is not None:
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Store"]:
        """Hold the lock and one SQLite transaction across several reads and writes."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._conn.execute("COMMIT")

    def _next_seq(self) -> int:
        # A persistent insertion counter orders objects created within the same second.
        row = self._conn.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()
        value = (row[0] if row else 0) + 1
        self._conn.execute(
            "INSERT INTO counters (name, value) VALUES ('seq', ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (value,),
        )
        return value

    def insert(self, kind: str, obj_id: str, data: dict[str, Any], parent: str = "") -> None:
        with self.transaction():
            self._conn.execute(
                "INSERT OR REPLACE INTO objects (kind, parent, id, seq, created_at, data) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, parent, obj_id, self._next_seq(), int(data.get("created_at", 0)), json.dumps(data)),
            )

    def update(self, kind: str, obj_id: str, data: dict[str, Any], parent: str = "") -> None:
        with self.transaction():
            self._conn.execute(
                "UPDATE objects SET data = ? WHERE kind = ? AND parent = ? AND id = ?",
                (json.dumps(data), kind, parent, obj_id),
            )

    def get(self, kind: str, obj_id: str, parent: str = "") -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT data FROM objects WHERE kind = ? AND parent = ? AND id = ?", (kind, parent, obj_id)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def delete(self, kind: str, obj_id: str, parent: str = "") -> bool:
        with self.transaction():
            cursor = self._conn.execute(
                "DELETE FROM objects WHERE kind = ? AND parent = ? AND id = ?", (kind, parent, obj_id)
            )
        return cursor.rowcount > 0

    def delete_children(self, kind: str, parent: str) -> None:
        with self.transaction():
            self._conn.execute("DELETE FROM objects WHERE kind = ? AND parent = ?", (kind, parent))

    def list(self, kind: str, parent: str = "") -> list[dict[str, Any]]:
        """All objects of a kind under a parent, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT data FROM objects WHERE kind = ? AND parent = ? ORDER BY created_at, seq",
                (kind, parent),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def fields(
        self, kind: str, parent: str, names: tuple[str, ...], match: dict[str, Any] | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Only the named top-level scalar fields of every object under a parent (SQLite reads
        them, no whole document is parsed): cheap aggregates such as a store's file counts."""
        columns = ", ".join("json_extract(data, ?)" for _ in names)
        clauses, args = _where(kind, parent, match)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {columns} FROM objects WHERE {' AND '.join(clauses)}", [f"$.{name}" for name in names] + args
            ).fetchall()
        return [dict(zip(names, row)) for row in rows]

    def page(
        self,
        kind: str,
        parent: str = "",
        *,
        limit: int,
        descending: bool = False,
        after: str | None = None,
        before: str | None = None,
        match: dict[str, Any] | None = None,
        keep: Callable[[dict[str, Any]], bool] | None = None,
    ) -> tuple[builtins.list[dict[str, Any]], bool]:
        """One page of a kind under a parent in creation order, and whether more lie beyond it.

        Keyset reads from the cursor object's position, so a page costs O(page) however many
        objects there are. `match` compares top-level fields in SQL; `keep` filters in Python
        (for derived fields). An unknown cursor gives an empty page."""
        # `before` walks back from the cursor; the page is turned round before it is returned
        backwards = descending != (before is not None)
        clauses, args = _where(kind, parent, match)
        cursor_id = after if after is not None else before
        with self._lock:
            if cursor_id is not None:
                position = self._conn.execute(
                    "SELECT created_at, seq FROM objects WHERE kind = ? AND parent = ? AND id = ?",
                    (kind, parent, cursor_id),
                ).fetchone()
                if position is None:
                    return [], False
                clauses.append("(created_at, seq) < (?, ?)" if backwards else "(created_at, seq) > (?, ?)")
                args += list(position)
            direction = "DESC" if backwards else "ASC"
            rows = self._conn.execute(
                f"SELECT data FROM objects WHERE {' AND '.join(clauses)} "
                f"ORDER BY created_at {direction}, seq {direction}",
                args,
            )
            found: builtins.list[dict[str, Any]] = []
            for (data,) in rows:
                obj = json.loads(data)
                if keep is None or keep(obj):
                    found.append(obj)
                    if len(found) > limit:
                        break
            rows.close()
        has_more = len(found) > limit
        found = found[:limit]
        return (found[::-1] if before is not None else found), has_more

    def parents_of(self, kind: str, obj_id: str) -> builtins.list[str]:
        """Every parent holding a child with this id (e.g. the vector stores holding a file)."""
        with self._lock:
            rows = self._conn.execute("SELECT parent FROM objects WHERE kind = ? AND id = ?", (kind, obj_id)).fetchall()
        return [row[0] for row in rows]

    def wipe(self) -> None:
        """Forget every object and upload (the insertion counter keeps counting)."""
        with self.transaction():
            self._conn.execute("DELETE FROM objects")
            self._conn.execute("DELETE FROM blobs")

    def put_blob(self, blob_id: str, content: bytes) -> None:
        with self.transaction():
            self._conn.execute("INSERT OR REPLACE INTO blobs (id, content) VALUES (?, ?)", (blob_id, content))

    def get_blob(self, blob_id: str) -> bytes | None:
        with self._lock:
            row = self._conn.execute("SELECT content FROM blobs WHERE id = ?", (blob_id,)).fetchone()
        return bytes(row[0]) if row else None

    def delete_blob(self, blob_id: str) -> None:
        with self.transaction():
            self._conn.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))
