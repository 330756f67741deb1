"""Whole tournaments: forfeits with reasons, kill and resume, the league, reproducibility, Ray = local."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from tourney_helpers import ROGUE_BOTS, save_snapshot, write_bots

from league.store import League
from tournament.config import TournamentConfig
from tournament.runner import MATCHES, read_matches, run_tournament

BOTS = ["BasedBot", "ConstantBot", "RandomBot", "ClockworkBot"]


def _strip(row: dict) -> dict:
    """A matches.jsonl line without what differs between two runs of the same tournament."""
    return {k: v for k, v in row.items() if k not in ("recorded", "league_key")}


def _tournament_matches(league_dir) -> list[dict]:
    with League.open(league_dir) as lg:
        return [m for m in lg.matches() if m["source"] == "tournament"]


def test_bad_bots_forfeit_with_reasons_and_the_tournament_completes(tmp_path):
    path = write_bots(tmp_path)
    specs = [f"{path}:Raiser", f"{path}:BadKeys", f"{path}:Hanger", f"{path}:Sleeper", "BasedBot"]
    res = run_tournament(
        specs,
        TournamentConfig(games=2, frames=300, out=tmp_path / "t", workers=1, hang_limit=0.15, bootstrap=50),
    )
    assert res.complete and len(res.results) == 10 * 2
    first = {"Hanger": 3, "Sleeper": 4, "BadKeys": 5, "Raiser": 7}  # the frame each one faults on
    reason = {
        "Raiser": "act raised ZeroDivisionError: division by zero",
        "BadKeys": "bad keys: every key must be exactly 0 or 1; got 0.5",
        "Hanger": "act did not return within 0.15 s",
        "Sleeper": "act did not return within 0.15 s",
    }
    for r in res.results:
        faulty = [n for n in (r["a"], r["b"]) if n in first]
        culprit = min(faulty, key=first.get)
        assert r["ended_by"] == "forfeit" and r["forfeit"]["name"] == culprit
        assert r["forfeit"]["reason"].startswith(reason[culprit]), r["forfeit"]
        assert r["result_a"] == ("loss" if r["a"] == culprit else "win")
    forfeits = Counter(r["forfeit"]["name"] for r in res.results)
    assert forfeits == {"Hanger": 8, "Sleeper": 6, "BadKeys": 4, "Raiser": 2}
    assert res.meta["forfeits"] == dict(forfeits)
    rows = {row["name"]: row for row in res.table.rows}
    assert rows["BasedBot"]["wins"] == 8 and rows["Hanger"]["forfeits"] == 8
    # the league has every match, with the reason
    matches = _tournament_matches(tmp_path / "t" / "league_db")
    assert len(matches) == 20
    assert all(m["ended_by"] == "forfeit" and m["error"] for m in matches)
    assert any("Hanger: act did not return" in m["error"] for m in matches)
    for name in (
        "tournament.json",
        "ratings.csv",
        "ratings.md",
        "head_to_head.csv",
        "heatmap.png",
        "ratings.png",
    ):
        assert (tmp_path / "t" / name).stat().st_size > 0
    doc = json.loads((tmp_path / "t" / "tournament.json").read_text())
    assert doc["meta"]["forfeits"] == dict(forfeits) and doc["meta"]["games_per_pair"] == 2


def test_hangs_the_timer_cannot_stop_and_dying_workers(tmp_path):
    path = write_bots(tmp_path, ROGUE_BOTS, "rogue.py")
    res = run_tournament(
        [f"{path}:Blocker", f"{path}:Exiter", "ConstantBot"],
        TournamentConfig(
            games=1, frames=200, out=tmp_path / "t", workers=1, batch_size=3, stall_limit=2.0, bootstrap=0
        ),
    )
    assert res.complete
    by_pair = {(r["a"], r["b"]): r for r in res.results}
    blocker = by_pair[("Blocker", "ConstantBot")]
    assert blocker["forfeit"]["name"] == "Blocker" and "stopped responding" in blocker["forfeit"]["reason"]
    exiter = by_pair[("Exiter", "ConstantBot")]
    assert exiter["forfeit"]["name"] == "Exiter" and "worker process died" in exiter["forfeit"]["reason"]
    both = by_pair[("Blocker", "Exiter")]
    assert both["forfeit"]["name"] == "Exiter"  # it faults first (frame 2, the Blocker on frame 4)
    assert len(_tournament_matches(tmp_path / "t" / "league_db")) == 3


def test_killed_and_resumed_plays_exactly_the_missing_matches(tmp_path, monkeypatch):
    """Also the reproducibility check: the same seed gives the same results, however the work was cut."""
    kw = dict(games=4, frames=300, seed=3, workers=1, batch_size=4, bootstrap=200)
    whole = run_tournament(BOTS, TournamentConfig(out=tmp_path / "whole", write_files=False, **kw))
    assert whole.complete and whole.played == 24

    out = tmp_path / "cut"
    part = run_tournament(BOTS, TournamentConfig(out=out, max_matches=7, **kw))
    assert not part.complete and part.played == 7 and part.table is None
    assert len(read_matches(out / MATCHES)) == 7 and len(_tournament_matches(out / "league_db")) == 7

    # a crash between the journal and the league: the journal has lines the league lacks
    calls = {"n": 0}
    original = League.record_matches

    def failing(self, rows):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # as if Ctrl-C hit between the two writes
        return original(self, rows)

    monkeypatch.setattr(League, "record_matches", failing)
    with pytest.raises(KeyboardInterrupt):
        run_tournament(None, TournamentConfig(out=out, resume=True, **kw))
    monkeypatch.setattr(League, "record_matches", original)
    in_journal = len(read_matches(out / MATCHES))
    assert in_journal > len(_tournament_matches(out / "league_db"))
    with open(out / MATCHES, "a") as f:  # and a torn last line
        f.write('{"index": 23, "a": "Cl')

    done = run_tournament(None, TournamentConfig(out=out, resume=True, **kw))
    assert done.complete and done.played == 24 - in_journal
    lines = read_matches(out / MATCHES)
    assert sorted(r["index"] for r in lines) == list(range(24))  # each exactly once
    keys = [m["replay_path"] for m in _tournament_matches(out / "league_db")]
    assert len(keys) == 24 and len(set(keys)) == 24  # once in the league
    assert sorted(keys) == sorted(r["league_key"] for r in lines)
    assert done.table.to_dict() == whole.table.to_dict()  # same table
    assert [_strip(r) for r in done.results] == [
        _strip(r) for r in whole.results
    ]  # same matches, bit for bit
    assert len({r["final_hash"] for r in whole.results}) == 24


def test_out_dir_is_not_reused_without_resume_and_resume_checks_the_plan(tmp_path):
    run_tournament(
        BOTS[:2], TournamentConfig(games=1, frames=30, out=tmp_path / "t", bootstrap=0, write_files=False)
    )
    with pytest.raises(ValueError, match="already holds a tournament"):
        run_tournament(BOTS[:2], TournamentConfig(games=1, frames=30, out=tmp_path / "t"))
    with pytest.raises(ValueError, match="planned with games=1"):
        run_tournament(None, TournamentConfig(games=2, out=tmp_path / "t", resume=True))
    with pytest.raises(ValueError, match="agents differ"):
        run_tournament(["BasedBot", "RandomBot"], TournamentConfig(out=tmp_path / "t", resume=True))
    with pytest.raises(ValueError, match="no tournament to resume"):
        run_tournament(None, TournamentConfig(out=tmp_path / "nothing", resume=True))
    again = run_tournament(
        None, TournamentConfig(out=tmp_path / "t", resume=True, bootstrap=0, write_files=False)
    )
    assert again.complete and again.played == 0


def test_networks_and_bots_with_replays_and_best_video(tmp_path):
    pytest.importorskip("imageio_ffmpeg")
    nets = [str(save_snapshot(tmp_path / f"net{i}.pt", seed=i)) for i in range(2)]
    res = run_tournament(
        [*nets, "BasedBot"],
        TournamentConfig(
            games=1, frames=60, out=tmp_path / "t", workers=1, bootstrap=0, videos="best", write_files=False
        ),
    )
    assert res.complete and {r["ended_by"] for r in res.results} <= {"stocks", "time"}
    agents = res.meta["agents"]
    assert agents["net0"]["kind"] == "nn" and agents["net0"]["league_player"] == "net0"
    with League.open(tmp_path / "t" / "league_db") as lg:
        assert lg.player("net0").kind == "external"
    from brawl_env.replay import load, simulate

    for r in res.results:
        assert simulate(load(tmp_path / "t" / r["replay"])).matches_recording is True
    assert len(res.meta["videos"]) == 1 and (tmp_path / "t" / res.meta["videos"][0]).stat().st_size > 1000


def test_ray_backend_gives_the_local_table(tmp_path):
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'brawl-league[ray]')")
    kw = dict(games=2, frames=240, seed=4, workers=2, bootstrap=100, write_files=False)
    bots = ["BasedBot", "ConstantBot", "ClockworkBot"]
    local = run_tournament(bots, TournamentConfig(out=tmp_path / "local", backend="local", **kw))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = run_tournament(bots, TournamentConfig(out=tmp_path / "ray", backend="ray", **kw))
    finally:
        ray.shutdown()
    assert remote.complete and remote.meta["backend"] == "ray"
    assert remote.table.to_dict() == local.table.to_dict()
    assert [(_strip(r) | {"replay": None}) for r in remote.results] == [
        (_strip(r) | {"replay": None}) for r in local.results
    ]


def test_two_deterministic_bots_report_their_distinct_games(tmp_path):
    """BasedBot and EdgeGuardBot are deterministic: whatever differs between their 20 seeded games is what
    the seeds vary. The table counts each distinct game once and says how many there were."""
    from tournament.runner import game_signature

    out = tmp_path / "t"
    res = run_tournament(
        ["BasedBot", "EdgeGuardBot"],
        TournamentConfig(games=20, frames=900, out=out, workers=1, bootstrap=300),
    )
    signatures = {game_signature(r) for r in res.results}
    doc = json.loads((out / "tournament.json").read_text())
    h2h = doc["head_to_head"]
    assert h2h["games"][0][1] == 20 and h2h["distinct"][0][1] == h2h["distinct"][1][0] == len(signatures)
    assert doc["meta"]["distinct_games"] == len(signatures)
    repeated = [w for w in doc["warnings"] if "repeated" in w]
    assert bool(repeated) == (len(signatures) < 20)
    if len(signatures) < 20:  # the intervals are those of the distinct games, wider than of 20 samples
        from tournament.runner import build_table

        plain = build_table(
            [{**r, "frames": r["index"]} for r in res.results], ["BasedBot", "EdgeGuardBot"], bootstrap=300
        )  # frames made unique: every game its own
        widths = [
            {r["name"]: r["ci_high"] - r["ci_low"] for r in t["ratings"]} for t in (doc, plain.to_dict())
        ]
        assert widths[0]["EdgeGuardBot"] >= widths[1]["EdgeGuardBot"]
        assert f"{len(signatures)} distinct" in (out / "ratings.md").read_text()


def test_a_sigkilled_tournament_leaves_no_temporary_folder(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    code = f"""
import os, signal
from tournament.config import TournamentConfig
from tournament.runner import run_tournament

def progress(done, total, result):
    if result is not None:  # the first match is recorded: die without any clean-up
        os.kill(os.getpid(), signal.SIGKILL)

run_tournament(["BasedBot", "ConstantBot"], TournamentConfig(games=4, frames=60, out={str(tmp_path / "t")!r},
               workers=1), progress=progress)
"""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "TMPDIR": str(private_tmp)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert len(read_matches(tmp_path / "t" / MATCHES)) >= 1
    left = [p.name for p in private_tmp.iterdir() if p.name.startswith("brawl")]
    assert left == []  # was: brawl-tournament-* (its heartbeat files)


def test_every_output_file_has_the_same_mode(tmp_path):
    import os
    import stat

    from brawl_league.report import build_report

    old = os.umask(0o022)
    try:
        out = tmp_path / "t"
        run_tournament(
            ["BasedBot", "ConstantBot"],
            TournamentConfig(games=2, frames=60, out=out, workers=1, bootstrap=20),
        )
        build_report(out)
    finally:
        os.umask(old)
    modes = {
        p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*") if p.is_file()
    }
    assert modes and set(modes.values()) == {0o644}, modes  # tournament.json & co were 0600, reports 0644
