"""``brawl-league league status``: the curriculum part, what each learner of a league meets next and why.

A training run's league holds its live learner as the external player ``learner:<run>``. For each such
learner the table lists every candidate opponent of the run's pool (the bots and agents of its mix, then
its snapshots oldest first, or the mirror before the first snapshot), with the learner's record over
its newest ``pfsp_window`` games against it, its estimated chance of beating it, and the pfsp draw
probability (``league.sampler.OpponentSampler.curriculum_weights``). The sampling settings come from the
run's ``config.toml`` (``[league]``) when the league sits in a run directory, else from the defaults.
Tables fit 80 columns.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

LEARNER_PREFIX = "learner:"
SAMPLING_KEYS = ("mix", "strategy", "curriculum", "pfsp_power", "pfsp_floor", "pfsp_window", "recent_k")


def run_league_settings(directory: str | Path) -> dict[str, Any]:
    """The ``[league]`` table of the run's ``config.toml`` beside the league directory, or {}."""
    path = Path(directory).resolve().parent / "config.toml"
    if not path.is_file():
        return {}
    try:
        section = tomllib.loads(path.read_text(encoding="utf-8")).get("league", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return {k: v for k, v in section.items() if k in SAMPLING_KEYS} if isinstance(section, dict) else {}


def curriculum_tables(league, directory: str | Path) -> list:
    """One rich table per learner of the league (none when it has no ``learner:<run>`` player)."""
    from rich.markup import escape
    from rich.table import Table

    from league.sampler import OpponentSampler

    settings = run_league_settings(directory)
    tables = []
    for player in league.players(kind="external"):
        if not player.name.startswith(LEARNER_PREFIX):
            continue
        run = player.name[len(LEARNER_PREFIX) :]
        given = {key: settings.get(key) for key in SAMPLING_KEYS}  # None: the league config's value
        sampler = OpponentSampler(league, learner=player, run=run, **given)
        uses = (
            "draws by these weights"
            if sampler.curriculum == "pfsp"
            else "draws by fixed mix shares; pfsp weights shown"
        )
        table = Table(
            title=f"curriculum of {escape(player.name)} (curriculum {sampler.curriculum}: {uses}; "
            f"last {sampler.pfsp_window} games, weight (1-P)^{sampler.pfsp_power:g}, floor "
            f"{sampler.pfsp_floor:g})",
            title_justify="left",
        )
        table.add_column("opponent", max_width=30, overflow="fold")
        table.add_column("kind")
        for col in ("games", "score", "P(win)", "weight"):
            table.add_column(col, justify="right")
        for c in sampler.curriculum_weights():
            score = f"{c.score / c.games:.2f}" if c.games else "-"
            table.add_row(
                escape(c.opponent.name),
                c.opponent.kind,
                str(c.games),
                score,
                f"{c.win_prob:.2f}",
                f"{100 * c.weight:.1f} %",
            )
        tables.append(table)
    return tables
