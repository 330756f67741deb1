"""A round-robin ladder between bots: every pair plays seeded matches with sides swapped each game.

``run_ladder(["ConstantBot", "BasedBot", "SpacerBot"], games=50)`` plays each unordered pair
``games`` matches, exactly like ``brawl-league match A B --games N --seed S`` (game k from base seed
``seed + k``, A as player_0 in even games and player_1 in odd ones; fresh bots every game), and returns
the win, draw and loss counts and the win rate of every ordered pair, plus each bot's overall score.
``brawl-league bots ladder`` prints it as a table; it names agents as every command does (checkpoints
and file bots included, through ``league.agents``) and hands the ladder a ``make`` that builds them.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..config import MAX_FRAMES
from ..match import run_match
from .registry import load_bot


def _play_pair(
    a: str, b: str, games: int, seed: int, frames: int, stocks: int, make: Callable[[str], Any]
) -> dict[str, int]:
    rec = {"wins": 0, "draws": 0, "losses": 0, "forfeits_a": 0, "forfeits_b": 0, "frames": 0}
    for k in range(games):
        a_slot = k % 2
        agents = [None, None]
        agents[a_slot] = make(a)
        agents[1 - a_slot] = make(b)
        res = run_match(agents[0], agents[1], seed=seed + k, max_frames=frames, stocks=stocks)
        outcome = res.result_for(a_slot)
        rec[{"win": "wins", "draw": "draws", "loss": "losses"}[outcome]] += 1
        rec["frames"] += res.frames
        if res.forfeit is not None:
            rec["forfeits_a" if res.forfeit["slot"] == a_slot else "forfeits_b"] += 1
        yield rec


def run_ladder(
    names: Sequence[str],
    games: int = 50,
    seed: int = 0,
    frames: int = MAX_FRAMES,
    progress: Callable[[str, str, int], None] | None = None,
    stocks: int = 3,
    make: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """Play every pair of ``names`` ``games`` seeded matches; see the module docstring.

    ``make(name)`` gives the agent that plays as ``name`` in one game (a fresh bot, or any agent
    ``run_match`` takes); by default ``names`` are bot specs and every game gets fresh bots.

    ``progress(a, b, done)`` is called after each match with the pair and the games done so far in it.
    Returns a JSON-ready dict::

        {"bots": [...], "games": N, "seed": S, "frames": F, "stocks": K, "seconds": wall time,
         "pairs": {"A|B": {"wins", "draws", "losses", "win_rate", "score", "forfeits_a", "forfeits_b",
                           "mean_frames"}, ...},          # both orders, from the first bot's side
         "overall": {"A": {"wins", "draws", "losses", "games", "win_rate", "score"}, ...},
         "ranking": [names, best overall score first]}

    ``win_rate`` is wins / games; ``score`` counts a draw as half a win.
    """
    names = list(dict.fromkeys(names))
    if len(names) < 2:
        raise ValueError(f"a ladder needs at least two different bots; got {names}")
    if games < 1:
        raise ValueError(f"games must be at least 1; got {games}")
    if make is None:
        make = load_bot
        for name in names:
            load_bot(name)  # fail early, with the spec's error
    start = time.perf_counter()
    pairs: dict[str, dict[str, Any]] = {}
    for a, b in itertools.combinations(names, 2):
        rec = None
        for done, rec in enumerate(_play_pair(a, b, games, seed, frames, stocks, make), start=1):  # noqa: B007
            if progress is not None:
                progress(a, b, done)
        n = games
        mean_frames = rec["frames"] / n
        pairs[f"{a}|{b}"] = {
            "wins": rec["wins"],
            "draws": rec["draws"],
            "losses": rec["losses"],
            "win_rate": rec["wins"] / n,
            "score": (rec["wins"] + 0.5 * rec["draws"]) / n,
            "forfeits_a": rec["forfeits_a"],
            "forfeits_b": rec["forfeits_b"],
            "mean_frames": mean_frames,
        }
        pairs[f"{b}|{a}"] = {
            "wins": rec["losses"],
            "draws": rec["draws"],
            "losses": rec["wins"],
            "win_rate": rec["losses"] / n,
            "score": (rec["losses"] + 0.5 * rec["draws"]) / n,
            "forfeits_a": rec["forfeits_b"],
            "forfeits_b": rec["forfeits_a"],
            "mean_frames": mean_frames,
        }
    overall = {}
    for a in names:
        won = drawn = lost = 0
        for b in names:
            if a != b:
                p = pairs[f"{a}|{b}"]
                won, drawn, lost = won + p["wins"], drawn + p["draws"], lost + p["losses"]
        n = won + drawn + lost
        overall[a] = {
            "wins": won,
            "draws": drawn,
            "losses": lost,
            "games": n,
            "win_rate": won / n,
            "score": (won + 0.5 * drawn) / n,
        }
    ranking = sorted(names, key=lambda a: (-overall[a]["score"], -overall[a]["win_rate"], names.index(a)))
    return {
        "bots": names,
        "games": games,
        "seed": seed,
        "frames": frames,
        "stocks": stocks,
        "seconds": time.perf_counter() - start,
        "pairs": pairs,
        "overall": overall,
        "ranking": ranking,
    }


def pair(ladder: dict[str, Any], a: str, b: str) -> dict[str, Any]:
    """The record of ``a`` against ``b`` in a ladder result."""
    return ladder["pairs"][f"{a}|{b}"]


def to_markdown(ladder: dict[str, Any]) -> str:
    """The ladder as a Markdown table: rows = bot (best first), columns = opponent, cells = the row
    bot's win rate (draws in brackets when there are any), then the overall score."""
    order = ladder["ranking"]
    lines = ["| bot | " + " | ".join(order) + " | score |", "|---|" + "---:|" * (len(order) + 1)]
    for a in order:
        cells = []
        for b in order:
            if a == b:
                cells.append("-")
                continue
            p = ladder["pairs"][f"{a}|{b}"]
            cell = f"{100 * p['win_rate']:.0f} %"
            if p["draws"]:
                cell += f" ({p['draws']} d)"
            cells.append(cell)
        lines.append(f"| {a} | " + " | ".join(cells) + f" | {100 * ladder['overall'][a]['score']:.0f} % |")
    return "\n".join(lines)


