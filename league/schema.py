"""The league database's schema, as a list of forward migrations.

``MIGRATIONS[v - 1]`` takes a database from version ``v - 1`` to ``v``; the ``schema_version`` table has
one row per applied version, so the current version is its maximum. Migrations only ever move forward
and run inside one ``BEGIN IMMEDIATE`` transaction, so several processes opening an old league at once
upgrade it exactly once, and a crash mid-upgrade leaves the old version intact. A database whose version
is above :data:`LATEST` was written by a newer brawl-league and is refused rather than guessed at.

Version history:

- 1: players, ratings, matches, rating_history, meta (the rating scale: K, anchor, anchor rating).
- 2: retirement (``players.retired_at``), how a match ended and any agent error (``matches.ended_by``,
  ``matches.error``), and indexes for per-player queries.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

V1 = [
    """CREATE TABLE schema_version (
        version INTEGER PRIMARY KEY,
        applied_at TEXT NOT NULL
    )""",
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE players (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'bot', 'external')),
        name TEXT NOT NULL UNIQUE,
        spec TEXT,                 -- bot spec, or snapshot file path relative to the league directory
        file_hash TEXT,            -- sha256 of a snapshot file
        step INTEGER,              -- training step of a snapshot
        parent_run TEXT,           -- the run a snapshot came from
        created_at TEXT NOT NULL,
        CHECK (kind != 'snapshot' OR (spec IS NOT NULL AND file_hash IS NOT NULL))
    )""",
    """CREATE TABLE ratings (
        player_id INTEGER PRIMARY KEY REFERENCES players(id),
        initial REAL NOT NULL,
        rating REAL NOT NULL,
        games INTEGER NOT NULL DEFAULT 0,
        wins INTEGER NOT NULL DEFAULT 0,
        draws INTEGER NOT NULL DEFAULT 0,
        losses INTEGER NOT NULL DEFAULT 0,
        last_played TEXT
    )""",
    """CREATE TABLE matches (
        id INTEGER PRIMARY KEY,
        player_a INTEGER NOT NULL REFERENCES players(id),
        player_b INTEGER NOT NULL REFERENCES players(id),
        result TEXT NOT NULL CHECK (result IN ('win', 'draw', 'loss')),   -- from A's side
        seed INTEGER,
        side_a INTEGER NOT NULL DEFAULT 0 CHECK (side_a IN (0, 1)),       -- A's slot (player_0 or player_1)
        stocks_a INTEGER, stocks_b INTEGER,     -- stocks left at the end
        damage_a REAL, damage_b REAL,           -- damage dealt
        kos_a INTEGER, kos_b INTEGER,           -- knockouts dealt
        frames INTEGER,
        source TEXT NOT NULL CHECK (source IN ('training', 'evaluation', 'tournament')),
        replay_path TEXT,
        played_at TEXT NOT NULL,
        CHECK (player_a != player_b)
    )""",
    """CREATE TABLE rating_history (
        match_id INTEGER NOT NULL REFERENCES matches(id),
        player_id INTEGER NOT NULL REFERENCES players(id),
        rating_before REAL NOT NULL,
        rating_after REAL NOT NULL,
        PRIMARY KEY (match_id, player_id)
    )""",
]

V2 = [
    "ALTER TABLE players ADD COLUMN retired_at TEXT",
    "ALTER TABLE matches ADD COLUMN ended_by TEXT",
    "ALTER TABLE matches ADD COLUMN error TEXT",
    "CREATE INDEX matches_by_a ON matches (player_a, id)",
    "CREATE INDEX matches_by_b ON matches (player_b, id)",
    "CREATE INDEX history_by_player ON rating_history (player_id, match_id)",
]

MIGRATIONS: list[list[str]] = [V1, V2]
LATEST = len(MIGRATIONS)


def current_version(conn: sqlite3.Connection) -> int | None:
    """The schema version of an open database: 0 for an empty one, None for one with tables but no
    ``schema_version`` (so not a league database)."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" not in tables:
        return 0 if not tables else None
    (version,) = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(version)


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> tuple[int | None, int | None]:
    """Apply the migrations above the database's version, up to ``target``, in one immediate transaction.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Returns the versions before and after;
    it changes nothing when the version is None (not a league) or above ``target``; the caller decides
    what those mean.
    """
    if not 0 <= target <= LATEST:
        raise ValueError(f"schema target {target} outside 0..{LATEST}")
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = current_version(conn)
        if before is None or before >= target:
            conn.execute("COMMIT")
            return before, before
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        for version in range(before + 1, target + 1):
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (version, now))
        conn.execute("COMMIT")
        return before, target
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
