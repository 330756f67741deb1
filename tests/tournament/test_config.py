"""TournamentConfig: bad keys and values named with the allowed ones, defaults from the game's rules, the
planned settings round-tripping through plan.json for --resume, the worker's settings pickling."""

from __future__ import annotations

import json
import pickle

import pytest
from pydantic import ValidationError

from brawl_env.config import MAX_FRAMES, STOCKS
from tournament.config import PLANNED, BatchSettings, TournamentConfig, make_tournament_config
from tournament.runner import PLAN, run_tournament


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        (dict(games=0), "games: Input should be greater than or equal to 1 (got 0)"),
        (dict(backend="mpi"), "backend: Input should be 'local' or 'ray' (got 'mpi')"),
        (dict(videos="some"), "videos: Input should be 'none', 'best' or 'all' (got 'some')"),
        (dict(stocks=100), "stocks: Input should be less than or equal to 99"),
        (dict(seed=2**64), "seed: Input should be less than 18446744073709551616"),
        (dict(workers=0), "workers: Input should be greater than or equal to 1"),
        (dict(games=True), "games: Input should be a valid integer (got True)"),
        (dict(stall_limit=float("nan")), "stall_limit: Input should be a finite number"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_key_and_what_is_allowed(bad, named):
    with pytest.raises(ValueError) as err:
        make_tournament_config(**bad)
    text = str(err.value)
    assert text.startswith("bad tournament config: ") and named in text and "\n" not in text
    with pytest.raises(ValidationError, match=next(iter(bad))):  # the model itself refuses it too
        TournamentConfig(**bad)


def test_an_unknown_key_is_named_with_the_allowed_keys():
    with pytest.raises(
        ValueError,
        match=r"unknown tournament config key\(s\) \['gamez'\]; allowed keys: "
        r"\['address', .*'games'.*\] \(did you mean 'games'\?\)",
    ):
        make_tournament_config(gamez=3)


def test_defaults_are_the_games_rules_and_the_config_is_frozen(tmp_path):
    config = TournamentConfig()
    assert (config.games, config.frames, config.stocks, config.seed) == (10, MAX_FRAMES, STOCKS, 0)
    assert (config.backend, config.videos, config.out, config.league) == ("local", "none", None, None)
    with pytest.raises(ValidationError, match="frozen"):
        config.games = 3
    assert make_tournament_config(out=str(tmp_path)).out == tmp_path  # a folder may be given as text


def test_resumed_takes_the_plans_settings_and_refuses_other_ones():
    plan = {"games": 4, "frames": 300, "stocks": 2, "seed": 9, "deterministic": False}
    assert TournamentConfig(bootstrap=5).resumed(plan).planned() == plan  # unset: the plan's
    assert TournamentConfig(bootstrap=5).resumed(plan).bootstrap == 5  # the rest is the caller's
    assert TournamentConfig(games=4, seed=9).resumed(plan).planned() == plan  # set and equal: fine
    # set explicitly, even to the default, and not the plan's: an error naming both
    with pytest.raises(ValueError, match=r"planned with games=4, not 10"):
        TournamentConfig(games=10).resumed(plan)
    with pytest.raises(ValueError, match=r"plan lacks \['stocks'\]"):
        TournamentConfig().resumed({k: v for k, v in plan.items() if k != "stocks"})
    with pytest.raises(ValueError, match="bad tournament config: frames"):  # a hand-edited plan
        TournamentConfig().resumed(plan | {"frames": 0})


def test_resuming_with_other_keys_sampling_is_refused_and_old_plans_resume_as_sampled():
    # deterministic keys change every network's games, so a resume may not switch them
    plan = TournamentConfig(games=2, deterministic=True).planned()
    assert plan["deterministic"] is True
    assert TournamentConfig().resumed(plan).deterministic is True
    with pytest.raises(ValueError, match=r"planned with deterministic=True, not False"):
        TournamentConfig(deterministic=False).resumed(plan)
    # a plan.json from before the key was recorded was played sampled
    old = {k: v for k, v in plan.items() if k != "deterministic"}
    assert TournamentConfig().resumed(old).deterministic is False
    with pytest.raises(ValueError, match=r"planned with deterministic=False, not True"):
        TournamentConfig(deterministic=True).resumed(old)


def test_the_planned_settings_round_trip_through_the_plan_file(tmp_path):
    out = tmp_path / "t"
    first = TournamentConfig(
        games=1, frames=30, stocks=2, seed=7, out=out, workers=1, bootstrap=0, write_files=False
    )
    res = run_tournament(["BasedBot", "ConstantBot"], first)
    assert res.complete and len(res.results) == 1
    doc = json.loads((out / PLAN).read_text())
    # format 1's keys (deterministic added since; older plans resume without it)
    assert set(doc) == {"format", "created", *PLANNED, "league", "agents", "schedule"}
    assert doc["deterministic"] is False
    assert TournamentConfig(out=out, resume=True).resumed(doc).planned() == first.planned()
    again = run_tournament(None, TournamentConfig(out=out, resume=True, bootstrap=0, write_files=False))
    assert again.complete and again.played == 0
    meta = again.meta
    assert (meta["games_per_pair"], meta["frames"], meta["stocks"], meta["seed"]) == (1, 30, 2, 7)
    assert meta["resumed"] is True and again.results == res.results

    del doc["stocks"]
    (out / PLAN).write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"^--resume: the tournament's plan lacks \['stocks'\]"):
        run_tournament(None, TournamentConfig(out=out, resume=True))


def test_the_workers_settings_come_from_the_config_and_pickle():
    config = TournamentConfig(frames=120, stocks=1, deterministic=True, time_budget=0.02, hang_limit=0.3)
    settings = config.batch_settings(torch_threads=1)
    assert settings == BatchSettings(
        frames=120, stocks=1, deterministic=True, time_budget=0.02, hang_limit=0.3, torch_threads=1
    )
    assert pickle.loads(pickle.dumps(settings)) == settings  # what a local worker or a Ray task receives
