"""The ``brawl-league`` command.

Every command imports what it needs inside its own body, so ``brawl-league --help`` neither imports the
engine nor compiles a kernel.
"""

from __future__ import annotations

import re
from typing import Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from brawl_league import __version__

# the game's default frame limit from its one place, a module without imports (brawl_env's package import
# is lazy), so this module stays light (tests/brawl_league/test_cli.py checks it)
from brawl_env.defaults import MAX_FRAMES


def _styled(params):
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
        elif param.param_type_name == "argument" and param.metavar is None:
            param.metavar = param.name.upper()
    return params


class _Command(TyperCommand):
    """Every command's help in one style: arguments in capitals and bare in the usage line (``match A B``,
    not ``{a} {b}``), on/off flags shown without a value type (not ``<bool>``)."""

    def get_params(self, ctx):
        return _styled(super().get_params(ctx))

    def collect_usage_pieces(self, ctx):
        return [re.sub(r"^\{(.*)\}", r"\1", piece) for piece in super().collect_usage_pieces(ctx)]


class _Group(TyperGroup):
    """A command group in :class:`_Command`'s style, whose commands use it too."""

    def get_params(self, ctx):
        return _styled(super().get_params(ctx))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            if type(command) is TyperCommand:
                command.__class__ = _Command


#: conventions every command keeps: -h or --help; --json prints JSON on stdout and nothing else; --out FILE
#: (or DIR) names what is written; --league DIR names a league directory
app = typer.Typer(
    name="brawl-league",
    help="A two-player platform fighter for reinforcement learning: league, trainers, tournaments.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
)
bench_app = typer.Typer(
    help="Measure how fast things run; --json for machine-readable output.",
    no_args_is_help=True,
    cls=_Group,
)
app.add_typer(bench_app, name="bench")
bots_app = typer.Typer(
    help="Scripted bots: list the built-in and installed ones.", no_args_is_help=True, cls=_Group
)
app.add_typer(bots_app, name="bots")


def _table(**kwargs):
    """A rich table that reads at 80 columns, in the tournament table's style: a rule under the header only."""
    from rich import box
    from rich.table import Table

    return Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, title_justify="left", **kwargs)


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
    _passive_omp_threads()


def _passive_omp_threads() -> None:
    """Make torch's OpenMP threads sleep, not spin, while they wait (unless the user set it).

    On a shared or busy machine (more runnable processes than cores) spinning threads wait for peers
    that are not running: measured on 2 busy cores, a small LSTM update ran 0.2-0.4 iterations/s with
    torch's default 2 threads, against 85 with ``OMP_WAIT_POLICY=PASSIVE`` (docs/benchmarks.md). The
    OpenMP runtime reads the variable when torch is first imported, which no command has done yet here.
    """
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


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

    from brawl_league import bench

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


