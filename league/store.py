"""The league store: one SQLite database per league directory, holding players, matches and ratings.

Layout of a league directory::

    DIR/league.db        players, matches, ratings, rating history, schema version, rating scale
    DIR/snapshots/       snapshot files, written atomically and named <player>-<random>.<suffix>

Commands that only read open a league with ``read_only=True``: an SQLite ``mode=ro`` connection that
never switches the journal mode, migrates or writes, so a league on read-only media or in someone else's
folder can be listed and exported. (SQLite needs to create the WAL's ``-shm`` file even to read; where it
cannot, the database is opened ``immutable``, which is safe because nothing can be writing a folder
that cannot be written.)

Every write is one ``BEGIN IMMEDIATE`` transaction, so writers in several processes queue behind
SQLite's lock (waiting up to ``timeout`` seconds) instead of failing, and each match's Elo update reads
the ratings inside the same transaction that writes them: the live ratings always equal a serial replay
of the matches in id order (see :func:`league.ratings.replay`). The database runs in WAL mode with
``synchronous=FULL``: a committed result survives a killed process and a power cut.

Typical use::

    league = League.open("runs/exp1/league_db", create=True)
    learner = league.add_player("exp1", kind="external")          # the live learner
    snap = league.register_snapshot("checkpoints/rl_model_5000_steps.zip", step=5000, run="exp1")
    league.record_match(learner, "BasedBot", "win", seed=7, source="training")
    path = league.load_snapshot(snap)                              # verified against its sha256
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import schema, snapshots
from .config import RATING_FIELDS, LeagueConfig
from .errors import (
    LeagueCorruptError,
    LeagueError,
    LeagueNotFoundError,
    SchemaTooNewError,
    SnapshotError,
    UnknownPlayerError,
)
from .ratings import elo_update, score_of

log = logging.getLogger(__name__)

DB_NAME = "league.db"
SNAPSHOT_DIR = "snapshots"
KINDS = ("snapshot", "bot", "external")
SOURCES = ("training", "evaluation", "tournament")
_INT64 = (-(2**63), 2**63 - 1)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Player:
    """One row of the players table. ``spec`` is a bot spec, or a snapshot's path inside the league."""

    id: int
    kind: str
    name: str
    spec: str | None
    file_hash: str | None
    step: int | None
    parent_run: str | None
    created_at: str
    retired_at: str | None = None

    @property
    def active(self) -> bool:
        """False once a snapshot has been retired from the self-play pool."""
        return self.retired_at is None


@dataclass(frozen=True)
class Rating:
    """A player's current Elo rating, with the games behind it (the rating's uncertainty)."""

    player: Player
    rating: float
    initial: float
    games: int
    wins: int
    draws: int
    losses: int
    last_played: str | None

    def to_dict(self) -> dict[str, Any]:
        p = self.player
        out = dict(id=p.id, name=p.name, kind=p.kind, spec=p.spec, step=p.step, parent_run=p.parent_run)
        out |= dict(active=p.active, rating=self.rating, initial=self.initial, games=self.games)
        return out | dict(wins=self.wins, draws=self.draws, losses=self.losses, last_played=self.last_played)


_PLAYER_COLS = "p.id, p.kind, p.name, p.spec, p.file_hash, p.step, p.parent_run, p.created_at, p.retired_at"
_RATING_COLS = f"{_PLAYER_COLS}, r.rating, r.initial, r.games, r.wins, r.draws, r.losses, r.last_played"


