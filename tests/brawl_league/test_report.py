"""``brawl-league report`` without a browser: a real tiny run (also mid-run), short and half-written series,
the success criteria, tournament directories and the errors. The page in a real browser:
tests/brawl_league/test_report_browser.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from brawl_league.cli import app
from brawl_league.report import ReportError, build_report, detect_kind, png_size
from brawl_league.report.data import CRITERIA, judge, latest_numbers, load_run, read_csv
from brawl_league.report.plots import RUN_PLOTS

runner = CliRunner()

TINY = [
    "model.frame_dim=16",
    "model.d_model=16",
    "model.heads=2",
    "model.layers=1",
    "model.window=8",
    "model.ffn=16",
    "model.lstm=16",
    "ppo.n_envs=8",
    "ppo.n_steps=16",
    "ppo.batch_size=64",
    "ppo.n_epochs=1",
    "env.max_frames=40",
    "run.checkpoint_every=128",
    "run.snapshot_every=128",
    "run.eval_every=256",
    "run.eval_games=2",
    "device=cpu",
    "run.total_steps=512",
]
PLOT_FILES = [f"{name}.png" for name, *_ in RUN_PLOTS]
BEHAVIOR_HEADER = (
    "episode,step,damage_dealt,damage_taken,damage_ratio,knockouts_dealt,knockouts_taken,"
    "weapon_pickups,attacks_started,hits_landed,time_alive_s,result,opponent,opponent_kind,"
    "slot"
)
EVAL_HEADER = (
    "step,opponent,games,win_rate,draw_rate,avg_damage_dealt,avg_damage_taken,avg_knockouts,"
    "avg_knocked_out,avg_time_s,learner_elo,wall_s"
)


def make_tiny_run(root: Path, name: str = "tiny") -> tuple[Path, Path | None]:
    """A real training run of the tiny config (a few seconds on a CPU). While it runs, after its third
    rollout, a report is built from the half-finished directory: returns (run dir, that mid-run index)."""
    from league.store import League
    from trainers.base import ProgressHook
    from league.registry import trainer_class

    class ReportMidRun(ProgressHook):
        index: Path | None = None

        def _on_progress(self, progress):
            if self.reports == 3:
                self.index = build_report(run_dir, root / f"{name}-midrun-report")
            return True

    cls = trainer_class("transformer-lstm-ppo")
    run_dir = root / name
    run_dir.mkdir()
    hook = ReportMidRun()
    with League.open(run_dir / "league_db", create=True) as league:
        cls(cls.load_config("smoke", None, TINY), run_dir, league, hook).train()
    return run_dir, hook.index


_TINY_RUN: list[tuple[Path, Path | None]] = []


def tiny_run_once(tmp_path_factory) -> tuple[Path, Path | None]:
    """One tiny run per test session, shared by this module and the browser test (it never changes)."""
    if not _TINY_RUN:
        _TINY_RUN.append(make_tiny_run(tmp_path_factory.mktemp("report")))
    return _TINY_RUN[0]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return tiny_run_once(tmp_path_factory)


def criteria_rows(html: str) -> list[tuple[str, str]]:
    """(class, label) of each row of the criteria table."""
    body = html.split('id="criteria"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr class="criterion ([a-z-]+)"><td>([^<]*)</td>', body)


def check_pngs(folder: Path, names: list[str]) -> None:
    for name in names:
        size = png_size((folder / name).read_bytes())
        assert size is not None and size[0] > 100 and size[1] > 100, name


# -- a real run ----------------------------------------------------------------------------------------------
def test_cli_report_on_a_tiny_run(tiny_run):
    run_dir, _ = tiny_run
    result = runner.invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    index = Path(result.output.strip())
    assert index == run_dir / "report" / "index.html"
    html = index.read_text()
    check_pngs(index.parent, PLOT_FILES)
    for name in PLOT_FILES:
        assert f'src="{name}"' in html
    assert len(re.findall(r"<img [^>]*alt=\"[^\"]+\"", html)) == len(PLOT_FILES)
    rows = criteria_rows(html)
    assert [label for _, label in rows] == [label for _, label, _, _ in CRITERIA]
    assert all(cls in ("met", "not-met", "no-data") for cls, _ in rows)
    assert "evaluation at step 512" in html  # the win rate comes from the last evaluation
    assert "learner:tiny" in html and "tiny@512" in html  # the league table
    assert not list(index.parent.glob(".*.tmp"))  # atomic writes leave no temp files
    assert "<script" not in html and "http" not in html  # self-contained: no scripts, nothing fetched


def test_a_report_of_a_run_that_is_still_going(tiny_run):
    _, mid = tiny_run
    assert mid is not None and mid.exists()
    html = mid.read_text()
    assert len(criteria_rows(html)) == 5
    check_pngs(mid.parent, PLOT_FILES)


def test_out_option_and_rerun_overwrite(tiny_run, tmp_path):
    run_dir, _ = tiny_run
    out = tmp_path / "elsewhere"
    for _ in range(2):
        result = runner.invoke(app, ["report", str(run_dir), "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(PLOT_FILES + ["index.html"])


# -- hand-made runs ------------------------------------------------------------------------------------------
def _behavior_row(
    ep: int,
    step: int,
    dealt=10.0,
    taken=5.0,
    kos=1,
    pickups=0,
    alive=20.0,
    result="win",
    opponent="BasedBot",
    kind="bot",
) -> str:
    return (
        f"{ep},{step},{dealt},{taken},{dealt / max(taken, 1.0):.6g},{kos},0,{pickups},3,1,{alive},"
        f"{result},{opponent},{kind},0"
    )


def write_run(d: Path, episodes: int, evals: int | None = None, max_frames: int = 2700) -> Path:
    """A run directory as the trainer writes it, with ``episodes`` episodes and no league."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "config.toml").write_text(
        f'[train]\npreset = "smoke"\n\n[env]\nmax_frames = {max_frames}\n\n[run]\ntotal_steps = 4096\n'
    )
    monitor = ['#{"t_start": 1795841713.7, "env_id": "brawl_v0"}', "r,l,t"]
    behavior = [BEHAVIOR_HEADER]
    rewards = ["episode,step,opponent,total,damage_interaction,win"]
    kinds = [("BasedBot", "bot"), ("r@128", "snapshot"), ("mirror", "mirror")]
    for i in range(episodes):
        opp, kind = kinds[i % 3]
        monitor.append(f"{0.5 * i - 1:.6g},40,{1.0 + i}")
        behavior.append(
            _behavior_row(i + 1, 64 * (i + 1), result=("win", "loss", "draw")[i % 3], opponent=opp, kind=kind)
        )
        rewards.append(f"{i + 1},{64 * (i + 1)},{opp},{0.5 * i - 1:.6g},{0.5 * i:.6g},-1")
    ev = [EVAL_HEADER]
    for k in range(episodes if evals is None else evals):
        ev.append(f"{256 * (k + 1)},BasedBot,4,{0.25 * k},0.25,12,6,1.5,0.5,30,{1000 + 8 * k},0.1")
    for name, lines in (
        ("monitor.csv", monitor),
        ("behavior_metrics.csv", behavior),
        ("reward_breakdown.csv", rewards),
        ("evaluation_results.csv", ev),
    ):
        (d / name).write_text("\r\n".join(lines) + "\r\n")
    return d