@bench_app.command("train")
def bench_train(
    preset: Annotated[str, typer.Option("--preset", help="Preset to measure.")] = "smoke",
    seconds: Annotated[
        float, typer.Option("--seconds", min=1.0, help="Timed wall time after the warm-up.")
    ] = 60.0,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a config field (repeatable).")
    ] = None,
    device: Annotated[str | None, typer.Option("--device", help="auto | cuda | mps | cpu.")] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object to stdout and nothing else.")
    ] = False,
    backend: Annotated[
        str,
        typer.Option(
            "--backend", help="local, or ray: the matches in Ray shards, measured once per --shards."
        ),
    ] = "local",
    shards: Annotated[
        list[int] | None,
        typer.Option(
            "--shards",
            min=1,
            help="Shard counts to measure with --backend ray (repeatable; default 1 and 2).",
        ),
    ] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="Ray cluster address (default: a local Ray instance).")
    ] = None,
    profile: Annotated[
        bool,
        typer.Option(
            "--profile",
            help="Also split each rollout's vector step by part (learner, opponents, engine, glue, "
            "copies ...), in ms; on a GPU the parts synchronise, so take speeds from a run without it.",
        ),
    ] = False,
) -> None:
    """Benchmark training: steady-state env-steps/s, the learner's share of wall time and peak memory."""
    import contextlib
    import json
    import sys

    from rich.console import Console

    from brawl_league.bench import run_shards_bench, run_train_bench

    if backend not in ("local", "ray"):
        typer.echo(f"error: --backend must be local or ray; got {backend!r}", err=True)
        raise typer.Exit(2)
    if profile and backend != "local":
        typer.echo("error: --profile times a vector step in this process; use --backend local", err=True)
        raise typer.Exit(2)
    with contextlib.redirect_stdout(sys.stderr), Console(stderr=True).status(f"benchmarking {preset}"):
        if backend == "ray":
            result = run_shards_bench(preset, seconds, tuple(shards or (1, 2)), set_ or [], device, address)
        else:
            result = run_train_bench(preset, seconds, set_ or [], device, profile=profile)
    if json_out:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    console = Console()
    if backend == "ray":
        first = result["runs"][0]
        console.print(
            f"[bold]{preset}[/bold] on Ray shards ({first['cpu']}, {first['cores']} cores, Ray cluster of "
            f"{result['cluster_cpus']:g} CPUs), {first['date']}"
        )
        for r in result["runs"]:
            console.print(
                f"  {r['shards']} shard(s)  {r['steps_per_s']:,.0f} env-steps/s training "
                f"(x{r['speedup']:.2f}), {r['rollout_steps_per_s']:,.0f} env-steps/s while collecting "
                f"rollouts, learner share {100 * r['learner_share']:.0f} %"
            )
        return
    console.print(
        f"[bold]{preset}[/bold] on {result['device']} ({result['cpu']}, {result['cores']} cores"
        + (f", {result['gpu']}" if result["gpu"] else "")
        + f"), {result['date']}"
    )
    console.print(
        f"  env-steps/s      {result['steps_per_s']:,.0f}  ({result['timed_steps']:,} steps in "
        f"{result['timed_s']:.1f} s)"
    )
    if result["frames_per_s"] != result["steps_per_s"]:
        console.print(
            f"  game frames/s    {result['frames_per_s']:,.0f}  (action repeat "
            f"{result['model']['action_repeat']}: one step = that many frames)"
        )
    console.print(f"  learner share    {100 * result['learner_share']:.0f} % of wall time in PPO updates")
    console.print(
        f"  peak memory      {result['peak_rss_mb']:,.0f} MB RSS"
        + (f", {result['peak_gpu_mb']:,.0f} MB GPU" if result["peak_gpu_mb"] else "")
    )
    if result["profile"]:
        prof = result["profile"]
        console.print(
            f"  a vector step ({prof['n_envs']} envs), ms, median of {prof['rollouts']} rollouts"
            + (" (parts synchronised with the GPU)" if prof["synchronized"] else "")
            + ":"
        )
        for part, ms in prof["parts_ms"].items():
            console.print(f"    {part:<10} {ms:7.3f}")


@bench_app.command("opponents")
def bench_opponents(
    preset: Annotated[
        str, typer.Option("--preset", help="Preset whose model, envs and rollout length are used.")
    ] = "smoke",
    counts: Annotated[
        list[int] | None, typer.Option("--count", help="Distinct snapshot opponents (repeatable).")
    ] = None,
    repeats: Annotated[int, typer.Option("--repeats", min=1, help="Timed rollouts per setup (median).")] = 7,
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, help="torch threads (default: torch's).")
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object to stdout and nothing else.")
    ] = False,
) -> None:
    """Benchmark rollouts against several snapshot opponents: one forward each vs one fused forward."""
    import contextlib
    import json
    import sys

    from rich.console import Console
    from rich.table import Table

    from brawl_league.bench import run_opponents_bench

    err = Console(stderr=True)
    with contextlib.redirect_stdout(sys.stderr), err.status("benchmarking opponents") as status:
        result = run_opponents_bench(
            preset,
            tuple(counts or (1, 4)),
            repeats,
            threads,
            progress=lambda msg: status.update(f"benchmarking opponents: {msg}"),
        )
    if json_out:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    console = Console()
    console.print(
        f"[bold]{preset}[/bold]: {result['n_envs']} envs, rollouts of {result['n_steps']} steps, "
        f"{result['cpu']}, {result['cores']} cores, {result['torch_threads']} torch threads, "
        f"load {result['loadavg'][0]:.1f}, {result['date']}"
    )
    table = Table("opponents", "path", "ms / vector step", "learner", "opponents", "engine", "glue")
    for row in result["rows"]:
        parts = row["parts_ms"]
        table.add_row(
            str(row["opponents"]),
            "fused" if row["fused"] else "one forward each",
            f"{row['ms_per_step']:.2f}",
            *(f"{parts[k]:.2f}" for k in ("learner", "opponents", "engine", "glue")),
        )
    console.print(table)
    for name, ratio in result["ratios"].items():
        console.print(f"  {name}: {ratio:.2f}x")


