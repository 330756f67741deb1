"""``brawl-league match``: a seeded series between two agents, with a summary and a stats table."""

from __future__ import annotations

from typing import Any


def play_series(a: str, b: str, games: int = 1, seed: int = 0, frames: int = 2700, stocks: int = 3,
                progress: bool = False) -> dict[str, Any]:
    """Play ``games`` matches of A against B (A is player_0 in even games, player_1 in odd ones).

    Game k is played from base seed ``seed + k``. Returns a JSON-ready dict: every game, and A's
    wins, draws, losses and forfeits.
    """
    from brawl_env.bots import load_bot
    from brawl_env.match import run_match

    load_bot(a), load_bot(b)  # fail early, with the spec's error, before any game
    rows = []
    summary = {"wins": 0, "draws": 0, "losses": 0, "forfeits_a": 0, "forfeits_b": 0}
    bar = None
    if progress and games > 1:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("matches"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                       transient=True)
        bar.start()
        task = bar.add_task("matches", total=games)
    try:
        for k in range(games):
            a_slot = k % 2
            agents = [load_bot(b), load_bot(b)]
            agents[a_slot] = load_bot(a)
            res = run_match(agents[0], agents[1], seed=seed + k, max_frames=frames, stocks=stocks)
            outcome = res.result_for(a_slot)
            summary[{"win": "wins", "draw": "draws", "loss": "losses"}[outcome]] += 1
            if res.forfeit is not None:
                summary["forfeits_a" if res.forfeit["slot"] == a_slot else "forfeits_b"] += 1
            rows.append({"game": k, "seed": seed + k, "a_slot": a_slot, "result_a": outcome, "frames": res.frames,
                         "ended_by": res.ended_by, "forfeit": res.forfeit,
                         "stats_a": res.stats[a_slot], "stats_b": res.stats[1 - a_slot]})
            if bar is not None:
                bar.advance(task)
    finally:
        if bar is not None:
            bar.stop()
    return {"a": a, "b": b, "games": rows, "summary": summary, "frames": frames, "stocks": stocks}


def render_series(series: dict[str, Any], console) -> None:
    """Print a series: one row per game, then A's record."""
    from rich.markup import escape
    from rich.table import Table

    a, b = escape(series["a"]), escape(series["b"])
    table = Table(title=f"{a} (A) vs {b} (B)", title_justify="left")
    for col in ("game", "seed", "A as", "A", "frames", "ended by", "dmg A", "dmg B", "KO A", "KO B",
                "stocks A", "stocks B"):
        table.add_column(col, justify="left" if col in ("A", "ended by", "A as") else "right")
    for g in series["games"]:
        sa, sb = g["stats_a"], g["stats_b"]
        ended = g["ended_by"]
        if g["forfeit"]:
            ended = escape(f"forfeit: {g['forfeit']['name']} ({g['forfeit']['reason']})")
        table.add_row(str(g["game"]), str(g["seed"]), f"p{g['a_slot']}", g["result_a"], str(g["frames"]), ended,
                      f"{sa['damage_dealt']:.0f}", f"{sb['damage_dealt']:.0f}", f"{sa['knockouts_dealt']:.0f}",
                      f"{sb['knockouts_dealt']:.0f}", f"{sa['stocks_left']:.0f}", f"{sb['stocks_left']:.0f}")
    console.print(table)
    s = series["summary"]
    n = len(series["games"])
    console.print(f"[bold]{a}[/bold] vs [bold]{b}[/bold]: {s['wins']} won, {s['draws']} drawn, {s['losses']} lost "
                  f"of {n} ({100.0 * (s['wins'] + 0.5 * s['draws']) / n:.0f} % score)")