@pytest.mark.parametrize("episodes", [0, 1, 2])
def test_short_series_do_not_crash(tmp_path, episodes):
    run = write_run(tmp_path / f"run{episodes}", episodes)
    index = build_report(run)
    check_pngs(index.parent, PLOT_FILES)
    rows = criteria_rows(index.read_text())
    assert len(rows) == 5
    if episodes == 0:
        assert {cls for cls, _ in rows} == {"no-data"}
    else:
        assert "no-data" not in {cls for cls, _ in rows}


def test_only_a_config_file_is_still_a_run(tmp_path):
    d = tmp_path / "fresh"
    d.mkdir()
    (d / "config.toml").write_text("[run]\ntotal_steps = 100\n")
    index = build_report(d)
    html = index.read_text()
    assert "no monitor.csv yet" in html
    check_pngs(index.parent, PLOT_FILES)


def test_a_half_written_last_line_is_skipped(tmp_path):
    run = write_run(tmp_path / "run", 5)
    with open(run / "behavior_metrics.csv", "a", newline="") as fh:
        fh.write("6,384,12.5,3,4.1")  # the trainer is in the middle of this row
    with open(run / "monitor.csv", "a", newline="") as fh:
        fh.write("0.25,4")
    table = read_csv(run / "behavior_metrics.csv")
    assert len(table) == 5 and table.dropped == 1
    assert len(read_csv(run / "monitor.csv")) == 5
    html = build_report(run).read_text()
    assert "behavior_metrics.csv: 1 incomplete row(s) skipped" in html


