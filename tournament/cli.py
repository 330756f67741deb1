"""``brawl-league tournament``: the command's body (``brawl_league.cli`` only declares the options)."""

from __future__ import annotations

import json
import shlex
import sys
from typing import Any

import typer


def tournament_command(agents: list[str] | None, options: dict[str, Any], *, json_out: bool) -> None:
    """Run a tournament with a progress bar; print the table (or JSON); exit 2 on a user error.

    ``options``: the command's options by their ``TournamentConfig`` key; None means not given, so the
    config's default (or, on ``--resume``, the plan's setting) applies. A bad value is one line naming the
    key and the allowed values (``tournament.config.make_tournament_config``)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    from league.agents import AgentError
    from .backends import TournamentError
    from .config import make_tournament_config
    from .runner import run_tournament
    from .tables import print_head_to_head, print_table

    class RateColumn(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:.1f} matches/s")

    err = Console(stderr=True)
    bar = Progress(
        TextColumn("matches"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    task = None
    last: dict[str, Any] = {}

    def progress(done: int, total: int, result: dict | None) -> None:
        nonlocal task
        if task is None:
            task = bar.add_task("matches", total=total, completed=done)
            return
        bar.update(task, completed=done)
        if result is not None and result.get("forfeit"):
            f = result["forfeit"]
            err.print(
                f"[yellow]match {result['index']}: {escape(f['name'])} forfeits: {escape(f['reason'])}[/]"
            )
        last["done"], last["total"] = done, total

    command = "brawl-league " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    try:
        config = make_tournament_config(
            **{key: value for key, value in options.items() if value is not None}, command=command
        )
        with bar:
            result = run_tournament(agents or None, config, progress=progress)
    except (AgentError, ValueError, FileNotFoundError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    except TournamentError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        out = options.get("out")
        where = f" --out {shlex.quote(str(out))}" if out else " --out DIR (the tournament's folder)"
        typer.echo(
            f"interrupted after {last.get('done', 0)} of {last.get('total', '?')} matches (all recorded); "
            f"play the rest with: brawl-league tournament --resume{where}",
            err=True,
        )
        raise typer.Exit(130) from None
    if json_out:
        doc = result.table.to_dict()
        doc["meta"] = result.meta
        typer.echo(json.dumps(doc, allow_nan=False))
        return
    console = Console()
    print_table(
        result.table,
        console=console,
        title=f"tournament: {result.meta['matches']} matches, {result.meta['games_per_pair']} per pair",
    )
    if not print_head_to_head(result.table, console=console):
        console.print("head to head: too wide for this terminal; see ratings.md or head_to_head.csv")
    forfeits = result.meta.get("forfeits") or {}
    if forfeits:
        console.print("forfeits: " + ", ".join(f"{escape(k)} {v}" for k, v in forfeits.items()))
    console.print(
        f"written to {escape(str(result.out))}: "
        + ", ".join(p.name for p in result.files)
        + f", {result.meta['matches_file']}, {result.meta['replays']}/"
        + (", videos/" if result.meta.get("videos") else "")
    )
