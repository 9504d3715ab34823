"""Durable state of every resource (jobs, models, tags) in one SQLite file, safe across processes."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from local_sagemaker.errors import ResourceInUse
from local_sagemaker.schema import open_versioned

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    body TEXT NOT NULL,
    runtime TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (kind, name)
);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);
"""

Body = dict[str, Any]


class Store:
    """Resources keyed by (kind, name); `body` is the Describe answer, `runtime` is private to us."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        # executescript manages its own transaction.
        self._connection().executescript(_SCHEMA)
        open_versioned(self._connection(), path)

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            # Server threads and worker processes write concurrently: WAL plus a generous busy wait.
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def create(self, kind: str, name: str, arn: str, body: Body, runtime: Body | None = None) -> None:
        """Insert a new resource; a taken name is ResourceInUse, as SageMaker answers."""
        with self._transaction() as db:
            taken = db.execute("SELECT 1 FROM resources WHERE kind=? AND name=?", (kind, name)).fetchone()
            if taken:
                raise ResourceInUse(f"{kind} with name {name!r} already exists")
            db.execute(
                "INSERT INTO resources (kind, name, arn, created, body, runtime) VALUES (?,?,?,?,?,?)",
                (kind, name, arn, time.time(), json.dumps(body), json.dumps(runtime or {})),
            )

    def get(self, kind: str, name: str) -> Body | None:
        row = (
            self._connection()
            .execute("SELECT body FROM resources WHERE kind=? AND name=?", (kind, name))
            .fetchone()
        )
        return json.loads(row[0]) if row else None

    def runtime(self, kind: str, name: str) -> Body:
        row = (
            self._connection()
            .execute("SELECT runtime FROM resources WHERE kind=? AND name=?", (kind, name))
            .fetchone()
        )
        return json.loads(row[0]) if row else {}

    def update(
        self,
        kind: str,
        name: str,
        change: Callable[[Body, Body], None],
    ) -> Body:
        """Apply `change(body, runtime)` atomically and return the new body."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT body, runtime FROM resources WHERE kind=? AND name=?", (kind, name)
            ).fetchone()
            if row is None:
                raise KeyError((kind, name))
            body, runtime = json.loads(row[0]), json.loads(row[1])
            change(body, runtime)
            db.execute(
                "UPDATE resources SET body=?, runtime=? WHERE kind=? AND name=?",
                (json.dumps(body), json.dumps(runtime), kind, name),
            )
            return body

    def delete(self, kind: str, name: str) -> bool:
        with self._transaction() as db:
            row = db.execute("SELECT arn FROM resources WHERE kind=? AND name=?", (kind, name)).fetchone()
            if row is None:
                return False
            db.execute("DELETE FROM resources WHERE kind=? AND name=?", (kind, name))
            db.execute("DELETE FROM tags WHERE arn=?", (row[0],))
            return True

    def all(self, kind: str, name_prefix: str = "") -> list[Body]:
        """Every resource of a kind, oldest first; with `name_prefix`, only names that start with it (a
        range on the primary key, so one model package group is read without touching the others)."""
        args: tuple[str, ...]
        if not name_prefix:
            query, args = "SELECT body FROM resources WHERE kind=? ORDER BY created, name", (kind,)
        else:
            # Names from `prefix` up to (not including) the prefix with its last character incremented.
            upper = name_prefix[:-1] + chr(ord(name_prefix[-1]) + 1)
            query = "SELECT body FROM resources WHERE kind=? AND name>=? AND name<? ORDER BY created, name"
            args = (kind, name_prefix, upper)
        return [json.loads(r[0]) for r in self._connection().execute(query, args).fetchall()]

    def get_by_arn(self, kind: str, arn: str) -> Body | None:
        row = (
            self._connection()
            .execute("SELECT body FROM resources WHERE kind=? AND arn=?", (kind, arn))
            .fetchone()
        )
        return json.loads(row[0]) if row else None

    def names_with_runtime(self, kind: str) -> list[tuple[str, Body, Body]]:
        rows = (
            self._connection()
            .execute("SELECT name, body, runtime FROM resources WHERE kind=? ORDER BY created", (kind,))
            .fetchall()
        )
        return [(r[0], json.loads(r[1]), json.loads(r[2])) for r in rows]

    def exists_arn(self, arn: str) -> bool:
        return (
            self._connection().execute("SELECT 1 FROM resources WHERE arn=?", (arn,)).fetchone() is not None
        )

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> None:
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?,?,?)",
                [(arn, t["Key"], t.get("Value", "")) for t in tags],
            )

    def delete_tags(self, arn: str, keys: list[str]) -> None:
        with self._transaction() as db:
            db.executemany("DELETE FROM tags WHERE arn=? AND key=?", [(arn, k) for k in keys])

    def tags(self, arn: str) -> list[dict[str, str]]:
        rows = self._connection().execute("SELECT key, value FROM tags WHERE arn=? ORDER BY key", (arn,))
        return [{"Key": k, "Value": v} for k, v in rows.fetchall()]