def test_damaged_rows_and_a_damaged_league_are_noted_not_fatal(tmp_path):
    run = write_run(tmp_path / "run", 3)
    with open(run / "evaluation_results.csv", "a", newline="") as fh:
        fh.write("1024,BasedBot\r\n\x00\x00garbage,,\r\n")
    (run / "league").mkdir()  # the folder name of runs made before league_db/: still read
    (run / "league" / "league.db").write_bytes(b"this is not sqlite" * 100)
    data = load_run(run)
    assert len(data.evals) == 3 and data.evals.dropped == 2
    html = build_report(run).read_text()
    assert "league: could not read the league" in html
    check_pngs(run / "report", PLOT_FILES)


# -- the success criteria ------------------------------------------------------------------------------------
def test_criteria_are_judged_strictly_above_the_guides_thresholds():
    crit = {
        c.key: c
        for c in judge(
            {
                "win_rate": (0.71, "eval"),
                "damage_ratio": (2.0, "x"),
                "knockouts": (2.5, "x"),
                "weapon_pickups": (0.9, "x"),
                "survival_s": (float("nan"), "x"),
            }
        )
    }
    assert [c for c in crit] == [key for key, *_ in CRITERIA]
    assert crit["win_rate"].status == "met" and crit["win_rate"].shown() == "71.0 %"
    assert crit["damage_ratio"].status == "not met"  # equal is not above
    assert crit["knockouts"].status == "met"
    assert crit["weapon_pickups"].status == "not met"
    assert crit["survival_s"].status == "no data"
    assert crit["win_rate"].target == "> 70 %" and crit["survival_s"].target == "> 60 s"
    assert judge({})[0].status == "no data"


def test_latest_numbers_use_the_last_evaluation_and_the_last_100_episodes(tmp_path):
    run = write_run(tmp_path / "run", 0, evals=0)
    old = [
        _behavior_row(i + 1, 10 * i, dealt=1.0, taken=100.0, kos=0, pickups=0, alive=5.0) for i in range(50)
    ]
    new = [
        _behavior_row(
            51 + i,
            1000 + 10 * i,
            dealt=30.0,
            taken=10.0,
            kos=3,
            pickups=2 if i % 2 else 1,
            alive=61.0 + (i % 3),
        )
        for i in range(100)
    ]
    (run / "behavior_metrics.csv").write_text("\r\n".join([BEHAVIOR_HEADER, *old, *new]) + "\r\n")
    ev = [EVAL_HEADER, "256,BasedBot,10,0.9,0,1,1,1,1,1,1000,1", "512,BasedBot,10,0.6,0.1,1,1,1,1,1,1000,1"]
    (run / "evaluation_results.csv").write_text("\r\n".join(ev) + "\r\n")
    numbers = latest_numbers(load_run(run))
    assert numbers["win_rate"][0] == pytest.approx(0.6) and "step 512" in numbers["win_rate"][1]
    assert numbers["damage_ratio"][0] == pytest.approx(3.0)  # 3000 dealt / 1000 taken, old rows left out
    assert numbers["knockouts"][0] == pytest.approx(3.0)
    assert numbers["weapon_pickups"][0] == pytest.approx(1.5)
    assert numbers["survival_s"][0] == pytest.approx(sum(61.0 + (i % 3) for i in range(100)) / 100)
    statuses = {c.key: c.status for c in judge(numbers)}
    assert statuses == {
        "win_rate": "not met",
        "damage_ratio": "met",
        "knockouts": "met",
        "weapon_pickups": "met",
        "survival_s": "met",
    }


