"""LeagueConfig: defaults from the training guide, frozen, unknown keys and bad values named."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from league.config import DEFAULT_MIX, LeagueConfig, make_league_config, normalise_mix


def test_defaults():
    cfg = LeagueConfig()
    assert cfg.mix == {"self_play": 0.80, "BasedBot": 0.15, "ConstantBot": 0.05} == DEFAULT_MIX
    assert (cfg.k, cfg.anchor, cfg.anchor_rating) == (32.0, "BasedBot", 1000.0)
    assert (cfg.strategy, cfg.recent_k, cfg.pool_cap, cfg.retire) == ("uniform", 5, 100, "oldest")
    assert cfg.rating_params() == {"k": 32.0, "anchor": "BasedBot", "anchor_rating": 1000.0}


def test_frozen_and_extra_forbidden():
    cfg = LeagueConfig()
    with pytest.raises(ValidationError):
        cfg.k = 10
    with pytest.raises(ValidationError, match="extra"):
        LeagueConfig(kfactor=10)


def test_every_field_has_a_description():
    assert all(field.description for field in LeagueConfig.model_fields.values())


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        (dict(bogus=1), r"unknown league config key\(s\) \['bogus'\]; allowed keys: \['anchor'"),
        (dict(k=0), "k: Input should be greater than 0"),
        (dict(anchor_rating=float("inf")), "anchor_rating: Input should be a finite number"),
        (dict(strategy="best"), "strategy: Input should be 'uniform', 'recent' or 'pfsp'"),
        (dict(retire="random"), "retire: Input should be 'oldest' or 'weakest'"),
        (dict(pool_cap=0), "pool_cap"),
        (dict(mix={"self_play": 0.0}), "sum to a positive number"),
        (dict(mix={"self_play": -1, "BasedBot": 2}), "weight of 'self_play' must be finite and >= 0"),
        (dict(mix={"self_play": float("nan")}), "weight of 'self_play' must be finite"),
    ],
)
def test_bad_values_are_named(cfg, message):
    with pytest.raises(ValueError, match=message):
        make_league_config(**cfg)


def test_mix_is_normalised_with_a_notice(caplog):
    with caplog.at_level(logging.WARNING, logger="league.config"):
        cfg = LeagueConfig(mix={"self_play": 8, "BasedBot": 2})
    assert cfg.mix == pytest.approx({"self_play": 0.8, "BasedBot": 0.2})
    assert "summed to 10, normalised" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="league.config"):
        assert normalise_mix({"self_play": 0.5, "BasedBot": 0.5}) == {"self_play": 0.5, "BasedBot": 0.5}
    assert caplog.text == ""


def test_docs_table_lists_every_field_with_its_description():
    doc = (Path(__file__).parents[2] / "docs" / "league.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in doc.splitlines() if line.startswith("| `")}
    for name, field in LeagueConfig.model_fields.items():
        assert name in rows, f"docs/league.md has no row for {name}"
        assert field.description in rows[name], name