@bots_app.command("list")
def bots_list(
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON list instead of a table.")] = False,
) -> None:
    """List every bot by name, with its one-line description and where it comes from."""
    import json

    from rich.console import Console

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
    table = _table(title="bots (use a name, FILE.py:CLASS or MODULE:CLASS as a spec)")
    for col in ("name", "description", "source"):
        table.add_column(col, overflow="fold")
    from rich.markup import escape

    for row in rows:
        table.add_row(escape(row["name"]), escape(row["description"]), escape(row["source"]))
    Console().print(table)


@bots_app.command("ladder")
def bots_ladder(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Agents to rank, as every command names them: bot names, FILE.py:CLASS, MODULE:CLASS, "
            "checkpoint files, league:NAME with --league (default: every built-in bot)."
        ),
    ] = None,
    games: Annotated[int, typer.Option("--games", min=1, help="Matches per pair (sides swap).")] = 50,
    seed: Annotated[
        int,
        typer.Option("--seed", min=0, max=2**64 - 1, help="Base seed; game k of every pair uses seed + k."),
    ] = 0,
    frames: Annotated[
        int, typer.Option("--frames", min=1, help="Frame limit per match (30 per second).")
    ] = MAX_FRAMES,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object to stdout and nothing else.")
    ] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the table as Markdown (for the docs).")
    ] = False,
    league: Annotated[
        str | None, typer.Option("--league", help="League directory for league: agents.")
    ] = None,
) -> None:
    """Play every pair of bots seeded matches and print a table of win rates (row bot against column bot)."""
    import json

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from brawl_env.bots import ladder as lad
    from brawl_league.matches import Player
    from league.agents import parse_agents

    try:  # named as everywhere (file bots by class, checkpoints as run@steps), built once
        players = {
            p.spec.name: p
            for p in map(Player, parse_agents(list(dict.fromkeys(names or lad.default_bots())), league))
        }
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    bots = list(players)
    total = games * len(bots) * (len(bots) - 1) // 2
    err = Console(stderr=True)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    try:
        with bar:
            task = bar.add_task("ladder", total=total)

            def progress(a: str, b: str, done: int) -> None:
                bar.update(task, advance=1, description=f"{a} vs {b}")

            result = lad.run_ladder(
                bots,
                games=games,
                seed=seed,
                frames=frames,
                progress=progress,
                make=lambda name: players[name].agent(),
            )
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if json_out:
        typer.echo(json.dumps(result))
    elif markdown:
        typer.echo(lad.to_markdown(result))
        typer.echo("")
        typer.echo(lad.caption(result))
    else:
        Console().print(lad.render_table(result))


@app.command("match")
def match(
    a: Annotated[
        str,
        typer.Argument(
            help="First agent: a bot spec (BasedBot, FILE.py:CLASS, MODULE:CLASS), a checkpoint file of any installed trainer, or league:NAME / league:latest (with --league)."
        ),
    ],
    b: Annotated[str, typer.Argument(help="Second agent, same forms.")],
    games: Annotated[
        int, typer.Option("--games", min=1, help="Matches to play; A and B swap sides every game.")
    ] = 1,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=2**64 - 1, help="Base seed; game k uses seed + k.")
    ] = 0,
    frames: Annotated[
        int, typer.Option("--frames", min=1, help="Frame limit per match (30 per second).")
    ] = MAX_FRAMES,
    stocks: Annotated[int, typer.Option("--stocks", min=1, max=99, help="Stocks per player.")] = 3,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object to stdout and nothing else.")
    ] = False,
    video: Annotated[
        str | None, typer.Option("--video", help="Write the game as an mp4 (H.264, 30 fps); one game only.")
    ] = None,
    video_dir: Annotated[
        str | None, typer.Option("--video-dir", help="Write one mp4 per game into this directory.")
    ] = None,
    replay_dir: Annotated[
        str | None, typer.Option("--replay-dir", help="Save one .replay file per game into this directory.")
    ] = None,
    resolution: Annotated[
        str, typer.Option("--resolution", help="Video size: 480p, 720p or 1080p.")
    ] = "480p",
    hitboxes: Annotated[
        bool, typer.Option("--hitboxes", help="Draw hitboxes and hurtboxes in videos.")
    ] = False,
    league: Annotated[
        str | None, typer.Option("--league", help="League directory for league: agents.")
    ] = None,
) -> None:
    """Play seeded matches between two agents and print the results and a stats table."""
    from brawl_league.matches import play_series, render_series

    try:
        series = play_series(
            a,
            b,
            games=games,
            seed=seed,
            frames=frames,
            stocks=stocks,
            progress=not json_out,
            video=video,
            video_dir=video_dir,
            replay_dir=replay_dir,
            resolution=resolution,
            hitboxes=hitboxes,
            league_dir=league,
        )
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    if json_out:
        import json

        typer.echo(json.dumps(series))
    else:
        from rich.console import Console

        render_series(series, Console())