_INSERT_MATCH = (
    "INSERT INTO matches (player_a, player_b, result, seed, side_a, stocks_a, stocks_b, damage_a, damage_b, "
    "kos_a, kos_b, frames, source, replay_path, played_at, ended_by, error) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _player(row) -> Player:
    return Player(*row[:9])


def _rating(row) -> Rating:
    return Rating(_player(row), *row[9:])


class League:
    """A league directory opened for reading and writing (or only reading: ``read_only``). Use
    :meth:`open`; close it (or use ``with``)."""

    def __init__(
        self, directory: Path, conn: sqlite3.Connection, config: LeagueConfig, read_only: bool = False
    ) -> None:
        self.dir = directory
        self.read_only = read_only
        self.db_path = directory / DB_NAME
        self.snapshot_dir = directory / SNAPSHOT_DIR
        self.config = config
        self._conn = conn
        self._local_writes = 0
        self._verified: dict[str, tuple[int, int, str]] = {}
        self._anchor_id: int | None = None

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        directory: str | os.PathLike,
        create: bool = False,
        config: LeagueConfig | None = None,
        timeout: float = 60.0,
        read_only: bool = False,
    ) -> League:
        """Open the league in ``directory``; with ``create=True`` make it (and the folder) if missing.

        The rating scale (``k``, ``anchor``, ``anchor_rating``) is stored at creation. Opening with a
        ``config`` whose scale differs is an error; without one, the stored scale and default sampling
        settings are used. An older schema is migrated forward; a newer one, a file that is not a league
        database, or a missing database (without ``create``) is an error naming the file.

        :param timeout: seconds a write waits for other writers before giving up.
        :param read_only: only read (see the module docstring): no journal switch, no migration, no
            writes (each raises :class:`LeagueError`); a league of an older schema is an error saying so.
        """
        if read_only and create:
            raise ValueError("a league opened read_only cannot be created")
        directory = Path(directory)
        db = directory / DB_NAME
        if directory.exists() and not directory.is_dir():
            raise LeagueNotFoundError(f"league directory {directory} is not a directory")
        if not db.exists():
            if not create:
                raise LeagueNotFoundError(
                    f"no league database at {db} (create one with "
                    f"League.open(dir, create=True) or `brawl-league train`)"
                )
            directory.mkdir(parents=True, exist_ok=True)
        elif db.is_dir():
            raise LeagueCorruptError(f"league database {db} is a directory, not a file")

        conn = (
            _connect_read_only(db, timeout)
            if read_only
            else sqlite3.connect(db, timeout=timeout, isolation_level=None)
        )
        try:
            with _db_errors(db):
                if not read_only:
                    mode = _set_wal(conn, timeout)
                    if str(mode).lower() != "wal":
                        log.warning(
                            "league %s: journal mode is %s, not wal (the filesystem may not support it)",
                            db,
                            mode,
                        )
                    conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA foreign_keys=ON")
                version = schema.current_version(conn)
                if version is None:
                    raise LeagueCorruptError(
                        f"{db} is an SQLite database but not a league database "
                        f"(it has no schema_version table)"
                    )
                if version > schema.LATEST:
                    raise SchemaTooNewError(
                        f"league database {db} has schema version {version}, newer than "
                        f"this brawl-league supports ({schema.LATEST}); upgrade brawl-league"
                    )
                if version == 0 and not create:
                    raise LeagueCorruptError(
                        f"league database {db} is empty (no league schema); "
                        f"open it with create=True to initialise it"
                    )
                if version < schema.LATEST and read_only:
                    raise LeagueError(
                        f"league database {db} has schema version {version}, older than this "
                        f"brawl-league's {schema.LATEST}, and reading only cannot migrate it: open it once "
                        "with a command that writes (in a writable folder) to upgrade it"
                    )
                if version < schema.LATEST:
                    before, after = schema.migrate(conn)
                    if before is None:
                        raise LeagueCorruptError(f"{db} is not a league database")
                    if before and before != after:
                        log.info("league %s: schema migrated from version %s to %s", db, before, after)
                league = cls(directory, conn, config or LeagueConfig(), read_only=read_only)
                league._init_scale(explicit=config is not None)
                if read_only:
                    found = league._read("SELECT id FROM players WHERE name = ?", (league.config.anchor,))
                    league._anchor_id = found[0][0] if found else None
                else:
                    league._anchor_id = league.add_bot(league.config.anchor).id
        except BaseException:
            conn.close()
            raise
        return league

    def _init_scale(self, explicit: bool) -> None:
        """Store the rating scale if this is a new league; adopt (or check against) the stored one."""
        given = self.config.rating_params()
        query = f"SELECT key, value FROM meta WHERE key IN ({', '.join('?' * len(RATING_FIELDS))})"
        stored = {key: json.loads(value) for key, value in self._read(query, RATING_FIELDS)}
        if len(stored) < len(RATING_FIELDS) and not self.read_only:  # a new league: store its scale
            with self._write() as conn:
                rows = [(key, json.dumps(value)) for key, value in given.items()]
                conn.executemany("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", rows)
                stored = {key: json.loads(value) for key, value in conn.execute(query, RATING_FIELDS)}
        if explicit:
            differ = {
                key: (given[key], stored[key])
                for key in RATING_FIELDS
                if key in stored and given[key] != stored[key]
            }
            if differ:
                detail = "; ".join(f"{key}: config {g!r}, league {s!r}" for key, (g, s) in differ.items())
                raise ValueError(
                    f"league {self.db_path}: the config's rating scale differs from the one the "
                    f"league was created with ({detail}); ratings in one league share one scale"
                )
        self.config = self.config.model_copy(update=stored)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> League:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def schema_version(self) -> int:
        return schema.current_version(self._conn) or 0

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One immediate (write-locked) transaction; rolled back on any error."""
        if self.read_only:
            raise LeagueError(f"league {self.dir} was opened read-only; this needs it opened for writing")
        conn = self._conn
        with _db_errors(self.db_path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        self._local_writes += 1

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with _db_errors(self.db_path):
            return self._conn.execute(sql, tuple(params)).fetchall()

    def state_token(self) -> tuple[int, int]:
        """Changes whenever this or any other connection commits; lets readers cache derived data."""
        with _db_errors(self.db_path):
            (version,) = self._conn.execute("PRAGMA data_version").fetchone()
        return version, self._local_writes

    # ------------------------------------------------------------------ players
    def _resolve(self, conn: sqlite3.Connection, ref: Player | int | str) -> int:
        if isinstance(ref, Player):
            key, sql = ref.id, "SELECT id FROM players WHERE id = ?"
        elif isinstance(ref, int) and not isinstance(ref, bool):
            key, sql = ref, "SELECT id FROM players WHERE id = ?"
        elif isinstance(ref, str):
            key, sql = ref, "SELECT id FROM players WHERE name = ?"
        else:
            raise TypeError(f"a player is a Player, an id or a name; got {type(ref).__name__} {ref!r}")
        row = conn.execute(sql, (key,)).fetchone()
        if row is None:
            raise UnknownPlayerError(
                f"league {self.dir}: no player {ref.name if isinstance(ref, Player) else ref!r}"
            )
        return row[0]

    def player(self, ref: Player | int | str) -> Player:
        """The player a reference names; :class:`UnknownPlayerError` if there is none."""
        with _db_errors(self.db_path):
            pid = self._resolve(self._conn, ref)
            return _player(
                self._conn.execute(f"SELECT {_PLAYER_COLS} FROM players p WHERE p.id = ?", (pid,)).fetchone()
            )

    def lookup(self, typed: str) -> Player:
        """The player a user means by ``typed``: that name, else the learner of that run
        (``smoke1`` for ``learner:smoke1``), else the one name equal ignoring case; the
        :class:`UnknownPlayerError` suggests close names and lists the players."""
        from brawl_env.names import resolve_name, unknown

        names = [p.name for p in self.players()]
        found = resolve_name(typed, names) or resolve_name(f"learner:{typed}", names)
        if found is None:
            spellings = {n.partition(":")[2] if n.startswith("learner:") else n: n for n in names}
            raise UnknownPlayerError(f"league {self.dir}: " + unknown("player", typed, spellings))
        return self.player(found)

    def players(self, kind: str | None = None) -> list[Player]:
        """All players (of one kind, if given), oldest first."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown player kind {kind!r}; allowed: {list(KINDS)}")
        where, params = ("WHERE p.kind = ?", (kind,)) if kind else ("", ())
        return [
            _player(r)
            for r in self._read(f"SELECT {_PLAYER_COLS} FROM players p {where} ORDER BY p.id", params)
        ]

    def _insert_player(
        self,
        conn: sqlite3.Connection,
        *,
        kind: str,
        name: str,
        spec: str | None = None,
        file_hash: str | None = None,
        step: int | None = None,
        parent_run: str | None = None,
        initial: float | None = None,
    ) -> int:
        rating = self.config.anchor_rating if initial is None else float(initial)
        cur = conn.execute(
            "INSERT INTO players (kind, name, spec, file_hash, step, parent_run, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, name, spec, file_hash, step, parent_run, _now()),
        )
        conn.execute(
            "INSERT INTO ratings (player_id, initial, rating) VALUES (?, ?, ?)",
            (cur.lastrowid, rating, rating),
        )
        return cur.lastrowid

    def add_player(
        self, name: str, kind: str = "external", spec: str | None = None, initial: float | None = None
    ) -> Player:
        """Add a player, or return the existing one of that name and kind.

        ``external`` players are those whose weights the league does not store: a live learner (by
        convention named after its run), a human, an outside program. New players start at the anchor
        rating unless ``initial`` says otherwise.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown player kind {kind!r}; allowed: {list(KINDS)}")
        if kind == "snapshot":
            raise ValueError("snapshots are added with register_snapshot(), which writes and hashes the file")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a player name is a non-empty string; got {name!r}")
        if initial is not None and not math.isfinite(initial):
            raise ValueError(f"initial rating must be finite; got {initial!r}")
        with self._write() as conn:
            row = conn.execute("SELECT id, kind FROM players WHERE name = ?", (name,)).fetchone()
            if row is None:
                pid = self._insert_player(conn, kind=kind, name=name, spec=spec, initial=initial)
            elif row[1] != kind:
                raise ValueError(f"league {self.dir}: a {row[1]} named {name!r} already exists")
            else:
                pid = row[0]
        return self.player(pid)

    def add_bot(self, spec: str) -> Player:
        """Add a scripted bot by spec (``BasedBot``, ``my_bots.py:Sneaky``, ``pkg.mod:Cls``), named by it.

        The spec is checked against the bot registry the first time (``BotSpecError`` names it).
        """
        rows = self._read(f"SELECT {_PLAYER_COLS} FROM players p WHERE p.name = ?", (spec,))
        if rows:
            found = _player(rows[0])
            if found.kind != "bot":
                raise ValueError(f"league {self.dir}: {spec!r} names a {found.kind}, not a bot")
            return found
        from brawl_env.bots import bot_class

        bot_class(spec)
        return self.add_player(spec, kind="bot", spec=spec)

    # ------------------------------------------------------------------ snapshots
    def register_snapshot(
        self,
        src: bytes | str | os.PathLike,
        step: int,
        run: str | None = None,
        *,
        name: str | None = None,
        initial: float | Player | str | None = None,
        suffix: str | None = None,
    ) -> Player:
        """Store a snapshot of the learner and add it to the self-play pool.

        ``src`` is the file's bytes or the path of a file to copy. The copy is written atomically into
        ``DIR/snapshots/`` (temp file, fsync, rename, fsync of the folder) and registered, with its sha256,
        only afterwards. Its rating starts at ``initial`` (a number, or a player or player name whose
        current rating to copy, such as the live learner); by default at the rating of the run's newest
        snapshot, or the anchor rating for a run's first. If the run then has more than ``config.pool_cap``
        active snapshots, the oldest or weakest (``config.retire``) leave the pool, keeping their ratings.

        :param name: unique player name; default ``<run>@<step>``.
        :param suffix: file suffix; default the source file's, or ``.bin`` for bytes.
        """
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"a snapshot's step is an int >= 0; got {step!r}")
        name = name or f"{run or 'snapshot'}@{step}"
        if self._read("SELECT 1 FROM players WHERE name = ?", (name,)):
            raise ValueError(f"league {self.dir}: a player named {name!r} already exists")
        if suffix is None:
            suffix = (
                ".bin" if isinstance(src, (bytes, bytearray, memoryview)) else (Path(src).suffix or ".bin")
            )
        path, digest = snapshots.write_atomic(src, self.snapshot_dir, snapshots.safe_stem(name), suffix)
        rel = path.relative_to(self.dir).as_posix()
        try:
            with self._write() as conn:
                if isinstance(initial, (Player, str)):
                    start = self._rating_of(conn, self._resolve(conn, initial))
                elif initial is None:
                    row = conn.execute(
                        "SELECT r.rating FROM players p JOIN ratings r ON r.player_id = p.id "
                        "WHERE p.kind = 'snapshot' AND p.parent_run IS ? ORDER BY p.id DESC LIMIT 1",
                        (run,),
                    ).fetchone()
                    start = row[0] if row else None
                else:
                    if isinstance(initial, bool) or not isinstance(initial, (int, float)):
                        raise TypeError(f"initial is a rating, a Player or a player name; got {initial!r}")
                    start = float(initial)
                    if not math.isfinite(start):
                        raise ValueError(f"initial rating must be finite; got {initial!r}")
                try:
                    pid = self._insert_player(
                        conn,
                        kind="snapshot",
                        name=name,
                        spec=rel,
                        file_hash=digest,
                        step=step,
                        parent_run=run,
                        initial=start,
                    )
                except sqlite3.IntegrityError:
                    raise ValueError(f"league {self.dir}: a player named {name!r} already exists") from None
                self._retire_over_cap(conn, run, keep=pid)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self._verified[str(path)] = (*_stat_key(path), digest)
        return self.player(pid)

    def _rating_of(self, conn: sqlite3.Connection, pid: int) -> float:
        return conn.execute("SELECT rating FROM ratings WHERE player_id = ?", (pid,)).fetchone()[0]

    def _retire_over_cap(self, conn: sqlite3.Connection, run: str | None, keep: int) -> None:
        cap = self.config.pool_cap
        if cap is None:
            return
        order = "p.id" if self.config.retire == "oldest" else "r.rating, p.id"
        rows = conn.execute(
            "SELECT p.id FROM players p JOIN ratings r ON r.player_id = p.id WHERE p.kind = 'snapshot' "
            f"AND p.retired_at IS NULL AND p.parent_run IS ? AND p.id != ? ORDER BY {order}",
            (run, keep),
        ).fetchall()
        excess = len(rows) + 1 - cap
        if excess > 0:
            now = _now()
            conn.executemany(
                "UPDATE players SET retired_at = ? WHERE id = ?", [(now, r[0]) for r in rows[:excess]]
            )

    def retire(self, ref: Player | int | str) -> Player:
        """Take a snapshot out of the self-play pool; it keeps its rating, history and file."""
        with self._write() as conn:
            pid = self._resolve(conn, ref)
            conn.execute(
                "UPDATE players SET retired_at = COALESCE(retired_at, ?) WHERE id = ?", (_now(), pid)
            )
        return self.player(pid)

    def snapshots(self, run: str | None = None, active: bool | None = True) -> list[Player]:
        """Snapshots, oldest first: of one run if ``run`` is given; active, retired or both (``None``)."""
        clauses, params = ["p.kind = 'snapshot'"], []
        if run is not None:
            clauses.append("p.parent_run = ?")
            params.append(run)
        if active is not None:
            clauses.append("p.retired_at IS NULL" if active else "p.retired_at IS NOT NULL")
        return [
            _player(r)
            for r in self._read(
                f"SELECT {_PLAYER_COLS} FROM players p WHERE {' AND '.join(clauses)} ORDER BY p.id", params
            )
        ]

    def load_snapshot(self, ref: Player | int | str, verify: bool = True) -> Path:
        """The path of a snapshot's file, after checking it against its recorded sha256.

        A missing or changed file is a :class:`SnapshotError` naming it. A file already verified by this
        League whose size and modification time are unchanged is not hashed again.
        """
        player = self.player(ref)
        if player.kind != "snapshot":
            raise ValueError(f"player {player.name!r} is a {player.kind}, not a snapshot")
        path = self.dir / player.spec
        if verify:
            key = str(path)
            try:
                seen = self._verified.get(key) == (*_stat_key(path), player.file_hash)
            except OSError:
                seen = False
            if not seen:
                snapshots.verify(path, player.file_hash, label=repr(player.name))
                self._verified[key] = (*_stat_key(path), player.file_hash)
        return path

    def orphan_files(self) -> list[Path]:
        """Files in ``snapshots/`` that no player refers to (left by a crash between write and register)."""
        if not self.snapshot_dir.is_dir():
            return []
        known = {self.dir / r[0] for r in self._read("SELECT spec FROM players WHERE kind = 'snapshot'")}
        return sorted(p for p in self.snapshot_dir.iterdir() if p.is_file() and p not in known)

    # ------------------------------------------------------------------ matches and ratings
    def record_match(
        self,
        a: Player | int | str,
        b: Player | int | str,
        result: str,
        *,
        seed: int | None = None,
        side_a: int = 0,
        stocks: tuple[int, int] | None = None,
        damage: tuple[float, float] | None = None,
        kos: tuple[int, int] | None = None,
        frames: int | None = None,
        source: str = "training",
        replay_path: str | None = None,
        ended_by: str | None = None,
        error: str | None = None,
    ) -> int:
        """Record one match and update both Elo ratings, in one transaction; returns the match id.

        ``result`` is A's: ``"win"``, ``"draw"`` or ``"loss"``. ``side_a`` is A's slot (0 for player_0).
        ``stocks`` (left at the end), ``damage`` (dealt) and ``kos`` (dealt) are (A's, B's) pairs.
        ``source`` is ``training``, ``evaluation`` or ``tournament``.
        """
        fields = dict(seed=seed, side_a=side_a, stocks=stocks, damage=damage, kos=kos, frames=frames)
        fields |= dict(source=source, replay_path=replay_path, ended_by=ended_by, error=error)
        return self.record_matches([dict(a=a, b=b, result=result, **fields)])[0]

    def record_result(
        self,
        a: Player | int | str,
        b: Player | int | str,
        match: Any,
        a_slot: int = 0,
        *,
        source: str = "training",
        replay_path: str | None = None,
    ) -> int:
        """Record a :class:`brawl_env.match.MatchResult` in which A played slot ``a_slot``."""
        b_slot = 1 - a_slot
        stats = match.stats

        def pair(key: str, cast) -> tuple | None:
            if key not in stats[a_slot] or key not in stats[b_slot]:
                return None
            return cast(stats[a_slot][key]), cast(stats[b_slot][key])

        forfeit = getattr(match, "forfeit", None)
        error = f"{forfeit.get('name')}: {forfeit.get('reason')}" if forfeit else None
        return self.record_match(
            a,
            b,
            match.result_for(a_slot),
            seed=match.seed,
            side_a=a_slot,
            stocks=pair("stocks_left", int),
            damage=pair("damage_dealt", float),
            kos=pair("knockouts_dealt", int),
            frames=match.frames,
            source=source,
            replay_path=replay_path,
            ended_by=getattr(match, "ended_by", None),
            error=error,
        )

    def record_matches(self, rows: Iterable[Mapping[str, Any]]) -> list[int]:
        """Record several matches (keyword dicts as for :meth:`record_match`) in one transaction, in order."""
        checked = [_check_match(dict(row)) for row in rows]
        ids = []
        k, anchor = self.config.k, self._anchor_id
        with self._write() as conn:
            for m in checked:
                a, b = self._resolve(conn, m["a"]), self._resolve(conn, m["b"])
                if a == b:
                    raise ValueError(f"a player cannot play itself: {m['a']!r} vs {m['b']!r}")
                now = _now()
                row = (a, b, m["result"], m["seed"], m["side_a"], *m["stocks"], *m["damage"], *m["kos"])
                row += (m["frames"], m["source"], m["replay_path"], now, m["ended_by"], m["error"])
                cur = conn.execute(_INSERT_MATCH, row)
                mid = cur.lastrowid
                r_a, r_b = self._rating_of(conn, a), self._rating_of(conn, b)
                score = score_of(m["result"])
                new_a, new_b = elo_update(r_a, r_b, score, k, a_fixed=a == anchor, b_fixed=b == anchor)
                for pid, new, s in ((a, new_a, score), (b, new_b, 1.0 - score)):
                    conn.execute(
                        "UPDATE ratings SET rating = ?, games = games + 1, wins = wins + ?, "
                        "draws = draws + ?, losses = losses + ?, last_played = ? WHERE player_id = ?",
                        (new, int(s == 1.0), int(s == 0.5), int(s == 0.0), now, pid),
                    )
                conn.executemany(
                    "INSERT INTO rating_history (match_id, player_id, rating_before, rating_after) "
                    "VALUES (?, ?, ?, ?)",
                    [(mid, a, r_a, new_a), (mid, b, r_b, new_b)],
                )
                ids.append(mid)
        return ids

    def rating(self, ref: Player | int | str) -> Rating:
        pid = self.player(ref).id
        return _rating(
            self._read(
                f"SELECT {_RATING_COLS} FROM players p JOIN ratings r ON r.player_id = p.id WHERE p.id = ?",
                (pid,),
            )[0]
        )

    def ratings(self, kind: str | None = None) -> list[Rating]:
        """Every player's rating (of one kind, if given), strongest first."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown player kind {kind!r}; allowed: {list(KINDS)}")
        where, params = ("WHERE p.kind = ?", (kind,)) if kind else ("", ())
        return [
            _rating(r)
            for r in self._read(
                f"SELECT {_RATING_COLS} FROM players p JOIN ratings r ON r.player_id = p.id {where} "
                "ORDER BY r.rating DESC, p.id",
                params,
            )
        ]

    def pool(self, run: str | None = None) -> list[Rating]:
        """Ratings of the active snapshots (the self-play pool), oldest first; of one run if given."""
        clause, params = ("AND p.parent_run = ?", (run,)) if run is not None else ("", ())
        return [
            _rating(r)
            for r in self._read(
                f"SELECT {_RATING_COLS} FROM players p JOIN ratings r ON r.player_id = p.id "
                f"WHERE p.kind = 'snapshot' AND p.retired_at IS NULL {clause} ORDER BY p.id",
                params,
            )
        ]

    def head_to_head(self, ref: Player | int | str, last: int | None = None) -> dict[int, tuple[int, float]]:
        """For each opponent id: (games, score) of this player against it (win 1, draw 0.5); with
        ``last``, over only the newest ``last`` games against each opponent (a learner's current form,
        which is what a curriculum needs, rather than its whole history)."""
        pid = self.player(ref).id
        if last is not None and (isinstance(last, bool) or not isinstance(last, int) or last < 1):
            raise ValueError(f"last is a number of games >= 1; got {last!r}")
        score_sql = (
            "CASE WHEN result = 'draw' THEN 0.5 WHEN (result = 'win') = (player_a = ?1) THEN 1.0 ELSE 0.0 END"
        )
        opp_sql = "CASE WHEN player_a = ?1 THEN player_b ELSE player_a END"
        if last is None:
            sql = (
                f"SELECT {opp_sql} AS opp, COUNT(*), SUM({score_sql}) FROM matches "
                "WHERE player_a = ?1 OR player_b = ?1 GROUP BY opp"
            )
            params: tuple = (pid,)
        else:
            sql = (
                f"SELECT opp, COUNT(*), SUM(score) FROM (SELECT {opp_sql} AS opp, {score_sql} AS score, "
                f"ROW_NUMBER() OVER (PARTITION BY {opp_sql} ORDER BY id DESC) AS k FROM matches "
                "WHERE player_a = ?1 OR player_b = ?1) WHERE k <= ?2 GROUP BY opp"
            )
            params = (pid, last)
        out: dict[int, tuple[int, float]] = {}
        for opp, games, score in self._read(sql, params):
            out[opp] = (games, score)
        return out

    _MATCH_SELECT = (
        "SELECT m.id, m.played_at, m.source, pa.name, pb.name, m.result, m.seed, m.side_a, m.stocks_a, "
        "m.stocks_b, m.damage_a, m.damage_b, m.kos_a, m.kos_b, m.frames, m.ended_by, m.error, m.replay_path "
        "FROM matches m JOIN players pa ON pa.id = m.player_a JOIN players pb ON pb.id = m.player_b"
    )
    _MATCH_KEYS = (
        "id played_at source a b result seed side_a stocks_a stocks_b damage_a damage_b kos_a kos_b frames "
        "ended_by error replay_path"
    ).split()

    def matches(self, ref: Player | int | str | None = None) -> list[dict[str, Any]]:
        """Every match (involving one player, if given) in recorded order; A's result, names not ids."""
        if ref is None:
            rows = self._read(f"{self._MATCH_SELECT} ORDER BY m.id")
        else:
            pid = self.player(ref).id
            rows = self._read(
                f"{self._MATCH_SELECT} WHERE m.player_a = ?1 OR m.player_b = ?1 ORDER BY m.id", (pid,)
            )
        return [dict(zip(self._MATCH_KEYS, row, strict=True)) for row in rows]

    def history(self, ref: Player | int | str) -> list[dict[str, Any]]:
        """One player's matches in order, seen from its side, with its rating before and after each."""
        pid = self.player(ref).id
        rows = self._read(
            "SELECT m.id, m.played_at, m.source, m.player_a = h.player_id AS is_a, opp.name, m.result, "
            "m.seed, m.side_a, m.stocks_a, m.stocks_b, m.damage_a, m.damage_b, m.kos_a, m.kos_b, m.frames, "
            "m.ended_by, m.error, m.replay_path, h.rating_before, h.rating_after "
            "FROM rating_history h JOIN matches m ON m.id = h.match_id JOIN players opp ON opp.id = "
            "CASE WHEN m.player_a = h.player_id THEN m.player_b ELSE m.player_a END "
            "WHERE h.player_id = ? ORDER BY m.id",
            (pid,),
        )
        flip = {"win": "loss", "loss": "win", "draw": "draw"}
        out = []
        for row in rows:
            mid, played, source, is_a, opponent, result, seed, side = row[:8]
            frames, ended_by, error, replay_path, before, after = row[14:]
            stocks, damage, kos = (row[i : i + 2] if is_a else row[i + 1 : i - 1 : -1] for i in (8, 10, 12))
            if not is_a:
                result, side = flip[result], 1 - side
            h = dict(match=mid, played_at=played, source=source, opponent=opponent, result=result, side=side)
            h |= dict(seed=seed, stocks=stocks, damage=damage, kos=kos, frames=frames, ended_by=ended_by)
            out.append(
                h | dict(error=error, replay_path=replay_path, rating_before=before, rating_after=after)
            )
        return out

    def replay_ratings(self) -> dict[str, float]:
        """Ratings recomputed from scratch from every match in id order (for checking the live ones)."""
        return self._ratings_and_replay()[1]

    def _ratings_and_replay(self) -> tuple[dict[str, float], dict[str, float]]:
        """The live ratings and their replay, read in one transaction: compared across two reads, a match
        another process commits in between would look like a difference."""
        from .ratings import replay

        with _db_errors(self.db_path):
            self._conn.execute("BEGIN")
            try:
                rows = self._conn.execute(
                    "SELECT p.name, r.initial, r.rating FROM players p JOIN ratings r ON r.player_id = p.id"
                ).fetchall()
                games = [(m["a"], m["b"], m["result"]) for m in self.matches()]
            finally:
                self._conn.execute("COMMIT")
        live = {name: rating for name, _, rating in rows}
        initial = {name: init for name, init, _ in rows}
        return live, replay(games, self.config.k, initial, anchor=self.config.anchor)

    def check(self) -> list[str]:
        """Problems found by SQLite's integrity check, by hashing every registered snapshot and by
        replaying the matches against the live ratings; [] if none."""
        problems = [row[0] for row in self._read("PRAGMA integrity_check") if row[0] != "ok"]
        live, replayed = self._ratings_and_replay()
        drift = {name: live[name] - replayed[name] for name in live if live[name] != replayed.get(name)}
        if drift:
            worst = max(drift, key=lambda name: abs(drift[name]))
            problems.append(
                f"league {self.db_path}: {len(drift)} live rating(s) differ from a replay of the "
                f"matches (largest: {worst}, by {drift[worst]:+.3g} Elo)"
            )
        for player in self.snapshots(active=None):
            try:
                snapshots.verify(self.dir / player.spec, player.file_hash, label=repr(player.name))
            except SnapshotError as err:
                problems.append(str(err))
        return problems


