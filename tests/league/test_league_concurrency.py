"""Several writer processes at once, and writers killed with SIGKILL: nothing lost, nothing half written."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import sys
import time

import pytest
from league_workers import (
    churn_worker,
    create_worker,
    die_after_rename,
    die_during_write,
    die_mid_transaction,
    record_worker,
)

from league.store import League

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="SIGKILL and fork-free spawn semantics of POSIX"
)

CTX = mp.get_context("spawn")
WORKERS, PER_WORKER = 4, 500


def serial_elo(matches, initial, k, anchor):
    """The Elo update written out again, applied in recorded order (independent of league.ratings)."""
    r = dict(initial)
    for m in matches:
        a, b = m["a"], m["b"]
        e_a = 1 / (1 + 10 ** ((r[b] - r[a]) / 400))
        s_a = {"win": 1.0, "draw": 0.5, "loss": 0.0}[m["result"]]
        d = k * (s_a - e_a)
        if a != anchor:
            r[a] = r[a] + d
        if b != anchor:
            r[b] = r[b] - d
    return r


def initial_ratings(league):
    return {r.player.name: r.initial for r in league.ratings()}


def assert_consistent(league):
    """Live ratings equal a serial replay of the matches; games and W/D/L equal the match rows."""
    matches = league.matches()
    expected = serial_elo(matches, initial_ratings(league), league.config.k, league.config.anchor)
    for r in league.ratings():
        assert r.rating == pytest.approx(expected[r.player.name], abs=1e-9), r.player.name
        mine = [m for m in matches if r.player.name in (m["a"], m["b"])]
        assert r.games == len(mine) == r.wins + r.draws + r.losses
    assert league.replay_ratings() == {r.player.name: r.rating for r in league.ratings()}


def run(target, *args, timeout=60):
    proc = CTX.Process(target=target, args=args)
    proc.start()
    proc.join(timeout)
    assert proc.exitcode is not None, f"{target.__name__} hung"
    return proc.exitcode


def test_four_processes_record_2000_matches_consistently(tmp_path):
    players = ["BasedBot", "ConstantBot", "RandomBot", "alpha", "beta", "gamma"]
    with League.open(tmp_path, create=True) as league:
        for name in ("ConstantBot", "RandomBot"):
            league.add_bot(name)
        for name in ("alpha", "beta", "gamma"):
            league.add_player(name)
    barrier = CTX.Barrier(WORKERS)
    procs = [
        CTX.Process(target=record_worker, args=(str(tmp_path), w, PER_WORKER, players, barrier))
        for w in range(WORKERS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * WORKERS

    with League.open(tmp_path) as league:
        matches = league.matches()
        assert len(matches) == WORKERS * PER_WORKER
        assert sorted(m["seed"] for m in matches) == sorted(
            w * 100_000 + i for w in range(WORKERS) for i in range(PER_WORKER)
        )
        owners = [m["seed"] // 100_000 for m in matches]
        switches = sum(x != y for x, y in zip(owners[:-1], owners[1:], strict=True))
        assert switches > WORKERS, "the writers never interleaved; the test did not test concurrency"
        assert_consistent(league)
        # each player's history is a chain: every rating_before is the previous rating_after
        for name in players:
            hist = league.history(name)
            for prev, cur in zip(hist[:-1], hist[1:], strict=True):
                assert cur["rating_before"] == prev["rating_after"]
        assert league.rating("BasedBot").rating == 1000.0
        assert league.check() == []


def test_sigkill_in_the_middle_of_writes_leaves_a_sound_league(tmp_path):
    batch = 20
    with League.open(tmp_path, create=True) as league:
        league.add_bot("ConstantBot")
        league.add_player("learner")
    ready = tmp_path / "ready"
    for delay in (0.0, 0.07, 0.19):
        ready.unlink(missing_ok=True)
        proc = CTX.Process(target=churn_worker, args=(str(tmp_path), str(ready), batch))
        proc.start()
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.is_alive() and time.monotonic() < deadline, "writer died before it was ready"
            time.sleep(0.01)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
        assert proc.exitcode == -signal.SIGKILL

        conn = sqlite3.connect(tmp_path / "league.db")
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.close()
        with League.open(tmp_path) as league:
            assert league.check() == []  # integrity ok and every registered snapshot's file is complete
            assert len(league.matches()) % batch == 0, "a batch was half recorded"
            assert len(league.snapshots(active=None)) >= 1
            for snap in league.snapshots(active=None):
                assert league.load_snapshot(snap).stat().st_size == 256 * 1024
            assert_consistent(league)


def test_sigkill_after_rename_leaves_an_unregistered_complete_file(tmp_path):
    League.open(tmp_path, create=True).close()
    assert run(die_after_rename, str(tmp_path)) == -signal.SIGKILL
    with League.open(tmp_path) as league:
        assert league.snapshots(active=None) == []
        orphans = league.orphan_files()
        assert len(orphans) == 1 and orphans[0].read_bytes() == b"complete but never registered"
        assert league.check() == []


def test_sigkill_while_writing_leaves_only_a_temp_file(tmp_path):
    League.open(tmp_path, create=True).close()
    assert run(die_during_write, str(tmp_path)) == -signal.SIGKILL
    with League.open(tmp_path) as league:
        assert league.snapshots(active=None) == []
        assert [p.name.startswith(".tmp-") for p in league.orphan_files()] == [True]
        assert league.check() == []


def test_sigkill_inside_a_transaction_rolls_the_whole_batch_back(tmp_path):
    with League.open(tmp_path, create=True) as league:
        league.add_bot("ConstantBot")
        league.record_match("BasedBot", "ConstantBot", "win")
    assert run(die_mid_transaction, str(tmp_path)) == -signal.SIGKILL
    with League.open(tmp_path) as league:
        assert league.check() == []
        assert len(league.matches()) == 1
        assert league.rating("ConstantBot").games == 1
        assert_consistent(league)


def test_processes_creating_one_league_at_once_all_succeed(tmp_path):
    barrier = CTX.Barrier(WORKERS)
    procs = [
        CTX.Process(target=create_worker, args=(str(tmp_path / "new"), f"p{w}", barrier))
        for w in range(WORKERS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * WORKERS
    with League.open(tmp_path / "new") as league:
        assert sorted(p.name for p in league.players()) == ["BasedBot", "p0", "p1", "p2", "p3"]
        assert league.schema_version() == 2 and league.check() == []