# ---------------------------------------------------------------------------------------------- league
league_app = typer.Typer(
    help="The league: players, ratings and match history of a league directory.",
    no_args_is_help=True,
    cls=_Group,
)
app.add_typer(league_app, name="league")


def _open_league(directory: str):
    """Open an existing league for the read-only commands (``read_only``: they work on a read-only
    folder, and change nothing), turning its errors into a clean exit."""
    from league.errors import LeagueError
    from league.store import League

    try:
        return League.open(directory, read_only=True)
    except (LeagueError, ValueError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


@league_app.command("status")
def league_status(
    league: Annotated[
        str | None, typer.Option("--league", help="League directory (holding league.db).")
    ] = None,
    old_directory: Annotated[
        str | None, typer.Argument(hidden=True, metavar="[DIR]", help="Older form of --league.")
    ] = None,
) -> None:
    """Every player with its kind, Elo, games, W/D/L and when it last played, strongest first; then each
    learner's curriculum: its candidate opponents with recent games, score and pfsp weight."""
    from rich.console import Console
    from rich.markup import escape

    from brawl_league.league_status import curriculum_tables

    if league is not None and old_directory is not None and league != old_directory:
        typer.echo(
            f"error: two leagues given ({old_directory} and --league {league}); give --league DIR", err=True
        )
        raise typer.Exit(2)
    directory = league or old_directory or "."
    with _open_league(directory) as lg:
        ratings = lg.ratings()
        cfg = lg.config
        curricula = curriculum_tables(lg, directory)
    table = _table(
        title=f"league {escape(directory)} (K {cfg.k:g}, {escape(cfg.anchor)} fixed at {cfg.anchor_rating:g})"
    )
    for col, justify in (
        ("player", "left"),
        ("kind", "left"),
        ("Elo", "right"),
        ("games", "right"),
        ("W/D/L", "right"),
        ("last played", "left"),
    ):
        table.add_column(col, justify=justify, **({"overflow": "fold"} if col in ("player", "kind") else {}))
    for r in ratings:
        p = r.player
        kind = p.kind if p.active else f"{p.kind} (retired)"
        if p.name == cfg.anchor:
            kind += " (anchor)"
        table.add_row(
            escape(p.name),
            kind,
            f"{r.rating:.0f}",
            str(r.games),
            f"{r.wins}/{r.draws}/{r.losses}",
            (r.last_played or "never")[:16].replace("T", " "),
        )
    Console().print(table)
    for curriculum in curricula:
        Console(width=min(Console().width, 80)).print(curriculum)


@league_app.command("history")
def league_history(
    player: Annotated[str, typer.Argument(help="Player name: a bot spec, a snapshot (run@5000), a learner.")],
    directory: Annotated[str, typer.Option("--league", help="League directory.")] = ".",
) -> None:
    """One player's matches in order, from its side (stocks left, damage and KOs dealt: mine-theirs), with its
    Elo after each; `league export --json` has every field, seeds and times included."""
    from rich.console import Console
    from rich.markup import escape

    from league.errors import LeagueError

    with _open_league(directory) as lg:
        try:
            player = lg.lookup(player).name  # as typed: smoke1 is learner:smoke1, basedbot is BasedBot
            rows = lg.history(player)
            rating = lg.rating(player)
        except LeagueError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(2) from None
    table = _table(
        title=f"{escape(player)}: Elo {rating.rating:.0f} after {rating.games} games "
        f"({rating.wins}/{rating.draws}/{rating.losses})"
    )
    for col in ("match", "source", "opponent", "result", "stocks", "damage", "KOs", "Elo", "change"):
        table.add_column(
            col,
            justify="left" if col in ("source", "opponent", "result") else "right",
            overflow="fold" if col == "opponent" else "ellipsis",
        )

    def pair(values, fmt="{}") -> str:
        return "" if values[0] is None else f"{fmt.format(values[0])}-{fmt.format(values[1])}"

    for h in rows:
        table.add_row(
            str(h["match"]),
            h["source"],
            escape(h["opponent"]),
            h["result"],
            pair(h["stocks"]),
            pair(h["damage"], "{:.0f}"),
            pair(h["kos"]),
            f"{h['rating_after']:.0f}",
            f"{h['rating_after'] - h['rating_before']:+.1f}",
        )
    Console().print(table)


@league_app.command("export")
def league_export(
    directory: Annotated[str, typer.Option("--league", help="League directory.")] = ".",
    json_out: Annotated[
        bool, typer.Option("--json", help="JSON: the rating scale, every rating and every match.")
    ] = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="CSV: one table (see --table).")] = False,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            help="Write to this file instead of stdout (its .json or .csv "
            "suffix picks the format when neither flag is given).",
        ),
    ] = None,
    table: Annotated[str, typer.Option("--table", help="What --csv writes: ratings or matches.")] = "ratings",
) -> None:
    """Export ratings (with games and W/D/L) and matches as JSON or CSV, on stdout or into --out FILE."""
    import io
    import sys
    from pathlib import Path

    if not json_out and not csv_out and out is not None:
        json_out, csv_out = Path(out).suffix.lower() == ".json", Path(out).suffix.lower() == ".csv"
    if json_out == csv_out:
        typer.echo(
            "error: give --json or --csv (one of them), and --out FILE to write a file instead of stdout",
            err=True,
        )
        raise typer.Exit(2)
    if table not in ("ratings", "matches"):
        typer.echo(f"error: --table is 'ratings' or 'matches'; got {table!r}", err=True)
        raise typer.Exit(2)
    import csv
    import json

    with _open_league(directory) as lg:
        ratings = [r.to_dict() for r in lg.ratings()]
        matches = lg.matches()
        scale = lg.config.rating_params()
    text = io.StringIO()
    if csv_out:
        rows = ratings if table == "ratings" else matches
        writer = csv.DictWriter(text, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        what = f"{len(rows)} {table} rows"
    else:
        json.dump(
            {"scale": scale, "ratings": ratings, "matches": matches}, text, indent=None if out is None else 1
        )
        text.write("\n")
        what = f"{len(ratings)} ratings and {len(matches)} matches"
    if out is None:
        sys.stdout.write(text.getvalue())
        return
    try:
        Path(out).write_text(text.getvalue(), encoding="utf-8", newline="")
    except OSError as err:  # an unwritable or missing folder: one line, not a traceback
        typer.echo(f"error: cannot write {err.filename}: {err.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {what} to {out}", err=True)


# ---------------------------------------------------------------------------------------------- seeing the game
@app.command("replay")
def replay_cmd(
    path: Annotated[str, typer.Argument(help="A .replay file (from match --replay-dir or play).")],
    video: Annotated[str | None, typer.Option("--video", help="Also render it to this mp4 file.")] = None,
    resolution: Annotated[
        str, typer.Option("--resolution", help="Video size: 480p, 720p or 1080p.")
    ] = "480p",
    hitboxes: Annotated[
        bool, typer.Option("--hitboxes", help="Draw hitboxes and hurtboxes in the video.")
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object to stdout and nothing else.")
    ] = False,
) -> None:
    """Re-simulate a recorded match and print its result (optionally render it to mp4).

    The match is played again from its seed and both players' keys; the command checks that it reached
    exactly the recorded final state and result, and exits with code 1 if not. Exit code 2: a usage error
    (missing file, bad option, a replay of another rules version); 3: the file is not a valid replay
    (damaged, a header field of the wrong type or range, sizes that do not fit).
    """
    import json

    from brawl_env import replay as rp

    try:
        rec = rp.load(path)
        if video is not None:
            from brawl_env.render import resolution_size, write_video

            resolution_size(resolution)
            sim = write_video(rec, video, resolution=resolution, hitboxes=hitboxes)
        else:
            sim = rp.simulate(rec)
    except rp.ReplayFormatError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(3) from None
    except (rp.ReplayError, ValueError, FileNotFoundError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    out = {
        "replay": path,
        "game_version": rec.game_version,
        "names": list(rec.names),
        "seed": rec.seed,
        "match_seed": rec.match_seed,
        "frames": sim.frames,
        "winner": sim.winner,
        "ended_by": sim.ended_by,
        "results": [sim.result_for(0), sim.result_for(1)],
        "stats": list(sim.stats),
        "final_hash": sim.final_hash,
        "matches_recording": sim.matches_recording,
        "video": video,
    }
    if json_out:
        typer.echo(json.dumps(out))
    else:
        from rich.console import Console
        from rich.markup import escape

        con = Console()
        n0, n1 = (escape(n) for n in rec.names)
        winner = "draw" if sim.winner is None else f"{escape(rec.names[sim.winner])} wins"
        if sim.ended_by in ("forfeit", "unfinished"):
            winner = f"{winner} ({sim.ended_by})" if sim.winner is not None else sim.ended_by
        con.print(
            f"[bold]{n0}[/bold] vs [bold]{n1}[/bold] ({escape(rec.game_version)}, seed {rec.seed}): "
            f"{winner} after {sim.frames} frames ({sim.frames / 30:.1f} s), ended by {sim.ended_by}"
        )
        for p, name in enumerate((n0, n1)):
            st = sim.stats[p]
            con.print(
                f"  {name}: stocks {st['stocks_left']:.0f}, damage dealt {st['damage_dealt']:.0f}, "
                f"taken {st['damage_taken']:.0f}, KOs {st['knockouts_dealt']:.0f}"
            )
        if sim.matches_recording is None:
            con.print("no recorded outcome to compare with")
        elif sim.matches_recording:
            con.print("[green]re-simulated exactly: same final state and result as recorded[/green]")
        else:
            con.print("[red]the re-simulation differs from the recording[/red]")
        if video is not None:
            con.print(f"video: {escape(video)}")
    if sim.matches_recording is False:
        raise typer.Exit(1)


@app.command("play")
def play_cmd(
    vs: Annotated[
        str,
        typer.Option(
            "--vs",
            help="Opponent: a bot spec (BasedBot, FILE.py:CLASS, MODULE:CLASS), a checkpoint file, or league:NAME (with --league).",
        ),
    ],
    resolution: Annotated[
        str, typer.Option("--resolution", help="Window size: 480p, 720p or 1080p.")
    ] = "480p",
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=2**64 - 1, help="Base seed; each restart adds one.")
    ] = 0,
    frames: Annotated[
        int, typer.Option("--frames", min=1, help="Frame limit per match (30 per second).")
    ] = MAX_FRAMES,
    stocks: Annotated[int, typer.Option("--stocks", min=1, max=99, help="Stocks per player.")] = 3,
    replay_dir: Annotated[
        str, typer.Option("--replay-dir", help="Where each game's replay is saved.")
    ] = "replays",
    hitboxes: Annotated[bool, typer.Option("--hitboxes", help="Draw hitboxes and hurtboxes.")] = False,
    league: Annotated[
        str | None, typer.Option("--league", help="League directory for league: opponents.")
    ] = None,
) -> None:
    """Play against a bot or a trained agent in a window (keyboard: W A S D, Space, H, L, J, K, G).

    W A S D move, Space jumps, H picks up or drops, L dashes or dodges, J light attack, K heavy attack,
    G taunts; P pauses, R restarts, Esc quits. Each game's replay is saved and its path printed.
    Without a screen, watch agents with `brawl-league match A B --video match.mp4` instead (SDL_VIDEODRIVER=dummy
    runs this window invisibly, for tests).
    """
    import os

    from league.agents import bot_class_for, make_agent, parse_agent

    try:
        spec = parse_agent(vs, league)
        opponent = bot_class_for(spec)() if spec.kind == "bot" else make_agent(spec)
        from brawl_env.render import PlaySession, Renderer, display_available, resolution_size

        resolution_size(resolution)
        invisible = os.environ.get("SDL_VIDEODRIVER", "") in ("dummy", "offscreen")  # asked for by name
        if not invisible and not display_available():
            raise RuntimeError(
                "no display to open a window on (DISPLAY/WAYLAND_DISPLAY unset); to watch a game "
                f"without a screen, record it: brawl-league match {vs} BasedBot --video match.mp4"
            )
        renderer = Renderer(
            resolution=resolution,
            mode="human",
            names=("You", spec.name),
            hitboxes=hitboxes,
            max_frames=frames,
            stocks=stocks,
            headless=invisible,
        )
    except (ValueError, RuntimeError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    session = PlaySession(
        opponent,
        renderer=renderer,
        seed=seed,
        max_frames=frames,
        stocks=stocks,
        replay_dir=replay_dir,
        on_saved=lambda p: typer.echo(f"replay saved: {p}"),
    )
    try:
        session.run()
    finally:
        renderer.close()


@app.command("screenshots")
def screenshots_cmd(
    out: Annotated[
        str,
        typer.Option(
            "--out", help="Directory for the PNG files (created; the docs' own are made with --out docs)."
        ),
    ] = "screenshots",
    seed: Annotated[
        int,
        typer.Option("--seed", min=0, max=2**64 - 1, help="Seed of the scripted match they are taken from."),
    ] = 7,
) -> None:
    """Write the documentation's screenshots (480p, 720p, hitbox overlay, knockout) as PNG files."""
    from brawl_env.render import make_screenshots

    for path in make_screenshots(out, seed=seed):
        typer.echo(str(path))


@app.command("tournament")
def tournament_cmd(
    agents: Annotated[
        list[str] | None,
        typer.Argument(
            help="Agents: bot specs (BasedBot, FILE.py:CLASS, MODULE:CLASS), checkpoint files (.zip, .pt), a shipped agent (Champion), league:latest / league:topN / league:spacedN / league:NAME, or a directory of submissions."
        ),
    ] = None,
    games: Annotated[
        int | None,
        typer.Option("--games", min=1, help="Matches per pair, sides swapped in half (default 10)."),
    ] = None,
    frames: Annotated[
        int | None,
        typer.Option("--frames", min=1, help=f"Frame limit per match, 30 per second (default {MAX_FRAMES})."),
    ] = None,
    stocks: Annotated[
        int | None, typer.Option("--stocks", min=1, max=99, help="Stocks per player (default 3).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes or Ray tasks at once (default: CPU cores, at most one per batch).",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            max=2**64 - 1,
            help="Tournament seed; every match's seed derives from it (default 0).",
        ),
    ] = None,
    backend: Annotated[
        str | None, typer.Option("--backend", help="local (worker processes) or ray (default local).")
    ] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="Ray cluster address (default: start a local Ray).")
    ] = None,
    league: Annotated[
        str | None,
        typer.Option(
            "--league",
            help="League to record matches in and to take league: snapshots from (default OUT/league_db).",
        ),
    ] = None,
    out: Annotated[
        str | None, typer.Option("--out", help="Output folder (default tournaments/<time>).")
    ] = None,
    videos: Annotated[
        str | None,
        typer.Option("--videos", help="none, best (the closest match of the top two) or all (default none)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Play only the matches OUT's matches.jsonl lacks.")
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the table as one JSON object on stdout and nothing else.")
    ] = False,
    batch_size: Annotated[
        int | None,
        typer.Option("--batch-size", min=1, help="Matches stepped together per batch (default: automatic)."),
    ] = None,
    bootstrap: Annotated[
        int | None,
        typer.Option("--bootstrap", min=0, help="Bootstrap resamples for the 95 % intervals (default 1000)."),
    ] = None,
    deterministic: Annotated[
        bool,
        typer.Option(
            "--deterministic", help="Networks press keys with probability > 1/2 instead of sampling."
        ),
    ] = False,
) -> None:
    """Round-robin tournament: every pair plays K seeded matches; Bradley-Terry ratings, tables, plots, replays."""
    from tournament.cli import tournament_command

    options = dict(
        games=games,
        frames=frames,
        stocks=stocks,
        workers=workers,
        seed=seed,
        backend=backend,
        address=address,
        league=league,
        out=out,
        videos=videos,
        resume=resume,
        batch_size=batch_size,
        bootstrap=bootstrap,
        deterministic=deterministic or None,  # a flag: only given when set (a resume keeps the plan's)
    )  # the TournamentConfig keys; None: not given
    tournament_command(agents, options, json_out=json_out)


