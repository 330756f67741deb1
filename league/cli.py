"""The ``brawl-league`` command.

Every command imports what it needs inside its own body, so ``brawl-league --help`` neither imports the
engine nor compiles a kernel.
"""

from __future__ import annotations

from typing import Annotated

import typer

from league import __version__

app = typer.Typer(
    name="brawl-league",
    help="A two-player platform fighter for reinforcement learning: league, trainers, tournaments.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
bench_app = typer.Typer(
    help="Measure how fast things run; --json for machine-readable output.",
    no_args_is_help=True,
)
app.add_typer(bench_app, name="bench")
bots_app = typer.Typer(help="Scripted bots: list the built-in and installed ones.", no_args_is_help=True)
app.add_typer(bots_app, name="bots")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"brawl-league {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """A two-player platform fighter for reinforcement learning: league, trainers, tournaments."""


@bench_app.command("env")
def bench_env(
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object to stdout and nothing else.")
    ] = False,
    quick: Annotated[
        bool, typer.Option("--quick", help="Short smoke run: 0.25 s per measurement, one repeat.")
    ] = False,
    seconds: Annotated[float, typer.Option("--seconds", min=0.001, help="Wall time per measurement.")] = 2.0,
    repeats: Annotated[
        int, typer.Option("--repeats", min=1, help="Measurements per figure; medians are reported.")
    ] = 5,
) -> None:
    """Benchmark the game: parallel env steps and resets, BatchEnv at N=1/64/1024, import and compile time."""
    import contextlib
    import json
    import sys

    from rich.console import Console

    from league import bench

    # Progress and anything the engine might print go to stderr, so that --json leaves stdout clean.
    err = Console(stderr=True, log_path=False)
    with contextlib.redirect_stdout(sys.stderr), err.status("benchmarking") as status:

        def progress(msg: str) -> None:
            status.update(f"benchmarking: {msg}")
            err.log(msg)

        result = bench.run_env_bench(seconds=seconds, repeats=repeats, quick=quick, progress=progress)

    if json_out:
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
    else:
        Console().print(bench.render_table(result))


@bots_app.command("list")
def bots_list(
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON list instead of a table.")] = False,
) -> None:
    """List every bot by name, with its one-line description and where it comes from."""
    import json

    from rich.console import Console
    from rich.table import Table

    from brawl_env.bots import bot_class, entries

    rows = []
    for entry in entries():
        try:
            description = bot_class(entry.name).describe()
        except Exception as err:  # a broken plug-in is listed, not fatal
            description = f"(cannot load: {err})"
        rows.append({"name": entry.name, "description": description, "source": entry.source})
    if json_out:
        typer.echo(json.dumps(rows))
        return
    table = Table(title="bots (use a name, FILE.py:CLASS or MODULE:CLASS as a spec)", title_justify="left")
    for col in ("name", "description", "source"):
        table.add_column(col)
    from rich.markup import escape

    for row in rows:
        table.add_row(escape(row["name"]), escape(row["description"]), escape(row["source"]))
    Console().print(table)


@app.command("match")
def match(
    a: Annotated[str, typer.Argument(help="First agent: a bot spec (BasedBot, FILE.py:CLASS, MODULE:CLASS).")],
    b: Annotated[str, typer.Argument(help="Second agent, same forms.")],
    games: Annotated[int, typer.Option("--games", min=1, help="Matches to play; A and B swap sides every game.")] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Base seed; game k uses seed + k.")] = 0,
    frames: Annotated[int, typer.Option("--frames", min=1, help="Frame limit per match (30 per second).")] = 2700,
    stocks: Annotated[int, typer.Option("--stocks", min=1, max=99, help="Stocks per player.")] = 3,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout and nothing else.")] = False,
) -> None:
    """Play seeded matches between two agents and print the results and a stats table."""
    from league.matches import play_series, render_series

    try:
        series = play_series(a, b, games=games, seed=seed, frames=frames, stocks=stocks, progress=not json_out)
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    if json_out:
        import json

        typer.echo(json.dumps(series))
    else:
        from rich.console import Console

        render_series(series, Console())


def main() -> None:
    """Console-script entry point (``brawl-league``)."""
    app()


if __name__ == "__main__":
    main()
