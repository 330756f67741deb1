"""League settings: a frozen pydantic model (TOML section ``[league]``); unknown keys are rejected by name.

Three of the fields (``k``, ``anchor``, ``anchor_rating``) define what a rating *means*, so a league
database records them when it is created and refuses to be opened later with different ones (see
:meth:`league.store.League.open`). The rest steer one run's opponent sampling and may change freely.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

log = logging.getLogger(__name__)

SELF_PLAY = "self_play"
"""The mix key for past snapshots of the learner (or a mirror match before the first snapshot)."""

DEFAULT_MIX: dict[str, float] = {SELF_PLAY: 0.80, "BasedBot": 0.15, "ConstantBot": 0.05}
"""The training guide's opponent mix."""

RATING_FIELDS = ("k", "anchor", "anchor_rating")
"""Fields stored in the league database at creation; they fix the rating scale."""


def normalise_mix(mix: dict[str, Any], *, what: str = "opponent mix") -> dict[str, float]:
    """Check a mix of ``{category: weight}`` and scale it to sum to 1.

    A category is ``self_play``, a bot spec (``BasedBot``, ``my_bots.py:Sneaky``, ``pkg.mod:Cls``) or any
    other agent spec (a checkpoint, ``Champion``); specs are checked by the sampler, not here, so that
    reading a config never imports user files. Weights that do not sum to 1 are normalised with a logged notice; a negative,
    non-finite or non-numeric weight, or a total that is not positive, is an error naming the entry.
    """
    if not isinstance(mix, dict) or not mix:
        raise ValueError(f"{what}: expected a non-empty table {{category: weight}}; got {mix!r}")
    out: dict[str, float] = {}
    for key, weight in mix.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"{what}: category names are non-empty strings; got {key!r}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise ValueError(f"{what}: weight of {key!r} must be a number; got {weight!r}")
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"{what}: weight of {key!r} must be finite and >= 0; got {weight!r}")
        out[key] = float(weight)
    total = math.fsum(out.values())
    if not total > 0:
        raise ValueError(f"{what}: weights must sum to a positive number; got {out} (sum {total})")
    if abs(total - 1.0) > 1e-9:
        normalised = {key: w / total for key, w in out.items()}
        log.warning(
            "%s: weights summed to %g, normalised to %s",
            what,
            total,
            {k: round(v, 4) for k, v in normalised.items()},
        )
        out = normalised
    return out


class LeagueConfig(BaseModel):
    """How ratings are computed and how opponents are drawn. (TOML section ``[league]``.)"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    k: float = Field(
        32.0,
        gt=0,
        le=1000,
        allow_inf_nan=False,
        description="Elo K factor: the most one game can move a rating.",
    )
    anchor: str = Field(
        "BasedBot",
        min_length=1,
        description="Bot spec whose rating never moves; every other rating is relative to it.",
    )
    anchor_rating: float = Field(
        1000.0, allow_inf_nan=False, description="The anchor's fixed rating, and where new players start."
    )
    mix: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_MIX),
        description="Opponent categories and weights: 'self_play', a bot spec, or any other agent spec "
        "(a checkpoint file, a named agent such as Champion), played frozen.",
    )
    strategy: Literal["uniform", "recent", "pfsp"] = Field(
        "uniform",
        description="How self-play picks a snapshot: uniform, the last recent_k, or pfsp (AlphaStar).",
    )
    recent_k: int = Field(5, ge=1, description="Snapshots the 'recent' strategy draws from (newest first).")
    curriculum: Literal["mix", "pfsp"] = Field(
        "mix",
        description="How categories are drawn: 'mix' (fixed shares) or 'pfsp' (the whole pool, bots and "
        "snapshots alike, weighted towards the opponents the learner still loses to; mix weights are priors).",
    )
    pfsp_power: float = Field(
        2.0,
        gt=0,
        le=10,
        allow_inf_nan=False,
        description="pfsp's hard weighting (1 - p) ** power, p = the learner's recent score against the opponent.",
    )
    pfsp_floor: float = Field(
        0.05,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Least weight a mastered opponent keeps under pfsp (relative to an unbeaten one), against forgetting.",
    )
    pfsp_window: int = Field(
        200,
        ge=1,
        description="pfsp's win rates count the learner's newest games against each opponent, this many.",
    )
    pool_cap: int | None = Field(
        100, ge=1, description="Most active snapshots per run in the self-play pool; None for no cap."
    )
    retire: Literal["oldest", "weakest"] = Field(
        "oldest", description="Which snapshot leaves the pool when it is over pool_cap (its rating is kept)."
    )

    @field_validator("mix", mode="before")
    @classmethod
    def _check_mix(cls, value: Any) -> dict[str, float]:
        return normalise_mix(value)

    def rating_params(self) -> dict[str, Any]:
        """The fields that fix the rating scale, as stored in the league database."""
        return {name: getattr(self, name) for name in RATING_FIELDS}


def make_league_config(**cfg: Any) -> LeagueConfig:
    """Build a :class:`LeagueConfig` (errors name the bad keys and the allowed ones)."""
    from brawl_env.config import build_model

    return build_model(LeagueConfig, cfg, "league")
