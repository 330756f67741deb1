"""``brawl-league match``: a seeded series between two agents, with a summary and a stats table.

Agents are named as everywhere else (``league.agents``): a bot spec, a checkpoint of any installed
trainer, or ``league:NAME`` / ``league:latest`` with ``--league``. A bot plays each game as a fresh
instance, guarded by the match runner (its per-frame time budget); a network is loaded once.
"""

from __future__ import annotations

from typing import Any

from brawl_env.config import MAX_FRAMES, STOCKS


def _file_stem(k: int, seed: int, names) -> str:
    """``game000-seed5-BasedBot-vs-RandomBot``: names in slot order, reduced to safe characters."""
    safe = ["".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(n))[:40] for n in names]
    return f"game{k:03d}-seed{seed}-{safe[0]}-vs-{safe[1]}"


def play_series(
    a: str,
    b: str,
    games: int = 1,
    seed: int = 0,
    frames: int = MAX_FRAMES,
    stocks: int = STOCKS,
    progress: bool = False,
    video: str | None = None,
    video_dir: str | None = None,
    replay_dir: str | None = None,
    resolution: str = "480p",
    hitboxes: bool = False,
    league_dir: str | None = None,
) -> dict[str, Any]:
    """Play ``games`` matches of A against B (A is player_0 in even games, player_1 in odd ones).

    Game k is played from base seed ``seed + k``. Returns a JSON-ready dict: every game, and A's
    wins, draws, losses and forfeits. ``video`` (one game only) or ``video_dir`` (one mp4 per game) and
    ``replay_dir`` (one ``.replay`` per game) record the games; each game's row then names its files.
    Videos are rendered from the recorded keys after the game, so recording never changes a match.
    """
    from brawl_env.match import run_match
    from league.agents import parse_agent

    if video is not None and games != 1:
        raise ValueError(f"--video writes one file, but {games} games were asked for: use --video-dir DIR")
    if video is not None or video_dir is not None:
        from brawl_env.render import resolution_size

        resolution_size(resolution)  # a bad resolution fails before any game
    record = video is not None or video_dir is not None or replay_dir is not None
    # parsed (and loaded once) before any game, so a bad spec fails with its own error
    players = [Player(parse_agent(a, league_dir)), Player(parse_agent(b, league_dir))]
    rows = []
    summary = {"wins": 0, "draws": 0, "losses": 0, "forfeits_a": 0, "forfeits_b": 0}
    bar = None
    if progress and games > 1:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(
            TextColumn("matches"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
        )
        bar.start()
        task = bar.add_task("matches", total=games)
    try:
        for k in range(games):
            a_slot = k % 2
            agents = [players[1].agent(), players[1].agent()]
            agents[a_slot] = players[0].agent()
            res = run_match(
                agents[0], agents[1], seed=seed + k, max_frames=frames, stocks=stocks, record_keys=record
            )
            files = _record_game(res, k, video, video_dir, replay_dir, resolution, hitboxes) if record else {}
            outcome = res.result_for(a_slot)
            summary[{"win": "wins", "draw": "draws", "loss": "losses"}[outcome]] += 1
            if res.forfeit is not None:
                summary["forfeits_a" if res.forfeit["slot"] == a_slot else "forfeits_b"] += 1
            rows.append(
                {
                    "game": k,
                    "seed": seed + k,
                    "a_slot": a_slot,
                    "result_a": outcome,
                    "frames": res.frames,
                    "ended_by": res.ended_by,
                    "forfeit": res.forfeit,
                    "stats_a": res.stats[a_slot],
                    "stats_b": res.stats[1 - a_slot],
                    **files,
                }
            )
            if bar is not None:
                bar.advance(task)
    finally:
        if bar is not None:
            bar.stop()
    return {
        "a": a,
        "b": b,
        "names": [p.spec.name for p in players],
        "games": rows,
        "summary": summary,
        "frames": frames,
        "stocks": stocks,
    }


class Player:
    """One side of a series: a fresh bot instance per game (so ``run_match`` guards it), or one network
    agent loaded once and reset by every game."""

    def __init__(self, spec):
        self.spec = spec
        self._network = None

    def agent(self):
        from league.agents import bot_class_for, make_agent

        if self.spec.kind == "bot":
            return bot_class_for(self.spec)()
        if self._network is None:
            self._network = make_agent(self.spec)
        return self._network


def _record_game(
    res,
    k: int,
    video: str | None,
    video_dir: str | None,
    replay_dir: str | None,
    resolution: str,
    hitboxes: bool,
) -> dict[str, str]:
    """Save a played game's replay and/or render its video; returns the paths written."""
    from pathlib import Path

    from brawl_env.render import write_video
    from brawl_env.replay import from_match

    replay = from_match(res)
    stem = _file_stem(k, res.seed, res.names)
    files: dict[str, str] = {}
    if replay_dir is not None:
        files["replay"] = str(replay.save(Path(replay_dir) / f"{stem}.replay"))
    target = Path(video) if video is not None else (Path(video_dir) / f"{stem}.mp4" if video_dir else None)
    if target is not None:
        sim = write_video(replay, target, resolution=resolution, hitboxes=hitboxes)
        if sim.matches_recording is False:  # pragma: no cover - a determinism bug, not a user error
            raise RuntimeError(f"game {k}: the video's re-simulation diverged from the match played")
        files["video"] = str(target)
    return files


def render_series(series: dict[str, Any], console) -> None:
    """Print a series: one row per game (A's numbers first in each A-B pair; fits 80 columns), forfeits and
    files below it, then A's record. Agents are shown by their names (``run@steps`` for a checkpoint)."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    a, b = (escape(n) for n in series.get("names") or (series["a"], series["b"]))
    table = Table(
        title=f"{a} (A) vs {b} (B)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for col in ("game", "seed", "A as", "A", "frames", "ended by", "damage A-B", "KOs A-B", "stocks A-B"):
        table.add_column(col, justify="left" if col in ("A", "ended by", "A as") else "right", no_wrap=True)
    for g in series["games"]:
        sa, sb = g["stats_a"], g["stats_b"]
        table.add_row(
            str(g["game"]),
            str(g["seed"]),
            f"p{g['a_slot']}",
            g["result_a"],
            str(g["frames"]),
            g["ended_by"],
            f"{sa['damage_dealt']:.0f}-{sb['damage_dealt']:.0f}",
            f"{sa['knockouts_dealt']:.0f}-{sb['knockouts_dealt']:.0f}",
            f"{sa['stocks_left']:.0f}-{sb['stocks_left']:.0f}",
        )
    console.print(table)
    for g in series["games"]:
        if g["forfeit"]:
            console.print(
                f"game {g['game']}: " + escape(f"forfeit: {g['forfeit']['name']} ({g['forfeit']['reason']})")
            )
        for kind in ("replay", "video"):
            if g.get(kind):
                console.print(f"game {g['game']} {kind}: {escape(g[kind])}")
    s = series["summary"]
    n = len(series["games"])
    console.print(
        f"[bold]{a}[/bold] vs [bold]{b}[/bold]: {s['wins']} won, {s['draws']} drawn, {s['losses']} lost "
        f"of {n} ({100.0 * (s['wins'] + 0.5 * s['draws']) / n:.0f} % score)"
    )