def _connect_read_only(db: Path, timeout: float) -> sqlite3.Connection:
    """A ``mode=ro`` connection that writes nothing; ``immutable`` where SQLite cannot even create the
    WAL's shared-memory file (a read-only folder), since then nobody can be writing the database."""
    uri = db.resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as err:
        if "readonly" not in str(err) and "unable to open" not in str(err):
            return conn  # locked, damaged ...: the reads that follow report it, naming the file
    except sqlite3.DatabaseError:
        return conn
    conn.close()
    return sqlite3.connect(uri + "&immutable=1", uri=True, timeout=timeout, isolation_level=None)


def _set_wal(conn: sqlite3.Connection, timeout: float) -> str:
    """Switch to WAL (a no-op once a database is in WAL). SQLite answers "locked" at once, without
    waiting, when several processes switch a new database together, so retry until ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


@contextmanager
def _db_errors(db: Path) -> Iterator[None]:
    """Turn SQLite's damaged-file and lock-timeout errors into league errors that name the file."""
    try:
        yield
    except sqlite3.OperationalError as err:
        if "locked" in str(err) or "busy" in str(err):
            raise LeagueError(f"league database {db} stayed locked by another writer: {err}") from err
        raise
    except sqlite3.DatabaseError as err:
        if type(err) is sqlite3.DatabaseError:  # not an IntegrityError or other specific subclass
            raise LeagueCorruptError(f"league database {db} is unreadable or damaged: {err}") from err
        raise


