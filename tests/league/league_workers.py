"""Worker functions the league tests run in separate (spawned) processes.

They live in their own module, not in a test module, so a spawned child can import them by name.
"""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

RESULTS = ("win", "draw", "loss")


def record_worker(directory: str, worker: int, n: int, players: list[str], barrier) -> None:
    """Record ``n`` matches between random pairs of ``players``, one transaction each.

    The seed ``worker * 100_000 + i`` identifies every match, so the parent can find each one. A short
    random pause between writes stands in for playing the match; without it, SQLite's sleeping busy
    handler lets one writer hold the lock for long stretches and the writers barely interleave.
    """
    import time

    from league.store import League

    rng = random.Random(worker)
    with League.open(directory) as league:
        barrier.wait()
        for i in range(n):
            a, b = rng.sample(players, 2)
            league.record_match(
                a,
                b,
                rng.choice(RESULTS),
                seed=worker * 100_000 + i,
                side_a=i % 2,
                stocks=(rng.randint(0, 3), rng.randint(0, 3)),
                frames=rng.randint(1, 2700),
                source="tournament",
            )
            time.sleep(rng.random() * 0.002)


def churn_worker(directory: str, ready: str, batch: int) -> None:
    """Write forever until killed: every round a snapshot (256 KiB) and a batch of matches in one
    transaction. Touches ``ready`` after the first round."""
    from league.store import League

    rng = random.Random(1)
    with League.open(directory) as league:
        players = ["BasedBot", "ConstantBot", "learner"]
        step = len(league.snapshots(active=None)) * 1000
        for round_ in range(10**9):
            step += 1000
            snap = league.register_snapshot(rng.randbytes(256 * 1024), step=step, run="churn")
            players.append(snap.name)
            league.record_matches(
                [
                    dict(a=p[0], b=p[1], result=rng.choice(RESULTS), seed=round_)
                    for p in (rng.sample(players, 2) for _ in range(batch))
                ]
            )
            if round_ == 0:
                Path(ready).touch()


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def die_after_rename(directory: str) -> None:
    """Register a snapshot, but be SIGKILLed right after its file is renamed into place (before the
    database knows of it)."""
    import league.snapshots as snapshots
    from league.store import League

    real_replace = snapshots.os.replace

    def replace_then_die(src, dst):
        real_replace(src, dst)
        _die()

    league = League.open(directory)
    snapshots.os.replace = replace_then_die
    league.register_snapshot(b"complete but never registered", step=1, run="killed", name="after-rename")


def die_during_write(directory: str) -> None:
    """Be SIGKILLed while a snapshot's temp file is being written (at its fsync)."""
    import league.snapshots as snapshots
    from league.store import League

    league = League.open(directory)
    snapshots.os.fsync = lambda fd: _die()
    league.register_snapshot(b"x" * 100_000, step=2, run="killed", name="during-write")


def die_mid_transaction(directory: str) -> None:
    """Be SIGKILLed inside a batch's transaction, after some match rows and rating updates are written
    but before COMMIT."""
    from league.store import League

    league = League.open(directory)
    seen = []

    def trace(statement: str) -> None:
        if statement.startswith("INSERT INTO rating_history"):
            seen.append(statement)
            if len(seen) == 5:  # the third match of the batch is half written
                _die()

    league._conn.set_trace_callback(trace)
    league.record_matches([dict(a="BasedBot", b="ConstantBot", result="win", seed=i) for i in range(10)])


def create_worker(directory: str, name: str, barrier) -> None:
    """Create (or join) a new league at the same moment as other processes, then add one player."""
    from league.store import League

    barrier.wait()
    with League.open(directory, create=True) as league:
        league.add_player(name)
