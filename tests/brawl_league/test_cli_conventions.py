"""The command line as users expect it (issue 17): trained agents in ``match`` and ``play``, one flag
convention, name suggestions, tables that read at 80 columns, safe defaults."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from brawl_league.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tournament"))
from tourney_helpers import save_checkpoint_zip  # noqa: E402  (the tiny checkpoints the tournament tests use)

runner = CliRunner()
NARROW = {"COLUMNS": "80", "TERMINAL_WIDTH": "80", "NO_COLOR": "1"}


def _commands(group=None, prefix=()):
    """Every command path of the app, groups included (``("league", "status")`` ...)."""
    import click

    group = group or typer.main.get_command(app)
    out = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out += _commands(command, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


def _fits(text: str, width: int = 80) -> None:
    """Every line within ``width`` columns and nothing cut short (rich marks a cut with an ellipsis)."""
    lines = text.splitlines()
    assert lines, "nothing printed"
    too_wide = [line for line in lines if len(line) > width]
    assert not too_wide, too_wide
    assert "…" not in text, text


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A tiny checkpoint where training writes them: runs/x/checkpoints/rl_model_100_steps.zip (named x@100)."""
    folder = tmp_path_factory.mktemp("runs") / "x" / "checkpoints"
    folder.mkdir(parents=True)
    return save_checkpoint_zip(folder / "rl_model_100_steps.zip", seed=1)


# ------------------------------------------------------------------------------------- trained agents


def test_match_plays_a_checkpoint_and_writes_its_video(checkpoint, tmp_path) -> None:
    video = tmp_path / "m.mp4"
    result = runner.invoke(
        app, ["match", str(checkpoint), "BasedBot", "--frames", "60", "--video", str(video)], env=NARROW
    )
    assert result.exit_code == 0, result.output
    assert video.stat().st_size > 0
    assert "x@100 (A) vs BasedBot (B)" in result.stdout  # named as the tournament names it, not by path
    _fits(result.stdout.replace(str(video), "m.mp4"))
    series = json.loads(
        runner.invoke(app, ["match", "basedbot", str(checkpoint), "--frames", "60", "--json"]).stdout
    )
    assert series["names"] == ["BasedBot", "x@100"] and series["games"][0]["forfeit"] is None


def test_play_vs_a_checkpoint_in_a_dummy_window(checkpoint, tmp_path, monkeypatch) -> None:
    """SDL's dummy driver stands in for a screen; the session quits after 5 frames and saves its replay."""
    from brawl_env import render
    from brawl_env import replay as rp

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    run = render.PlaySession.run
    monkeypatch.setattr(render.PlaySession, "run", lambda self: run(self, tick=lambda: None, max_ticks=5))
    try:
        result = runner.invoke(
            app, ["play", "--vs", str(checkpoint), "--replay-dir", str(tmp_path)], env=NARROW
        )
    finally:
        import pygame

        pygame.display.quit()
    assert result.exit_code == 0, result.output
    assert "replay saved:" in result.stdout
    (saved,) = tmp_path.glob("*.replay")
    rec = rp.load(saved)
    assert rec.names == ("You", "x@100") and rec.frames == 5


def test_play_without_a_display_points_to_match_video(monkeypatch) -> None:
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    result = runner.invoke(app, ["play", "--vs", "BasedBot"], env=NARROW)
    assert result.exit_code == 2
    assert "no display" in result.stderr and "brawl-league match BasedBot BasedBot --video" in result.stderr
    assert "rgb_array" not in result.stderr


