"""The shipped champion: a named agent of the default trainer, played by name everywhere an agent is."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from brawl_league.cli import app
from league.agents import AgentError, make_agent, parse_agent, parse_agents
from league.registry import named_agent, trainer_class

runner = CliRunner()


def test_the_default_trainer_ships_champion_as_a_run_checkpoint():
    ships = trainer_class("transformer-lstm-ppo").named_agents()
    path = ships["Champion"]
    assert path.is_file() and path.name == "champion.zip"
    with zipfile.ZipFile(path) as zf:  # a normal run checkpoint: SB3's members and our model card
        assert {"policy.pth", "data", "brawl_model.json"} <= set(zf.namelist())
    assert path.stat().st_size < 8 * 2**20  # a few MB at most: it ships inside the package
    assert (path.parent / "README.md").read_text().count("How the champion was made") == 1
    assert named_agent("Champion") == ("transformer-lstm-ppo", path)
    assert named_agent("Nobody") is None


def test_the_wheel_takes_the_champion_file():
    import tomllib

    data = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert "transformer_lstm_ppo/champion/*.zip" in data["tool"]["setuptools"]["package-data"]["trainers"]


def test_champion_resolves_by_name_and_plays_basedbot():
    from trainers.evaluate import play_games

    spec = parse_agent("Champion")
    assert (spec.name, spec.kind, spec.source, spec.trainer) == (
        "Champion",
        "nn",
        "named",
        "transformer-lstm-ppo",
    )
    results = play_games(make_agent(spec), make_agent(parse_agent("BasedBot")), 2, seed=3, max_frames=300)
    assert [r["result"] in ("win", "draw", "loss") for r in results] == [True, True]
    assert all(r["frames"] > 0 for r in results)


def test_champion_beats_basedbot_in_most_of_50_seeded_games_under_tournament_rules():
    """The bar the shipped file must clear (issue 13): at least 80 % wins against BasedBot in 50 seeded
    matches under the tournament's default rules (2,700 frames, 3 stocks, no tie-break), sampling its keys
    as a tournament does."""
    from brawl_env.config import EnvConfig
    from trainers.evaluate import play_games, summarise

    rules = EnvConfig()
    results = play_games(
        make_agent(parse_agent("Champion")),
        make_agent(parse_agent("BasedBot")),
        50,
        seed=2026,
        max_frames=rules.max_frames,
        stocks=rules.stocks,
        damage_tiebreak=rules.damage_tiebreak,
    )
    assert len({(r["frames"], r["result"]) for r in results}) >= 25  # seeds vary the games
    assert summarise(results)["win_rate"] >= 0.8


def test_a_bot_name_wins_over_a_named_agent(monkeypatch):
    import league.registry as registry

    def boom(name):
        raise AssertionError("a bot's spec must not reach the trainer registry")

    monkeypatch.setattr(registry, "named_agent", boom)
    assert parse_agent("BasedBot", check=False).kind == "bot"
    assert parse_agent("brawl_env.bots.builtin:BasedBot", check=False).kind == "bot"


def test_play_takes_champion(monkeypatch):
    """``play --vs Champion`` parses and loads it (the window itself is faked: no display here)."""
    import brawl_env.render as render

    seen = {}

    class FakeRenderer:
        def __init__(self, **kwargs):
            seen["names"] = kwargs["names"]

        def close(self):
            pass

    class FakeSession:
        def __init__(self, opponent, **kwargs):
            seen["opponent"] = opponent

        def run(self):
            pass

    monkeypatch.setattr(render, "Renderer", FakeRenderer)
    monkeypatch.setattr(render, "PlaySession", FakeSession)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # past the headless check (a screen SDL can open)
    out = runner.invoke(app, ["play", "--vs", "Champion"])
    assert out.exit_code == 0, out.output
    assert seen["names"] == ("You", "Champion") and seen["opponent"].name == "Champion"


def test_unknown_words_still_say_unknown_bot():
    with pytest.raises(AgentError, match="unknown bot"):
        parse_agent("Chompion")


def test_tournaments_and_match_take_champion(tmp_path):
    agents = parse_agents(["Champion", "BasedBot"], check=False)
    assert [a.name for a in agents] == ["Champion", "BasedBot"]
    out = runner.invoke(app, ["match", "Champion", "BasedBot", "--games", "1", "--frames", "120", "--json"])
    assert out.exit_code == 0, out.output
    assert '"a": "Champion"' in out.output


def test_a_missing_shipped_file_is_named(monkeypatch, tmp_path):
    cls = trainer_class("transformer-lstm-ppo")
    monkeypatch.setattr(cls, "named_agents", classmethod(lambda c: {"Champion": tmp_path / "gone.zip"}))
    with pytest.raises(AgentError, match="file is missing"):
        parse_agent("Champion")