def _pair(name: str, value: Any, cast) -> tuple:
    if value is None:
        return (None, None)
    try:
        a, b = value
        return (None if a is None else cast(a)), (None if b is None else cast(b))
    except (TypeError, ValueError):
        raise ValueError(f"{name} is an (A, B) pair of numbers; got {value!r}") from None


_MATCH_DEFAULTS: dict[str, Any] = dict(seed=None, side_a=0, stocks=None, damage=None, kos=None, frames=None)
_MATCH_DEFAULTS |= dict(source="training", replay_path=None, ended_by=None, error=None)


def _check_match(m: dict[str, Any]) -> dict[str, Any]:
    allowed = {"a", "b", "result", *_MATCH_DEFAULTS}
    unknown = sorted(set(m) - allowed)
    if unknown:
        raise ValueError(f"unknown match field(s) {unknown}; allowed: {sorted(allowed)}")
    for key in ("a", "b", "result"):
        if key not in m:
            raise ValueError(f"a match needs {key!r}")
    score_of(m["result"])
    m = _MATCH_DEFAULTS | m
    seed = m["seed"]
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not _INT64[0] <= seed <= _INT64[1]
    ):
        raise ValueError(f"seed must be an int that fits in 64 signed bits, or None; got {seed!r}")
    if m["side_a"] not in (0, 1) or isinstance(m["side_a"], bool):
        raise ValueError(f"side_a is A's slot, 0 or 1; got {m['side_a']!r}")
    if m["source"] not in SOURCES:
        raise ValueError(f"unknown match source {m['source']!r}; allowed: {list(SOURCES)}")
    frames = m["frames"]
    if frames is not None and (isinstance(frames, bool) or not isinstance(frames, int) or frames < 0):
        raise ValueError(f"frames is an int >= 0 or None; got {frames!r}")
    m["stocks"] = _pair("stocks", m["stocks"], int)
    m["damage"] = _pair("damage", m["damage"], float)
    m["kos"] = _pair("kos", m["kos"], int)
    if m["replay_path"] is not None:
        m["replay_path"] = str(m["replay_path"])
    return m