def test_ladder_takes_checkpoints_and_names_file_bots_by_class(checkpoint, tmp_path) -> None:
    bots = tmp_path / "mine.py"
    bots.write_text("from brawl_env.bots import Bot\n\nclass Idle(Bot):\n    'Stands still.'\n")
    result = runner.invoke(
        app,
        [
            "bots",
            "ladder",
            f"{bots}:Idle",
            str(checkpoint),
            "constantbot",
            "--games",
            "1",
            "--frames",
            "30",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(result.stdout)["bots"]) == ["ConstantBot", "Idle", "x@100"]


# ------------------------------------------------------------------------------------- flags


def test_every_command_takes_h_and_its_help_shows_flags_as_flags() -> None:
    for path in _commands():
        result = runner.invoke(app, [*path, "-h"], env=NARROW)
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output
        assert "<bool>" not in result.output, path
        usage = result.output.split("Usage:", 1)[1].splitlines()[0]
        assert "{" not in usage, usage


def test_usage_lines_name_arguments_plainly() -> None:
    result = runner.invoke(app, ["match", "-h"], env=NARROW)
    assert "match [OPTIONS] A B" in result.output
    result = runner.invoke(app, ["league", "history", "-h"], env=NARROW)
    assert "history [OPTIONS] PLAYER" in result.output


def test_json_is_a_flag_that_prints_json_on_stdout_everywhere() -> None:
    """No command takes a value after --json: files are named with --out."""
    import click

    root = typer.main.get_command(app)
    for path in _commands():
        if not path:
            continue
        command = root
        for name in path:
            command = command.commands[name]
        if isinstance(command, click.Group):
            continue
        for param in command.params:
            if "--json" in getattr(param, "opts", ()):
                assert param.is_flag, path
            if "--league" in getattr(param, "opts", ()):
                assert not param.is_flag, path


def test_screenshots_default_to_a_new_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["screenshots"], env=NARROW)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "docs").exists()
    assert sorted(p.name for p in (tmp_path / "screenshots").iterdir()) == [
        "screenshot_480p.png",
        "screenshot_720p.png",
        "screenshot_hitboxes.png",
        "screenshot_ko.png",
    ]


def test_bench_env_goals_equal_the_docs() -> None:
    from brawl_league import bench

    goals = {g.key: g.target for g in bench.FIGURES}
    assert goals["parallel_steps_per_s"] == 20_000 and goals["batch_match_steps_per_s_n1024"] == 500_000
    docs = (Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md").read_text()
    assert "| >= 20,000         |" in docs and ">= 500,000 at N = 1024" in docs


# ------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["match", "basdbot", "ConstantBot"], "unknown bot 'basdbot' (did you mean 'BasedBot'"),
        (["bots", "ladder", "BasedBot", "Constnatbot", "--games", "1"], "did you mean 'ConstantBot'?"),
        (["play", "--vs", "edgeguardbott"], "did you mean 'EdgeGuardBot'?"),
        (["tournament", "BasedBot", "Spacerbo", "--games", "1"], "did you mean 'SpacerBot'?"),
        (["train", "--preset", "smok"], "unknown preset 'smok' (did you mean 'smoke'?)"),
        (["train", "--preset", "smoke", "--set", "ppo.learning_rat=1e-4"], "did you mean 'learning_rate'?"),
        (["train", "--trainer", "transformer-lstm-pp"], "did you mean 'transformer-lstm-ppo'?"),
    ],
)
def test_unknown_names_get_suggestions(args, message, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args, env=NARROW)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split()), result.stderr


def test_bot_names_ignore_case() -> None:
    series = json.loads(
        runner.invoke(app, ["match", "basedbot", "CONSTANTBOT", "--frames", "30", "--json"]).stdout
    )
    assert series["names"] == ["BasedBot", "ConstantBot"]


# ------------------------------------------------------------------------------------- 80 columns


def test_match_table_fits_80_columns(tmp_path) -> None:
    bots = tmp_path / "crash.py"
    bots.write_text(
        "from brawl_env.bots import Bot\n\nclass Crasher(Bot):\n    'Raises.'\n"
        "    def act(self, view):\n        raise RuntimeError('a long reason ' * 6)\n"
    )
    result = runner.invoke(
        app, ["match", "BasedBot", f"{bots}:Crasher", "--games", "2", "--frames", "90"], env=NARROW
    )
    assert result.exit_code == 0, result.output
    body = result.stdout.split("game 0: forfeit")[0]  # the forfeit reasons below the table may wrap
    _fits(body)
    for header in ("ended by", "damage A-B", "KOs A-B", "stocks A-B"):
        assert header in body
    assert "forfeit: Crasher" in result.stdout


