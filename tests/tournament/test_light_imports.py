"""Scripted bots play without the trainer: a tournament (and a match) of two bots imports neither torch,
SB3 nor the ``trainers`` package, in the coordinating process or in a worker's batch."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ("torch", "stable_baselines3", "sb3_contrib", "trainers")


def _loaded_after(body: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after running ``body``."""
    code = (
        textwrap.dedent(body) + "\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_tournament_of_two_bots_loads_no_trainer(tmp_path):
    body = f"""
        from tournament.config import BatchSettings, TournamentConfig
        from tournament.runner import run_tournament
        from tournament.lanes import run_batch_collect
        from tournament.schedule import make_schedule
        from league.agents import parse_agents

        res = run_tournament(["BasedBot", "ConstantBot"], TournamentConfig(games=2, frames=120, workers=1,
                             bootstrap=10, out={str(tmp_path / "out")!r}))
        assert len(res.table.rows) == 2
        # a worker's batch, in this process: what `python -m tournament.worker` runs
        agents = {{a.name: a for a in parse_agents(["BasedBot", "RandomBot"])}}
        results = run_batch_collect(agents, make_schedule(list(agents), 2, 0),
                                    BatchSettings(frames=60, stocks=3))
        assert len(results) == 2
    """
    assert _loaded_after(body) == []


def test_a_match_of_two_bots_loads_no_trainer():
    body = """
        from brawl_league.matches import play_series
        series = play_series("BasedBot", "SpacerBot", games=2, frames=90)
        assert len(series["games"]) == 2
    """
    assert _loaded_after(body) == []


def test_the_check_sees_the_trainer_when_a_network_plays(tmp_path):
    """The same check on a tournament with a network does see torch (so the tests above can fail)."""
    from tourney_helpers import save_snapshot

    net = save_snapshot(tmp_path / "net.pt")
    body = f"""
        from league.agents import parse_agents
        parse_agents([{str(net)!r}, "BasedBot"])
    """
    loaded = _loaded_after(body)
    assert "torch" in loaded and "trainers" in loaded
