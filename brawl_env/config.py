"""Match configuration: a frozen pydantic model; unknown keys and bad values are rejected by name."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class EnvConfig(BaseModel):
    """What a match is: its length, its stocks and how a timeout is decided. (TOML section ``[env]``.)"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_frames: int = Field(2700, ge=1, le=10_000_000, description="Frame limit (30 per second); reaching it truncates the match.")
    stocks: int = Field(3, ge=1, le=99, description="Stocks (lives) per player.")
    damage_tiebreak: bool = Field(False, description="At the frame limit with equal stocks, less damage wins instead of a draw.")


def make_config(**cfg: Any) -> EnvConfig:
    """Build an :class:`EnvConfig`, turning pydantic's errors into one ``ValueError`` that names the
    offending keys and lists the allowed ones."""
    allowed = sorted(EnvConfig.model_fields)
    unknown = sorted(set(cfg) - set(allowed))
    if unknown:
        raise ValueError(f"unknown env config key(s) {unknown}; allowed keys: {allowed}")
    try:
        return EnvConfig(**cfg)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r})" for e in err.errors())
        raise ValueError(f"bad env config: {problems}") from None