def test_without_an_evaluation_the_win_rate_comes_from_training_games_vs_basedbot(tmp_path):
    run = write_run(tmp_path / "run", 6, evals=0)
    value, source = latest_numbers(load_run(run))["win_rate"]
    assert value == 1.0 and "training episodes vs BasedBot" in source  # BasedBot is every third game, all won


def test_without_behavior_metrics_the_evaluation_stands_in(tmp_path):
    run = write_run(tmp_path / "run", 2)
    (run / "behavior_metrics.csv").unlink()
    numbers = latest_numbers(load_run(run))
    assert numbers["damage_ratio"][0] == pytest.approx(2.0) and "evaluation" in numbers["damage_ratio"][1]
    assert numbers["knockouts"][0] == pytest.approx(1.5)
    assert "weapon_pickups" not in numbers and "survival_s" not in numbers


# -- tournaments ---------------------------------------------------------------------------------------------
PLAYERS = ["ArmoryBot", "BasedBot", "<b>Evil & Co</b>"]


def write_tournament(d: Path, pngs: bool = False) -> Path:
    """A tournament output directory following the format-1 contract of tournament.json."""
    d.mkdir(parents=True, exist_ok=True)
    ratings = [
        {
            "rank": 1,
            "name": "ArmoryBot",
            "rating": 1234.5,
            "ci_low": 1190.0,
            "ci_high": 1280.0,
            "games": 40,
            "wins": 30,
            "draws": 4,
            "losses": 6,
            "score": 0.8,
            "los_next": 0.99,
            "forfeits": 0,
        },
        {
            "rank": 2,
            "name": "BasedBot",
            "rating": 1000.0,
            "ci_low": 1000.0,
            "ci_high": 1000.0,
            "games": 40,
            "wins": 18,
            "draws": 4,
            "losses": 18,
            "score": 0.5,
            "los_next": 0.97,
            "forfeits": 0,
        },
        {
            "rank": 3,
            "name": "<b>Evil & Co</b>",
            "rating": 801.2,
            "ci_low": 750.0,
            "ci_high": 850.5,
            "games": 40,
            "wins": 6,
            "draws": 4,
            "losses": 30,
            "score": 0.2,
            "los_next": None,
            "forfeits": 2,
        },
    ]
    h2h = {
        "players": PLAYERS,
        "score": [[None, 0.75, 0.85], [0.25, None, 0.75], [0.15, 0.25, None]],
        "games": [[0, 20, 20], [20, 0, 20], [20, 20, 0]],
        "points": [[0.0, 15.0, 17.0], [5.0, 0.0, 15.0], [3.0, 5.0, 0.0]],
    }
    data = {
        "format": 1,
        "ratings": ratings,
        "anchor": {"name": "BasedBot", "rating": 1000.0},
        "head_to_head": h2h,
        "warnings": ["<script>alert(1)</script> forfeited 2 games"],
        "bootstrap": 1000,
        "meta": {"seed": 0, "games_per_pair": 20, "frames": 2700, "backend": "local"},
    }
    (d / "tournament.json").write_text(json.dumps(data, indent=1))
    if pngs:
        from brawl_league.report.plots import plot_ratings, render

        (d / "heatmap.png").write_bytes(render("a heatmap from the tournament", "heatmap"))
        (d / "ratings.png").write_bytes(render(plot_ratings(ratings, None), "ratings"))
    return d


