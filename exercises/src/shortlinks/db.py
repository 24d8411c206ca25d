"""SQLite storage for shortlinks (standard library ``sqlite3``).

The database is the file ``shortlinks.db`` in the directory named by the ``DATA_DIR``
environment variable (default: ``data`` relative to the working directory). Each request
opens its own connection, which is what gunicorn's separate worker processes need.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

DB_FILENAME = "shortlinks.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT    NOT NULL UNIQUE,
    url        TEXT    NOT NULL,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""


def db_path_from_env() -> Path:
    """The absolute path of the database file, from ``DATA_DIR`` (default ``./data``)."""
    data_dir = Path(os.environ.get("DATA_DIR") or "data")
    return (data_dir / DB_FILENAME).absolute()


def init_db(path: Path) -> None:
    """Create the data directory and the database schema if they do not exist yet.

    Raises ``OSError`` or ``sqlite3.Error`` when the directory or file cannot be created.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=5)) as conn, conn:
        conn.execute(SCHEMA)


def connect(path: Path) -> sqlite3.Connection:
    """Open the existing database read-write; never create an empty one by accident."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    return conn


def ping(path: Path) -> None:
    """Open the database and run ``SELECT 1``; raise ``sqlite3.Error`` if that fails."""
    with closing(connect(path)) as conn:
        (one,) = conn.execute("SELECT 1").fetchone()
        if one != 1:  # pragma: no cover - sqlite would have to be broken
            raise sqlite3.DatabaseError(f"SELECT 1 returned {one!r}")


def insert_link(path: Path, code: str, url: str) -> None:
    """Store a new link; raises ``sqlite3.IntegrityError`` if ``code`` is taken."""
    with closing(connect(path)) as conn, conn:
        conn.execute("INSERT INTO links (code, url) VALUES (?, ?)", (code, url))


def get_url(path: Path, code: str) -> str | None:
    """The URL stored under ``code``, or ``None``."""
    with closing(connect(path)) as conn:
        row = conn.execute("SELECT url FROM links WHERE code = ?", (code,)).fetchone()
    return None if row is None else row["url"]


def recent_links(path: Path, limit: int = 20) -> list[dict[str, str]]:
    """The ``limit`` most recently created links, newest first."""
    with closing(connect(path)) as conn:
        rows = conn.execute(
            "SELECT code, url, created_at FROM links ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
    return [dict(row) for row in rows]
