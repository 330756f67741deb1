"""A tournament's settings: one frozen pydantic model, checked before anything is played or written.

:class:`TournamentConfig` holds every setting of :func:`tournament.runner.run_tournament`; the agents
and the progress callback are arguments of their own, since they are not settings (a list of things to
play, a function). :func:`make_tournament_config` builds one with pydantic's errors turned into one line
that names the key and its allowed values (``brawl_env.config.build_model``, as for the env and the
league); the ``brawl-league tournament`` command prints that line and exits with status 2.

The rules a match is played under (frames, stocks) take their defaults and limits from
``brawl_env.config.EnvConfig``, the one place that spells them.

**Planned settings.** ``games``, ``frames``, ``stocks``, ``seed`` and ``deterministic`` (:data:`PLANNED`)
decide which matches are played and how, so ``plan.json`` stores them and ``resume`` takes them from there
(a plan written before ``deterministic`` was recorded resumes as sampled, the default then as now):
:meth:`TournamentConfig.resumed` keeps a value the caller set only when it equals the plan's (a field
left at its default is not "set": pydantic's ``model_fields_set``).

:class:`BatchSettings` is the part a worker needs to play a batch; a frozen dataclass, so it pickles
for the local worker processes and for Ray.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from brawl_env.config import SEED_LIMIT, EnvConfig, build_model

PLANNED = ("games", "frames", "stocks", "seed", "deterministic")
"""The settings ``plan.json`` records: what the schedule and every match depend on."""

PLANNED_LATER = {"deterministic": False}
"""Planned settings that older ``plan.json`` files lack, with the value those tournaments were played with."""


class _Frozen(BaseModel):
    # strict, as the other configs: True is not a number of games, "3" not a stock count; floats take ints
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TournamentConfig(_Frozen):
    """How a round robin is played, run and written (see docs/tournament.md for each option)."""

    games: int = Field(10, ge=1, description="Matches per pair, sides swapped in half.")
    # the match's own field: its default (brawl_env.config.MAX_FRAMES / STOCKS), limits and description
    frames: int = EnvConfig.model_fields["max_frames"]
    stocks: int = EnvConfig.model_fields["stocks"]
    seed: int = Field(
        0, ge=0, lt=SEED_LIMIT, description="Tournament seed; every match's seed derives from it (64 bits)."
    )
    workers: int | None = Field(
        None,
        ge=1,
        description="Worker processes or Ray tasks at once (None: CPU cores, at most one per batch).",
    )
    backend: Literal["local", "ray"] = Field("local", description="local (worker processes) or ray.")
    address: str | None = Field(None, description="Ray cluster address (None: start a local Ray).")
    league: Path | None = Field(
        None, strict=False, description="League the matches are recorded in (None: OUT/league_db)."
    )
    out: Path | None = Field(
        None, strict=False, description="Output folder (None: tournaments/<time> when the run starts)."
    )
    videos: Literal["none", "best", "all"] = Field(
        "none", description="Videos to make: none, best (the closest match of the top two) or all."
    )
    resume: bool = Field(False, description="Play only the matches OUT/matches.jsonl lacks.")
    batch_size: int | None = Field(
        None, ge=1, description="Matches stepped together per batch (None: tournament.schedule decides)."
    )
    bootstrap: int = Field(1000, ge=0, description="Bootstrap resamples for the 95 % intervals (0: normal).")
    deterministic: bool = Field(
        False, description="Networks press a key when its probability is above 1/2 instead of sampling."
    )
    time_budget: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="Per-frame CPU seconds of every guarded bot (None: each bot's own time_budget).",
    )
    hang_limit: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="Wall seconds before a bot's call is interrupted (None: max(10 x budget, 0.5)).",
    )
    stall_limit: float = Field(
        30.0,
        gt=0,
        allow_inf_nan=False,
        description="Seconds without any progress after which a local worker is killed and replaced.",
    )
    max_matches: int | None = Field(
        None, ge=1, description="Stop after recording this many new matches (None: play them all)."
    )
    write_files: bool = Field(True, description="Write the table files (tournament.json, CSV, plots).")
    command: str | None = Field(None, description="The command line recorded in the meta (None: sys.argv).")

    def planned(self) -> dict[str, Any]:
        """The settings ``plan.json`` records (:data:`PLANNED`)."""
        return {key: getattr(self, key) for key in PLANNED}

    def resumed(self, plan: dict[str, Any]) -> TournamentConfig:
        """This config with the planned settings of ``plan`` (a loaded ``plan.json``). A planned setting
        the caller set must equal the plan's: resuming with other rules would mix two tournaments."""
        plan = {**PLANNED_LATER, **plan}
        missing = [key for key in PLANNED if key not in plan]
        if missing:
            raise ValueError(f"--resume: the tournament's plan lacks {missing}; it cannot be resumed")
        for key in PLANNED:
            given = getattr(self, key)
            if key in self.model_fields_set and given != plan[key]:
                raise ValueError(
                    f"--resume: this tournament was planned with {key}={plan[key]!r}, not {given!r}"
                )
        mine = self.model_dump(exclude_unset=True)
        return make_tournament_config(**{**mine, **{key: plan[key] for key in PLANNED}})

    def batch_settings(self, torch_threads: int | None = None) -> BatchSettings:
        """What a worker needs from this config to play its batches."""
        return BatchSettings(
            frames=self.frames,
            stocks=self.stocks,
            deterministic=self.deterministic,
            time_budget=self.time_budget,
            hang_limit=self.hang_limit,
            torch_threads=torch_threads,
        )


def make_tournament_config(**cfg: Any) -> TournamentConfig:
    """Build a :class:`TournamentConfig`; a bad key or value is one ``ValueError`` line naming it and the
    allowed keys or values (``bad tournament config: backend: Input should be 'local' or 'ray' ...``)."""
    return build_model(TournamentConfig, cfg, "tournament")


@dataclass(frozen=True, slots=True)
class BatchSettings:
    """How a worker plays a batch (``tournament.lanes.run_batch``): built from a validated
    :class:`TournamentConfig` (:meth:`~TournamentConfig.batch_settings`), so it checks nothing itself.

    :param frames: frame limit per match; ``stocks``: stocks per player.
    :param deterministic: networks press a key when its probability is above 1/2.
    :param time_budget: per-frame CPU seconds of every guarded bot (None: each bot's ``time_budget``).
    :param hang_limit: wall seconds before a guarded call is interrupted (None: max(10 x budget, 0.5)).
    :param torch_threads: torch threads per worker when a network plays (None: leave torch's setting).
    """

    frames: int
    stocks: int
    deterministic: bool = False
    time_budget: float | None = None
    hang_limit: float | None = None
    torch_threads: int | None = None
