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


def main() -> None:
    """Console-script entry point (``brawl-league``)."""
    app()


if __name__ == "__main__":
    main()
