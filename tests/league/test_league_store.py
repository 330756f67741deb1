"""The league store: opening and its errors, players, snapshots, match records, history, the pool cap."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from brawl_env.bots import BotSpecError
from brawl_env.match import MatchResult
from league.config import LeagueConfig
from league.errors import (
    LeagueCorruptError,
    LeagueNotFoundError,
    SchemaTooNewError,
    SnapshotError,
    UnknownPlayerError,
)
from league.store import DB_NAME, League


@pytest.fixture
def league(tmp_path):
    lg = League.open(tmp_path / "lg", create=True)
    yield lg
    lg.close()


# ---------------------------------------------------------------------------------------------- opening
def test_create_sets_wal_foreign_keys_schema_and_anchor(tmp_path):
    with League.open(tmp_path / "new", create=True) as lg:
        assert (tmp_path / "new" / DB_NAME).is_file()
        conn = lg._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert lg.schema_version() == 2
        anchor = lg.rating("BasedBot")
        assert anchor.player.kind == "bot" and anchor.rating == 1000.0 and anchor.games == 0


def test_opening_an_existing_league_writes_nothing(league):
    token = league.state_token()
    League.open(league.dir).close()
    League.open(league.dir, config=LeagueConfig(strategy="pfsp")).close()
    assert league.state_token() == token


def test_missing_database_is_an_error_naming_it(tmp_path):
    with pytest.raises(LeagueNotFoundError, match=f"{tmp_path}/nowhere/{DB_NAME}"):
        League.open(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()


def test_path_that_is_a_file_is_an_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(LeagueNotFoundError, match="not a directory"):
        League.open(tmp_path / "file", create=True)


def test_corrupt_database_is_an_error_naming_it(tmp_path):
    (tmp_path / DB_NAME).write_bytes(b"this is not an sqlite file at all" * 100)
    with pytest.raises(LeagueCorruptError, match=f"{tmp_path}/{DB_NAME}.*unreadable or damaged"):
        League.open(tmp_path)


def test_foreign_sqlite_database_is_not_a_league(tmp_path):
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("CREATE TABLE stuff (x)")
    conn.commit()
    conn.close()
    with pytest.raises(LeagueCorruptError, match="not a league database"):
        League.open(tmp_path, create=True)


def test_empty_database_file_needs_create(tmp_path):
    (tmp_path / DB_NAME).touch()
    with pytest.raises(LeagueCorruptError, match="empty"):
        League.open(tmp_path)
    League.open(tmp_path, create=True).close()  # a crash during creation is repaired by creating again
    League.open(tmp_path).close()


def test_newer_schema_is_refused_naming_file_and_versions(tmp_path):
    League.open(tmp_path, create=True).close()
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("INSERT INTO schema_version VALUES (99, 'future')")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNewError, match=rf"{DB_NAME} has schema version 99, newer than .*\(2\)"):
        League.open(tmp_path)


def test_rating_scale_is_fixed_at_creation(tmp_path):
    League.open(tmp_path, create=True, config=LeagueConfig(k=16, anchor_rating=1500)).close()
    with League.open(tmp_path) as lg:  # no config: the stored scale is adopted
        assert (lg.config.k, lg.config.anchor, lg.config.anchor_rating) == (16, "BasedBot", 1500)
    with League.open(tmp_path, config=LeagueConfig(k=16, anchor_rating=1500, strategy="pfsp")) as lg:
        assert lg.config.strategy == "pfsp"  # sampling settings are free to change
    with pytest.raises(ValueError, match="k: config 32.0, league 16"):
        League.open(tmp_path, config=LeagueConfig())


def test_unknown_anchor_is_an_error(tmp_path):
    with pytest.raises(BotSpecError, match="NoSuchBot"):
        League.open(tmp_path, create=True, config=LeagueConfig(anchor="NoSuchBot"))


# ---------------------------------------------------------------------------------------------- players
def test_players_are_added_once_and_named(league):
    a = league.add_player("learner")
    assert league.add_player("learner") == a
    assert league.player(a.id) == league.player("learner") == a
    assert league.add_bot("ConstantBot") == league.add_bot("ConstantBot")
    with pytest.raises(ValueError, match="a external named 'learner' already exists"):
        league.add_player("learner", kind="bot")
    with pytest.raises(ValueError, match="unknown player kind 'robot'"):
        league.add_player("r", kind="robot")
    with pytest.raises(BotSpecError, match="NotABot"):
        league.add_bot("NotABot")
    with pytest.raises(UnknownPlayerError, match="no player 'ghost'"):
        league.player("ghost")
    assert [p.name for p in league.players(kind="bot")] == ["BasedBot", "ConstantBot"]


# ---------------------------------------------------------------------------------------------- snapshots
def test_register_snapshot_writes_atomically_and_hashes(league, tmp_path):
    data = b"weights" * 1000
    snap = league.register_snapshot(data, step=5000, run="exp1", suffix=".zip")
    assert snap.kind == "snapshot" and snap.name == "exp1@5000" and snap.step == 5000
    assert snap.parent_run == "exp1" and snap.file_hash == hashlib.sha256(data).hexdigest()
    path = league.load_snapshot(snap)
    assert path.parent == league.snapshot_dir and path.suffix == ".zip" and path.read_bytes() == data
    assert [p.name for p in league.snapshot_dir.iterdir()] == [path.name]  # no temp file left
    src = tmp_path / "rl_model_6000_steps.zip"
    src.write_bytes(b"more weights")
    snap2 = league.register_snapshot(src, step=6000, run="exp1")
    assert league.load_snapshot(snap2).read_bytes() == b"more weights"
    assert league.load_snapshot(snap2).name.endswith(".zip")
    assert [s.name for s in league.snapshots()] == ["exp1@5000", "exp1@6000"]
    assert league.check() == [] and league.orphan_files() == []


def test_snapshot_hash_mismatch_and_missing_file_are_errors_naming_the_file(league):
    snap = league.register_snapshot(b"good", step=1, run="r")
    path = league.dir / snap.spec
    path.write_bytes(b"evil")
    with pytest.raises(SnapshotError, match=f"{path} fails its hash check"):
        league.load_snapshot(snap)
    assert any("fails its hash check" in p for p in league.check())
    path.unlink()
    with pytest.raises(SnapshotError, match=f"{path} is missing"):
        league.load_snapshot("r@1")
    with pytest.raises(ValueError, match="not a snapshot"):
        league.load_snapshot("BasedBot")


def test_changed_file_is_caught_even_after_a_verified_load(league):
    snap = league.register_snapshot(b"a" * 100, step=1)
    path = league.load_snapshot(snap)
    path.write_bytes(b"b" * 101)
    with pytest.raises(SnapshotError):
        league.load_snapshot(snap)


def test_snapshot_bad_input(league, tmp_path):
    with pytest.raises(ValueError, match="step is an int >= 0"):
        league.register_snapshot(b"x", step=-1)
    with pytest.raises(SnapshotError, match="is not a file"):
        league.register_snapshot(tmp_path / "absent.zip", step=1)
    league.register_snapshot(b"x", step=1, run="r")
    with pytest.raises(ValueError, match="'r@1' already exists"):
        league.register_snapshot(b"x", step=1, run="r")
    assert league.orphan_files() == []  # nothing left behind by the failed attempts


def test_snapshot_initial_rating(league):
    learner = league.add_player("learner")
    first = league.register_snapshot(b"1", step=1, run="r")
    assert league.rating(first).rating == 1000.0
    league.record_match(learner, "BasedBot", "win")
    second = league.register_snapshot(b"2", step=2, run="r", initial=learner)
    assert league.rating(second).rating == league.rating(learner).rating == 1016.0
    league.record_match(second, first, "win")
    third = league.register_snapshot(b"3", step=3, run="r")  # default: the run's newest snapshot's rating
    assert league.rating(third).rating == league.rating(second).rating
    assert league.rating(third).initial == league.rating(third).rating
    assert league.rating(league.register_snapshot(b"4", step=4, run="r", initial=1234.5)).rating == 1234.5


@pytest.mark.parametrize("retire", ["oldest", "weakest"])
def test_pool_cap_retires_but_keeps_ratings(tmp_path, retire):
    config = LeagueConfig(pool_cap=3, retire=retire)
    with League.open(tmp_path, create=True, config=config) as lg:
        snaps = [
            lg.register_snapshot(bytes([i]), step=i, run="r", initial=start)
            for i, start in enumerate([1200, 950, 1100])
        ]
        lg.record_match(snaps[0], snaps[2], "win")
        before = {s.name: lg.rating(s).rating for s in snaps}
        lg.register_snapshot(b"x", step=3, run="r", initial=1000)
        lg.register_snapshot(b"y", step=4, run="other")  # another run's pool is capped on its own
        active = [s.name for s in lg.snapshots(run="r")]
        retired = [s.name for s in lg.snapshots(run="r", active=False)]
        assert len(active) == 3 and len(retired) == 1
        weakest = min(before, key=before.get)
        assert weakest == "r@1"
        assert retired == (["r@0"] if retire == "oldest" else ["r@1"])
        assert lg.rating(retired[0]).rating == before[retired[0]]
        assert not lg.player(retired[0]).active
        assert lg.load_snapshot(retired[0]).is_file()  # the file stays, for tournaments
        assert [r.player.name for r in lg.pool()] == active + ["other@4"]


# ---------------------------------------------------------------------------------------------- matches
def test_record_match_stores_every_field(league):
    league.add_player("learner")
    mid = league.record_match(
        "learner",
        "BasedBot",
        "win",
        seed=123,
        side_a=1,
        stocks=(2, 0),
        damage=(150.5, 80.0),
        kos=(3, 1),
        frames=1800,
        source="evaluation",
        replay_path="replays/1.npz",
        ended_by="stocks",
    )
    (m,) = league.matches()
    assert m == {
        "id": mid,
        "played_at": m["played_at"],
        "source": "evaluation",
        "a": "learner",
        "b": "BasedBot",
        "result": "win",
        "seed": 123,
        "side_a": 1,
        "stocks_a": 2,
        "stocks_b": 0,
        "damage_a": 150.5,
        "damage_b": 80.0,
        "kos_a": 3,
        "kos_b": 1,
        "frames": 1800,
        "ended_by": "stocks",
        "error": None,
        "replay_path": "replays/1.npz",
    }
    (h,) = league.history("BasedBot")
    assert h["opponent"] == "learner" and h["result"] == "loss" and h["side"] == 0
    assert h["stocks"] == (0, 2) and h["damage"] == (80.0, 150.5) and h["kos"] == (1, 3)
    r = league.rating("learner")
    assert (r.games, r.wins, r.draws, r.losses) == (1, 1, 0, 0) and r.last_played == m["played_at"]
    assert league.head_to_head("learner") == {league.player("BasedBot").id: (1, 1.0)}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(result="tie"), "unknown result 'tie'"),
        (dict(source="practice"), "unknown match source 'practice'; allowed: .*training"),
        (dict(side_a=2), "side_a is A's slot"),
        (dict(seed=2**64), "seed must be an int"),
        (dict(frames=-1), "frames is an int >= 0"),
        (dict(stocks=(1,)), r"stocks is an \(A, B\) pair"),
        (dict(b="learner"), "cannot play itself"),
        (dict(b="ghost"), "no player 'ghost'"),
    ],
)
def test_bad_match_input_is_refused_and_nothing_written(league, kwargs, message):
    league.add_player("learner")
    args = dict(a="learner", b="BasedBot", result="win") | kwargs
    with pytest.raises((ValueError, LookupError), match=message):
        league.record_match(**args)
    assert league.matches() == [] and league.rating("learner").games == 0


def test_a_bad_row_rolls_back_its_whole_batch(league):
    league.add_player("learner")
    with pytest.raises(LookupError):
        league.record_matches(
            [dict(a="learner", b="BasedBot", result="win"), dict(a="learner", b="ghost", result="win")]
        )
    assert league.matches() == [] and league.rating("learner").rating == 1000.0


def test_record_result_maps_a_match_result_by_slot(league):
    league.add_player("learner")
    stats = (
        {"stocks_left": 0.0, "damage_dealt": 40.0, "knockouts_dealt": 1.0},
        {"stocks_left": 2.0, "damage_dealt": 210.0, "knockouts_dealt": 3.0},
    )
    res = MatchResult(
        seed=9, names=("BasedBot", "learner"), winner=1, frames=1500, ended_by="stocks", stats=stats
    )
    league.record_result("learner", "BasedBot", res, a_slot=1, source="evaluation")
    (m,) = league.matches()
    assert (m["a"], m["result"], m["side_a"], m["seed"], m["frames"]) == ("learner", "win", 1, 9, 1500)
    assert (m["stocks_a"], m["stocks_b"], m["damage_a"], m["kos_a"], m["kos_b"]) == (2, 0, 210.0, 3, 1)
    forfeit = MatchResult(
        seed=10,
        names=("learner", "BasedBot"),
        winner=1,
        frames=3,
        ended_by="forfeit",
        stats=stats,
        forfeit={"slot": 0, "name": "learner", "reason": "raised ValueError"},
    )
    league.record_result("learner", "BasedBot", forfeit, a_slot=0)
    m = league.matches()[-1]
    assert m["result"] == "loss" and m["ended_by"] == "forfeit" and "raised ValueError" in m["error"]


def test_check_compares_the_live_ratings_with_a_replay_in_one_read(league):
    import sqlite3

    league.add_bot("RandomBot")
    league.record_matches([dict(a="RandomBot", b="BasedBot", result=r) for r in ("win", "loss", "draw")])
    assert league.check() == [] and league.replay_ratings()["RandomBot"] == league.rating("RandomBot").rating
    with sqlite3.connect(league.db_path) as raw:  # a rating edited behind the league's back
        raw.execute(
            "UPDATE ratings SET rating = rating + 0.0004 WHERE player_id = "
            "(SELECT id FROM players WHERE name = 'RandomBot')"
        )
    assert any("differ from a replay" in p and "RandomBot" in p for p in league.check())
