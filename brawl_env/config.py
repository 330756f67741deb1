"""Match configuration: a frozen pydantic model; unknown keys and bad values are rejected by name.

Types are strict: an integer field takes an int (numpy integers too) and nothing else, a flag takes True
or False. ``max_frames=True`` (which would play a one-frame match), ``damage_tiebreak="no"`` (which a
lenient parser reads as False, and ``"yes"`` as True) and ``stocks=3.0`` are errors naming the field.

Seeds are 64-bit: :func:`check_seed` is the one check every door applies to a seed it is given.
"""

from __future__ import annotations

import numbers
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .defaults import MAX_FRAMES, STOCKS  # the default rules (re-exported: brawl_env.config.MAX_FRAMES)

SEED_LIMIT = 2**64
"""Seeds are integers in ``[0, SEED_LIMIT)``: a match's generator is 64 bits, so a larger seed could only
alias a smaller one (0, 2**64 and 2**128 would play the same match)."""


def check_seed(value: Any, what: str = "seed") -> int:
    """``value`` as a Python int after checking it is an integer in ``[0, 2**64)`` (numpy integers
    accepted, bools and floats not); otherwise a ``ValueError`` (``TypeError`` for a non-integer) that
    names ``what`` and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an integer in [0, 2**64); got {value!r} ({type(value).__name__})")
    value = int(value)
    if not 0 <= value < SEED_LIMIT:
        raise ValueError(f"{what} must be an integer in [0, 2**64) (64 bits); got {value}")
    return value


class EnvConfig(BaseModel):
    """What a match is: its length, its stocks and how a timeout is decided. (TOML section ``[env]``.)"""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    max_frames: int = Field(
        MAX_FRAMES,
        ge=1,
        le=10_000_000,
        description="Frame limit (30 per second); reaching it truncates the match.",
    )
    stocks: int = Field(STOCKS, ge=1, le=99, description="Stocks (lives) per player.")
    damage_tiebreak: bool = Field(
        False, description="At the frame limit with equal stocks, less damage wins instead of a draw."
    )
    spawn: Literal["apart", "same_floor"] = Field(
        "apart",
        description="Where players start: 'apart' (one over each floor, the original) or 'same_floor' "
        "(both over the right floor: a training curriculum).",
    )
    rewards: str | dict[str, Any] = Field(
        "sparse",
        description="Reward terms: a preset ('sparse': +1/-1 on win/loss; 'guide': the training "
        "guide's shaping) or a table {term: weight} / {term: {weight: w, param: v}} (see brawl_env.rewards).",
    )
    zero_sum: bool = Field(
        False, description="Each agent's reward becomes (mine - theirs) / 2, term by term."
    )

    @field_validator("max_frames", "stocks", mode="before")
    @classmethod
    def _numpy_ints(cls, value):
        # strict ints, but a numpy integer is an integer (bools, floats and strings stay errors)
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        return value

    @field_validator("rewards")
    @classmethod
    def _known_terms(cls, value):
        from .rewards import PRESETS, RewardManager

        if isinstance(value, str):
            if value not in PRESETS:
                raise ValueError(f"unknown reward preset {value!r}; presets: {sorted(PRESETS)}")
            return value
        RewardManager.from_config(value)  # raises on unknown names, parameters or weights
        return value

    def reward_manager(self):
        """The :class:`~brawl_env.rewards.RewardManager` this config asks for."""
        from .rewards import PRESETS, RewardManager

        table = PRESETS[self.rewards] if isinstance(self.rewards, str) else self.rewards
        return RewardManager.from_config(table, zero_sum=self.zero_sum)


def build_model(model: type[BaseModel], cfg: dict[str, Any], what: str):
    """Build a config model, turning pydantic's errors into one ``ValueError`` that names the offending
    keys and lists the allowed ones (``what`` names the config: "env", "league" ...)."""
    allowed = sorted(model.model_fields)
    unknown = sorted(set(cfg) - set(allowed))
    if unknown:
        from .names import did_you_mean

        hints = " ".join(h for h in (did_you_mean(k, allowed) for k in unknown) if h)
        raise ValueError(
            f"unknown {what} config key(s) {unknown}; allowed keys: {allowed}"
            + (f" ({hints})" if hints else "")
        )
    try:
        return model(**cfg)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'][:1]))}: {e['msg']} (got {e.get('input')!r})" for e in err.errors()
        )
        raise ValueError(f"bad {what} config: {problems}") from None


def make_config(**cfg: Any) -> EnvConfig:
    """Build an :class:`EnvConfig` (errors name the bad keys and the allowed ones)."""
    return build_model(EnvConfig, cfg, "env")
