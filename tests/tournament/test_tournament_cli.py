"""``brawl-league tournament``: JSON on stdout, the files written, the table printed, errors with status 2."""

from __future__ import annotations

import json

from tourney_helpers import malicious_pt
from typer.testing import CliRunner

from brawl_league.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200", "NO_COLOR": "1"}


def test_json_output_and_files(tmp_path):
    out = tmp_path / "t"
    args = [
        "tournament",
        "BasedBot",
        "ConstantBot",
        "ClockworkBot",
        "--games",
        "2",
        "--frames",
        "200",
        "--out",
        str(out),
        "--json",
        "--bootstrap",
        "50",
        "--workers",
        "1",
        "--seed",
        "9",
    ]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)  # one JSON document and nothing else on stdout
    assert {row["name"] for row in doc["ratings"]} == {"BasedBot", "ConstantBot", "ClockworkBot"}
    assert sum(row["games"] for row in doc["ratings"]) == 2 * 6
    meta = doc["meta"]
    assert (meta["seed"], meta["games_per_pair"], meta["frames"], meta["stocks"]) == (9, 2, 200, 3)
    assert meta["backend"] == "local" and meta["workers"] == 1 and meta["matches"] == 6
    assert set(meta["agents"]) == {"BasedBot", "ConstantBot", "ClockworkBot"}
    assert meta["command"].startswith("brawl-league") and meta["created"]
    for name in (
        "tournament.json",
        "ratings.csv",
        "ratings.md",
        "head_to_head.csv",
        "heatmap.png",
        "ratings.png",
        "matches.jsonl",
        "plan.json",
    ):
        assert (out / name).is_file(), name
    assert len(list((out / "replays").glob("*.replay"))) == 6
    assert json.loads((out / "tournament.json").read_text())["ratings"] == doc["ratings"]

    # resuming a finished tournament plays nothing and prints the same table
    again = runner.invoke(app, ["tournament", "--resume", "--out", str(out), "--bootstrap", "50"], env=WIDE)
    assert again.exit_code == 0, again.output
    assert "BasedBot" in again.stdout and "matches.jsonl" in again.stdout
    assert len((out / "matches.jsonl").read_text().splitlines()) == 6


def test_errors_exit_2_with_a_message(tmp_path):
    for args, message in (
        (["NoSuchBot", "BasedBot"], "unknown bot 'NoSuchBot'"),
        (["BasedBot"], "at least two agents"),
        (["BasedBot", "ConstantBot", "--backend", "slurm"], "backend: Input should be 'local' or 'ray'"),
        (["BasedBot", "ConstantBot", "--videos", "some"], "videos: Input should be 'none', 'best' or 'all'"),
    ):
        result = runner.invoke(app, ["tournament", *args, "--out", str(tmp_path / "x")], env=WIDE)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
        assert result.stdout == ""
        if "Input should be" in message:  # a bad value: one line, before anything is made
            assert _lines(result.output) == 1 and result.output.startswith("error: bad tournament config")
            assert not (tmp_path / "x").exists()


def test_malicious_checkpoint_stops_the_tournament_before_any_match(tmp_path):
    marker = tmp_path / "pwned"
    evil = malicious_pt(tmp_path / "evil.pt", marker)
    result = runner.invoke(app, ["tournament", str(evil), "BasedBot", "--out", str(tmp_path / "t")], env=WIDE)
    assert result.exit_code == 2 and "refused" in result.output
    assert not marker.exists()
    assert not (tmp_path / "t" / "matches.jsonl").exists()


def _lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


def _warm_up(shared_tmp):
    """Run the command once as ourselves (imports done) up to the folder check: --out is a file."""
    from league.agents import parse_agents

    parse_agents(["BasedBot", "ConstantBot"])
    (shared_tmp / "a-file").write_text("")
    result = runner.invoke(
        app, ["tournament", "BasedBot", "ConstantBot", "--out", str(shared_tmp / "a-file")]
    )
    assert result.exit_code == 2 and "is not a folder" in result.output


def test_an_unwritable_out_folder_is_one_line_before_anything_is_made(shared_tmp, read_only):
    _warm_up(shared_tmp)
    parent = shared_tmp / "ro"
    parent.mkdir()
    with read_only(parent):
        result = runner.invoke(
            app,
            [
                "tournament",
                "BasedBot",
                "ConstantBot",
                "--games",
                "2",
                "--frames",
                "50",
                "--out",
                str(parent / "t"),
            ],
            env=WIDE,
        )
    assert result.exit_code == 2, result.output  # was: an OSError traceback
    assert _lines(result.output) == 1 and "--out: cannot write into" in result.output
    assert list(parent.iterdir()) == []


def test_a_read_only_league_is_refused_before_the_out_folder_is_made(shared_tmp, read_only):
    from league.store import League

    _warm_up(shared_tmp)
    League.open(shared_tmp / "lg", create=True).close()
    out = shared_tmp / "t"
    with read_only(shared_tmp / "lg"):
        result = runner.invoke(
            app,
            [
                "tournament",
                "BasedBot",
                "ConstantBot",
                "--games",
                "2",
                "--frames",
                "50",
                "--league",
                str(shared_tmp / "lg"),
                "--out",
                str(out),
            ],
            env=WIDE,
        )
    assert result.exit_code == 2, result.output
    assert "--league: cannot write" in result.output and _lines(result.output) == 1
    assert not out.exists()  # was: a half-made --out folder (plan.json, no league)


def test_the_options_defaults_are_the_configs():
    """Every setting option defaults to None (not given), so the config's default applies, and on --resume
    the plan's; the help states the config's default."""
    import typer.main

    from tournament.config import TournamentConfig

    command = typer.main.get_command(app).commands["tournament"]
    params = {p.name: p for p in command.params}
    for key in (
        "games",
        "frames",
        "stocks",
        "seed",
        "workers",
        "backend",
        "address",
        "league",
        "out",
        "videos",
        "batch_size",
        "bootstrap",
    ):
        assert params[key].default is None, key
    defaults = TournamentConfig()
    for key in ("games", "frames", "stocks", "seed", "backend", "videos", "bootstrap"):
        assert f"(default {getattr(defaults, key)})" in params[key].help, key


def test_resume_keeps_the_planned_key_sampling_and_refuses_another(tmp_path):
    out = tmp_path / "t"
    common = ["--out", str(out), "--bootstrap", "0", "--workers", "1", "--json"]
    first = ["tournament", "BasedBot", "ConstantBot", "--games", "1", "--frames", "60", "--deterministic"]
    result = runner.invoke(app, [*first, *common], env=WIDE)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "plan.json").read_text())["deterministic"] is True
    # resuming without the flag continues the deterministic tournament (the flag was not given)
    result = runner.invoke(app, ["tournament", "--resume", *common], env=WIDE)
    assert result.exit_code == 0, result.output
    # a sampled tournament cannot be resumed deterministic
    plan = json.loads((out / "plan.json").read_text())
    (out / "plan.json").write_text(json.dumps(plan | {"deterministic": False}))
    result = runner.invoke(app, ["tournament", "--resume", "--deterministic", *common], env=WIDE)
    assert result.exit_code == 2 and "planned with deterministic=False, not True" in result.output