def backend_overrides(backend: str | None, address: str | None, shards: int | None) -> list[str]:
    """``--backend``, ``--address`` and ``--shards`` as the ``--set`` overrides they stand for (the config
    checks the values and names the allowed ones)."""
    import json

    out = []
    if backend is not None:
        out.append(f"run.backend={json.dumps(backend)}")
    if address is not None:
        out.append(f"run.address={json.dumps(address)}")
    if shards is not None:
        out.append(f"run.shards={int(shards)}")
    return out


@app.command("train")
def train_cmd(
    trainer: Annotated[
        str, typer.Option("--trainer", help="Trainer plugin (see --list).")
    ] = "transformer-lstm-ppo",
    list_trainers: Annotated[bool, typer.Option("--list", help="List the trainer plugins and exit.")] = False,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="standard | smoke | test50k | full10m | seed-guide (default standard: 15 min on a CPU).",
        ),
    ] = None,
    config: Annotated[str | None, typer.Option("--config", help="A TOML file over the preset.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a field: --set ppo.learning_rate=1e-4 (repeatable)."),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option("--device", help="auto | cuda | mps | cpu (auto says what it chose and why)."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", min=0, max=2**64 - 1, help="Seed of the learner, the envs and the opponent sampler."
        ),
    ] = None,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Continue a run directory from its last checkpoint.")
    ] = None,
    runs_dir: Annotated[str, typer.Option("--runs-dir", help="Where new run directories go.")] = "runs",
    name: Annotated[
        str | None, typer.Option("--name", help="Run directory name (default <preset>-s<seed>-<time>).")
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the run's summary as JSON at the end.")
    ] = False,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            help="local (matches in this process) or ray (matches in Ray actors; sets run.backend).",
        ),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            "--address", help="Ray cluster address for --backend ray (default: a local Ray instance)."
        ),
    ] = None,
    shards: Annotated[
        int | None,
        typer.Option("--shards", help="Ray actors the matches are split among (sets run.shards; default 2)."),
    ] = None,
) -> None:
    """Train an agent against league opponents; writes checkpoints, CSV logs and the league into a run directory."""
    import json

    from rich.console import Console

    from league.registry import available

    if list_trainers:
        for key, (target, about) in available().items():
            typer.echo(f"{key}\t{about}\t({target})")
        return
    from brawl_league.train_command import train

    from trainers.ray_backend import RayBackendError

    console = Console(stderr=json_out)
    overrides = list(set_ or []) + backend_overrides(backend, address, shards)
    try:
        summary = train(trainer, preset, config, overrides, device, seed, resume, runs_dir, name, console)
    except (ValueError, FileNotFoundError, FileExistsError, RayBackendError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    if json_out:
        typer.echo(json.dumps(summary, default=str))
    else:
        # a plugin's summary may leave any of these out (trainers.base.Trainer.train names them)
        state = "interrupted (checkpoint saved)" if summary.get("interrupted") else "done"
        line = f"{state}: {summary.get('steps', 0):,} steps; last checkpoint {summary.get('last_checkpoint') or '-'}"
        if summary.get("learner_elo") is not None:
            line += f"; learner Elo {summary['learner_elo']:.0f}"
        console.print(line)
        spent = summary.get("time")
        if (
            spent and spent.get("total") and summary.get("steps")
        ):  # where the wall time went (the live steps/s counts all of it)
            by_size = sorted(spent.items(), key=lambda kv: -kv[1])
            parts = ", ".join(
                f"{k.replace('_', ' ')} {v:.1f} s" for k, v in by_size if k != "total" and v >= 0.05
            )
            console.print(
                f"wall time {spent['total']:.1f} s: {parts}; "
                f"{summary['steps'] / spent['total']:,.0f} steps/s overall"
            )


@app.command("report")
def report_cmd(
    directory: Annotated[
        str, typer.Argument(help="A training run directory or a tournament output directory.")
    ],
    out: Annotated[
        str | None,
        typer.Option("--out", help="Where index.html and the plots go (default DIRECTORY/report)."),
    ] = None,
) -> None:
    """Write an HTML report (index.html and PNG plots) of a training run, finished or not, or of a tournament."""
    from brawl_league.report import ReportError, build_report

    try:
        index = build_report(directory, out)
    except ReportError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    typer.echo(str(index))
    from brawl_league.report.evidence import written_summary

    if (evidence := written_summary(index.parent)) is not None:
        typer.echo(evidence)


from brawl_league.exploit import exploit_command  # noqa: E402 (light: the command imports inside its body)

app.command("exploit")(exploit_command)


def main() -> None:
    """Console-script entry point (``brawl-league``)."""
    app()


if __name__ == "__main__":
    main()