def default_bots() -> list[str]:
    """Every built-in bot, in the registry's order."""
    from .registry import BUILTIN

    return list(BUILTIN)


def caption(ladder: dict[str, Any]) -> str:
    """One line saying how a ladder was played and how long it took, on what machine."""
    import os
    import platform

    return (
        f"{ladder['games']} games per pair (sides swapped every game), base seed {ladder['seed']}, "
        f"{ladder['frames']}-frame limit, {ladder['stocks']} stocks; {ladder['seconds']:.0f} s on "
        f"{os.cpu_count()} cores ({platform.machine()}, Python {platform.python_version()})."
    )


def render_table(ladder: dict[str, Any]):
    """A rich table: rows = bot (best first), columns = opponent by rank number, cells = the row bot's win
    rate; numbered columns keep seven bots inside 80 columns."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    order = ladder["ranking"]
    table = Table(
        title="bot ladder: win rate (%) of the row bot against the column bot (by rank)",
        title_justify="left",
        caption=escape(caption(ladder)),
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("bot", overflow="fold")
    for k, _ in enumerate(order, start=1):
        table.add_column(str(k), justify="right", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("W-D-L", justify="right", no_wrap=True)
    for a in order:
        cells = []
        for b in order:
            if a == b:
                cells.append("-")
                continue
            p = ladder["pairs"][f"{a}|{b}"]
            rate = p["win_rate"]
            style = "green" if rate >= 0.6 else ("red" if rate <= 0.4 and p["score"] < 0.5 else "")
            text = f"{100 * rate:.0f}"  # draws are in W-D-L (and the Markdown table)
            cells.append(f"[{style}]{text}[/{style}]" if style else text)
        o = ladder["overall"][a]
        record = f"{o['wins']}-{o['draws']}-{o['losses']}"
        table.add_row(str(order.index(a) + 1), escape(a), *cells, f"{100 * o['score']:.0f} %", record)
    return table
