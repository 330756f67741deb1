"""The league's evidence in a tournament report: snapshot rating against step, and their rank correlation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from brawl_league.cli import app
from brawl_league.report import png_size
from brawl_league.report.evidence import EVIDENCE_FILE, ranks, snapshot_evidence, spearman

runner = CliRunner()


def _row(name, rating, rank):
    return {
        "rank": rank,
        "name": name,
        "rating": rating,
        "ci_low": rating - 40,
        "ci_high": rating + 40,
        "games": 40,
        "wins": 20,
        "draws": 0,
        "losses": 20,
        "score": 0.5,
        "los_next": 0.5,
        "forfeits": 0,
    }


def write_snapshot_tournament(d: Path) -> Path:
    """Four snapshots whose ratings rise with step but for one swap, a run checkpoint named the old way
    (the step only in its name), and two bots."""
    snaps = {
        "run@100": (100, 900.0),
        "run@200": (200, 1000.0),
        "run@300": (300, 950.0),
        "run@400": (400, 1100.0),
    }
    agents = {
        name: {"name": name, "kind": "nn", "source": "snapshot", "step": step, "league_player": name}
        for name, (step, _) in snaps.items()
    }
    agents["run@500"] = {"name": "run@500", "kind": "nn", "source": "checkpoint"}  # no step field
    agents["BasedBot"] = {"name": "BasedBot", "kind": "bot", "source": "builtin", "step": None}
    agents["SpacerBot@7"] = {"name": "SpacerBot@7", "kind": "bot", "source": "module"}  # a bot: never a step
    rated = [(n, r) for n, (_, r) in snaps.items()] + [
        ("run@500", 1200.0),
        ("BasedBot", 1000.0),
        ("SpacerBot@7", 1050.0),
    ]
    rated.sort(key=lambda x: -x[1])
    players = [n for n, _ in rated]
    data = {
        "format": 1,
        "ratings": [_row(n, r, k + 1) for k, (n, r) in enumerate(rated)],
        "anchor": {"name": "BasedBot", "rating": 1000.0},
        "head_to_head": {
            "players": players,
            "score": [[None] * len(players)] * len(players),
            "games": [[0] * len(players)] * len(players),
            "points": [[0] * len(players)] * len(players),
        },
        "warnings": [],
        "bootstrap": 10,
        "meta": {"agents": agents},
    }
    d.mkdir(parents=True)
    (d / "tournament.json").write_text(json.dumps(data))
    return d


def test_ranks_share_ties_and_spearman_matches_the_textbook_formula():
    assert ranks([3.0, 1.0, 2.0, 2.0]) == [4.0, 1.0, 2.5, 2.5]
    steps, ratings = [100, 200, 300, 400, 500], [900.0, 1000.0, 950.0, 1100.0, 1200.0]
    # no ties: rho = 1 - 6 * sum(d^2) / (n (n^2 - 1)), d = [0, 1, -1, 0, 0]
    assert spearman(steps, ratings) == pytest.approx(1 - 6 * 2 / (5 * 24))
    assert spearman(steps, list(reversed(steps))) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 2, 3], [5, 5, 5])) and math.isnan(spearman([1], [2]))


def test_snapshot_evidence_takes_networks_with_steps_only(tmp_path):
    data = json.loads((write_snapshot_tournament(tmp_path / "t") / "tournament.json").read_text())
    ev = snapshot_evidence(data)
    assert [(p["name"], p["step"]) for p in ev["points"]] == [
        ("run@100", 100),
        ("run@200", 200),
        ("run@300", 300),
        ("run@400", 400),
        ("run@500", 500),
    ]
    assert sorted(o["name"] for o in ev["others"]) == ["BasedBot", "SpacerBot@7"]
    assert ev["spearman"] == pytest.approx(0.9)
    assert snapshot_evidence({"ratings": data["ratings"], "meta": {}}) is None


def test_report_plots_rating_against_step_and_prints_spearman(tmp_path):
    d = write_snapshot_tournament(tmp_path / "t")
    result = runner.invoke(app, ["report", str(d)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    index = Path(lines[0])
    assert lines[1] == "snapshots: 5, steps 100 to 500; Spearman(step, rating) = 0.900"
    assert png_size((index.parent / "snapshot_steps.png").read_bytes())[0] > 100
    html = index.read_text()
    assert 'id="spearman">0.900<' in html and "snapshot_steps.png" in html
    written = json.loads((index.parent / EVIDENCE_FILE).read_text())
    assert written["spearman"] == pytest.approx(0.9) and len(written["points"]) == 5


def test_a_tournament_without_snapshots_has_no_evidence_section(tmp_path):
    from test_report import write_tournament

    d = write_tournament(tmp_path / "t")
    (d / "report").mkdir()
    (d / "report" / EVIDENCE_FILE).write_text("{}")  # a stale file from an earlier report goes
    result = runner.invoke(app, ["report", str(d)])
    assert result.exit_code == 0 and len(result.output.strip().splitlines()) == 1
    assert "snapshot-steps-section" not in Path(result.output.strip()).read_text()
    assert not (d / "report" / EVIDENCE_FILE).exists()