def test_bots_list_and_ladder_fit_80_columns() -> None:
    result = runner.invoke(app, ["bots", "list"], env=NARROW)
    assert result.exit_code == 0, result.output
    _fits(result.stdout)
    result = runner.invoke(app, ["bots", "ladder", "--games", "1", "--frames", "30"], env=NARROW)
    assert result.exit_code == 0, result.output
    _fits(result.stdout)
    assert "EdgeGuardBot" in result.stdout and "ClockworkBot" in result.stdout


def test_league_tables_fit_80_columns(tmp_path) -> None:
    from league.store import League

    with League.open(tmp_path / "lg", create=True) as lg:
        lg.add_player("learner:smoke-s0-20261207-043300")
        snap = lg.register_snapshot(b"w", step=1_000_000, run="smoke-s0-20261207-043300")
        lg.retire(snap)
        for seed in range(3):
            lg.record_match(
                "learner:smoke-s0-20261207-043300",
                "BasedBot",
                "win",
                seed=seed,
                stocks=(3, 0),
                damage=(512, 488),
                kos=(3, 0),
                source="evaluation",
            )
            lg.record_match(snap, "BasedBot", "loss", seed=seed, source="tournament")
    result = runner.invoke(app, ["league", "status", "--league", str(tmp_path / "lg")], env=NARROW)
    assert result.exit_code == 0, result.output
    _fits(result.stdout)
    assert "snapshot (retired)" in result.stdout
    result = runner.invoke(
        app, ["league", "history", "smoke-s0-20261207-043300", "--league", str(tmp_path / "lg")], env=NARROW
    )
    assert result.exit_code == 0, result.output
    _fits(result.stdout)
    assert "512-488" in result.stdout and "evaluation" in result.stdout


def test_bench_env_table_fits_80_columns() -> None:
    from rich.console import Console

    from brawl_league import bench

    figures = {g.key: 1_234_567.0 for g in bench.FIGURES}
    info = {
        "cores": 2,
        "cpu": "AMD EPYC 7B13 64-Core Processor",
        "python": "3.11.7",
        "numpy": "2.4.6",
        "numba": "0.68.1",
        "date": "2026-12-07",
    }
    console = Console(width=80, record=True, color_system=None)
    console.print(bench.render_table({**figures, **info, "seconds": 2.0, "repeats": 5, "quick": False}))
    text = console.export_text()
    _fits(text)  # asserts every line within 80 columns and nothing cut short
    assert text.count("1,234,567") == len(bench.FIGURES)  # every figure shown whole


def test_tournament_prints_ratings_and_head_to_head_in_80_columns(tmp_path) -> None:
    result = runner.invoke(
        app,
        [
            "tournament",
            "BasedBot",
            "ConstantBot",
            "SpacerBot",
            "EdgeGuardBot",
            "--games",
            "2",
            "--frames",
            "60",
            "--workers",
            "1",
            "--bootstrap",
            "20",
            "--out",
            str(tmp_path / "t"),
        ],
        env=NARROW,
    )
    assert result.exit_code == 0, result.output
    table = result.stdout.split("written to")[0]
    _fits(table)
    assert "head to head" in table and "EdgeGuardBot" in table


def test_head_to_head_is_left_out_when_it_does_not_fit() -> None:
    from rich.console import Console

    from tournament.tables import print_head_to_head

    class Table:
        head_to_head = {
            "players": [f"player-{k}" for k in range(30)],
            "score": [[0.5] * 30 for _ in range(30)],
        }

    assert print_head_to_head(Table(), Console(width=80, record=True)) is False
    assert print_head_to_head(Table(), Console(width=300, record=True)) is True