@pytest.mark.parametrize("pngs", [False, True])
def test_tournament_report(tmp_path, pngs):
    d = write_tournament(tmp_path / "t", pngs)
    assert detect_kind(d) == "tournament"
    result = runner.invoke(app, ["report", str(d)])
    assert result.exit_code == 0, result.output
    index = Path(result.output.strip())
    html = index.read_text()
    check_pngs(index.parent, ["heatmap.png", "ratings.png"])
    if pngs:
        assert (index.parent / "heatmap.png").read_bytes() == (d / "heatmap.png").read_bytes()
        assert "(from the tournament)" in html
    else:
        assert "(drawn by the report)" in html
    ratings = html.split('id="ratings"', 1)[1].split("</table>", 1)[0]
    assert ratings.count("<tr>") == 4  # header + 3 players
    assert "1,234.5" in ratings and "1,190 – 1,280" in ratings and "99.0 %" in ratings
    h2h = html.split('id="head-to-head"', 1)[1].split("</table>", 1)[0]
    assert "0.85" in h2h and "17.0 points in 20 games" in h2h
    assert "<b>Evil" not in html and "<script>" not in html  # data is escaped
    assert "&lt;b&gt;Evil &amp; Co&lt;/b&gt;" in html
    assert "games_per_pair" in html and "forfeited 2 games" in html


def test_a_corrupt_tournament_png_is_redrawn(tmp_path):
    d = write_tournament(tmp_path / "t")
    (d / "heatmap.png").write_bytes(b"not a png")
    index = build_report(d)
    check_pngs(index.parent, ["heatmap.png"])
    assert "Head-to-head heatmap (drawn by the report)" in index.read_text()


@pytest.mark.parametrize(
    "content, match",
    [
        ("{not json", "not readable JSON"),
        ('{"format": 2, "ratings": []}', "format 2 is not supported"),
        ('{"format": 1, "ratings": {}}', "'ratings' must be a list"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_a_bad_tournament_json_is_a_clear_error(tmp_path, content, match):
    (tmp_path / "tournament.json").write_text(content)
    with pytest.raises(ReportError, match=match):
        build_report(tmp_path)
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "error:" in result.output


# -- not a run -----------------------------------------------------------------------------------------------
def test_a_directory_that_is_neither_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "neither a training run directory" in result.output
    assert "config.toml" in result.output and "tournament.json" in result.output
    assert not (tmp_path / "report").exists()
    result = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "does not exist" in result.output
    with pytest.raises(ReportError, match="not a directory"):
        build_report(tmp_path / "notes.txt")


def test_placeholder_plots_are_real_images():
    from brawl_league.report.plots import NOT_ENOUGH, render

    data = render(NOT_ENOUGH, "title")
    assert png_size(data) == (800, 400)


def test_a_read_only_run_is_reported_elsewhere_with_its_league(shared_tmp, read_only):
    from league.store import League

    run = write_run(shared_tmp / "run", 6)
    with League.open(run / "league_db", create=True) as lg:
        lg.add_player("learner:run")
        lg.record_match("learner:run", "BasedBot", "win", seed=1, source="evaluation")
    out = shared_tmp / "elsewhere"
    build_report(run, out)  # as ourselves first: every module the report needs is imported
    out.chmod(0o777)
    with read_only(run):
        in_place = CliRunner().invoke(app, ["report", str(run)])
        elsewhere = CliRunner().invoke(app, ["report", str(run), "--out", str(out)])
    assert in_place.exit_code == 2 and "give --out a folder you can write" in in_place.output  # was: a crash
    assert elsewhere.exit_code == 0, elsewhere.output
    html = (out / "index.html").read_text()
    assert "could not read the league" not in html and "learner:run" in html  # read-only open: no WAL switch
