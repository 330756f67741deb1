"""Schema migrations: a database written by the first schema opens after an upgrade with its rows intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from league import schema
from league.store import DB_NAME, League

V1_DUMP = Path(__file__).parent / "data" / "league_v1.sql"
SNAPSHOT_BYTES = b"v1 snapshot weights"


def make_v1_league(directory: Path) -> None:
    directory.mkdir()
    conn = sqlite3.connect(directory / DB_NAME)
    conn.executescript(V1_DUMP.read_text())
    conn.close()
    (directory / "snapshots").mkdir()
    (directory / "snapshots" / "exp0_5000-0123456789ab.zip").write_bytes(SNAPSHOT_BYTES)


def dump_rows(conn, table):
    return conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


def test_fixture_is_the_first_schema(tmp_path):
    make_v1_league(tmp_path / "v1")
    conn = sqlite3.connect(tmp_path / "v1" / DB_NAME)
    assert schema.current_version(conn) == 1
    fresh = sqlite3.connect(":memory:", isolation_level=None)
    schema.migrate(fresh, target=1)
    tables = "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
    assert conn.execute(tables).fetchall() == fresh.execute(tables).fetchall()


def test_v1_database_upgrades_with_rows_intact(tmp_path):
    make_v1_league(tmp_path / "lg")
    old = sqlite3.connect(tmp_path / "lg" / DB_NAME)
    before = {t: dump_rows(old, t) for t in ("players", "ratings", "matches", "rating_history", "meta")}
    old.close()

    with League.open(tmp_path / "lg") as league:
        assert league.schema_version() == schema.LATEST == 2
        conn = league._conn
        for table, rows in before.items():
            after = dump_rows(conn, table)
            width = len(rows[0])
            assert [row[:width] for row in after] == rows, table
        assert all(row[-1] is None for row in dump_rows(conn, "players"))  # retired_at: new, empty
        assert [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")] == [1, 2]

        # the upgraded league works: ratings, history, snapshots, new matches with the new columns
        exp0 = league.rating("exp0")
        assert (exp0.games, exp0.wins, exp0.draws, exp0.losses) == (3, 2, 1, 0)
        assert league.replay_ratings() == {r.player.name: r.rating for r in league.ratings()}
        assert [h["result"] for h in league.history("exp0")] == ["win", "win", "draw"]
        assert league.load_snapshot("exp0@5000").read_bytes() == SNAPSHOT_BYTES
        league.record_match("exp0", "exp0@5000", "loss", ended_by="time")
        assert league.matches()[-1]["ended_by"] == "time"
        assert league.check() == []
    with League.open(tmp_path / "lg") as league:  # opening again migrates nothing
        assert league.schema_version() == 2 and len(league.matches()) == 4


def test_migrate_is_idempotent_and_rejects_bad_targets():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    assert schema.migrate(conn, target=1) == (0, 1)
    assert schema.migrate(conn) == (1, 2)
    assert schema.migrate(conn) == (2, 2)
    with pytest.raises(ValueError, match="outside"):
        schema.migrate(conn, target=schema.LATEST + 1)


def test_failed_migration_leaves_the_old_version(monkeypatch):
    conn = sqlite3.connect(":memory:", isolation_level=None)
    schema.migrate(conn, target=1)
    monkeypatch.setattr(schema, "MIGRATIONS", [schema.V1, schema.V2 + ["THIS IS NOT SQL"]])
    with pytest.raises(sqlite3.OperationalError):
        schema.migrate(conn)
    assert schema.current_version(conn) == 1
    assert "retired_at" not in [row[1] for row in conn.execute("PRAGMA table_info(players)")]
