"""``brawl-league match`` and ``brawl-league bots list``: JSON output, forfeits, bad specs."""

from __future__ import annotations

import json
import textwrap

from typer.testing import CliRunner

from brawl_env.bots.registry import BUILTIN
from brawl_league.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200", "NO_COLOR": "1"}


def _json(args: list[str]) -> dict | list:
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # one JSON document and nothing else on stdout


def test_match_json_three_games_alternating_sides() -> None:
    series = _json(["match", "BasedBot", "ConstantBot", "--games", "3", "--frames", "600", "--json"])
    assert (series["a"], series["b"]) == ("BasedBot", "ConstantBot")
    assert (series["frames"], series["stocks"]) == (600, 3)
    games = series["games"]
    assert [g["game"] for g in games] == [0, 1, 2]
    assert [g["seed"] for g in games] == [0, 1, 2]
    assert [g["a_slot"] for g in games] == [0, 1, 0]
    for g in games:
        assert g["result_a"] in ("win", "draw", "loss")
        assert g["ended_by"] in ("stocks", "time")
        assert g["forfeit"] is None
        assert 0 < g["frames"] <= 600
        assert {"damage_dealt", "knockouts_dealt", "stocks_left"} <= set(g["stats_a"]) & set(g["stats_b"])
    s = series["summary"]
    assert s["wins"] + s["draws"] + s["losses"] == 3
    assert s["wins"] == sum(g["result_a"] == "win" for g in games)
    assert s["losses"] == sum(g["result_a"] == "loss" for g in games)
    assert s["forfeits_a"] == s["forfeits_b"] == 0


def test_match_seed_option_and_reproducibility() -> None:
    args = ["match", "BasedBot", "RandomBot", "--games", "2", "--frames", "200", "--seed", "5", "--json"]
    first = _json(args)
    assert [g["seed"] for g in first["games"]] == [5, 6]
    assert _json(args) == first


def test_match_forfeit_shows_in_json(tmp_path) -> None:
    bots = tmp_path / "broken_bots.py"
    bots.write_text(
        textwrap.dedent('''
        from brawl_env.bots import Bot


        class Crasher(Bot):
            """Raises on its first frame."""

            def act(self, view):
                raise RuntimeError("kaboom")
    ''')
    )
    spec = f"{bots}:Crasher"
    series = _json(["match", spec, "ConstantBot", "--games", "2", "--json"])
    for k, g in enumerate(series["games"]):
        assert g["ended_by"] == "forfeit"
        assert g["result_a"] == "loss"
        assert g["frames"] == 0
        assert g["forfeit"]["slot"] == k % 2 == g["a_slot"]
        assert g["forfeit"]["name"] == "Crasher"
        assert "act raised RuntimeError: kaboom" in g["forfeit"]["reason"]
    assert series["summary"] == {"wins": 0, "draws": 0, "losses": 2, "forfeits_a": 2, "forfeits_b": 0}
    # and the table names the forfeit too
    result = runner.invoke(app, ["match", "ConstantBot", spec], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "forfeit: Crasher" in result.stdout and "kaboom" in result.stdout


def test_match_unknown_bot_exits_2_naming_it() -> None:
    for args in (["match", "NoSuchBot", "ConstantBot"], ["match", "ConstantBot", "NoSuchBot", "--json"]):
        result = runner.invoke(app, args, env=WIDE)
        assert result.exit_code == 2
        assert "'NoSuchBot'" in result.stderr
        assert "unknown bot" in result.stderr
        assert result.stdout == ""


def test_match_missing_file_exits_2() -> None:
    result = runner.invoke(app, ["match", "no/such/bots.py:Bot", "ConstantBot"], env=WIDE)
    assert result.exit_code == 2
    assert "'no/such/bots.py:Bot'" in result.stderr and "no file" in result.stderr


def test_bots_list_json_lists_builtins() -> None:
    rows = _json(["bots", "list", "--json"])
    by_name = {r["name"]: r for r in rows}
    assert [r["name"] for r in rows][: len(BUILTIN)] == list(BUILTIN)
    for name in BUILTIN:
        row = by_name[name]
        assert set(row) == {"name", "description", "source"}
        assert row["source"] == "built-in"
        assert row["description"] and not row["description"].startswith("(cannot load")
    assert by_name["ConstantBot"]["description"] == "Idles: presses nothing, ever."
    assert by_name["BasedBot"]["description"].startswith("The original's baseline")


def test_bots_list_table() -> None:
    result = runner.invoke(app, ["bots", "list"], env=WIDE)
    assert result.exit_code == 0, result.output
    for name in BUILTIN:
        assert name in result.stdout
    assert "built-in" in result.stdout


def test_seeds_outside_64_bits_exit_2_naming_the_range() -> None:
    import pytest

    from brawl_env.match import run_match
    from brawl_env.bots.builtin import ConstantBot

    for seed in ("-1", str(2**64)):
        result = runner.invoke(
            app, ["match", "ConstantBot", "ConstantBot", "--frames", "5", "--seed", seed], env=WIDE
        )
        assert result.exit_code == 2 and "--seed" in result.output, result.output
    last = runner.invoke(
        app,
        ["match", "ConstantBot", "ConstantBot", "--frames", "5", "--games", "2", "--seed", str(2**64 - 1)],
        env=WIDE,
    )
    assert last.exit_code == 2 and "2**64" in last.stderr  # game 1 would need seed 2**64
    with pytest.raises(ValueError, match=r"\[0, 2\*\*64\)"):
        run_match(ConstantBot(), ConstantBot(), seed=2**64, max_frames=5)
