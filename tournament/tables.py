"""Rating tables for people and machines: a rich table on the console, and the files a tournament leaves.

``write_outputs`` writes, into one directory, each file atomically (temp file in the same directory, then
``os.replace``), so a reader (the HTML report, a user's script, a crash half-way) sees either the old file
or the new one, never half of one:

- ``tournament.json``: ``RatingTable.to_dict()`` plus ``"meta"``, the contract the HTML report reads;
- ``ratings.csv``: one row per player, the row keys as columns;
- ``ratings.md``: the table, the head-to-head matrix and the warnings, in Markdown;
- ``head_to_head.csv``: the head-to-head score matrix (row's points fraction against column; empty where
  they never met and on the diagonal);
- ``heatmap.png``: that matrix as a heat map, players in rating order;
- ``ratings.png``: ratings with their 95 % intervals and the anchor line.

matplotlib is imported inside the plotting functions and draws through ``FigureCanvasAgg`` directly, so
nothing here touches the global backend (safe in a worker process, a notebook or a headless server).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from brawl_env.files import atomic_write
from tournament.ratings import RatingTable

ROW_KEYS = (
    "rank",
    "name",
    "rating",
    "ci_low",
    "ci_high",
    "games",
    "wins",
    "draws",
    "losses",
    "score",
    "los_next",
    "forfeits",
)
"""Columns of ratings.csv, in order: the keys of a ``RatingTable`` row."""


# --------------------------------------------------------------------------------------------- format


def _fmt_rating(x: float | None) -> str:
    return "" if x is None else f"{x:.1f}"


def _fmt_interval(row: Mapping[str, Any]) -> str:
    """``-23/+25``: the 95 % interval as distances below and above the rating."""
    low, high, rating = row["ci_low"], row["ci_high"], row["rating"]
    if low is None or high is None:
        return ""
    return f"-{max(rating - low, 0.0):.0f}/+{max(high - rating, 0.0):.0f}"


def _fmt_fraction(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{100.0 * x:.{digits}f}%"


def _fmt_los(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def _wdl(row: Mapping[str, Any]) -> str:
    return f"{row['wins']}/{row['draws']}/{row['losses']}"


def _anchor_text(table: RatingTable) -> str:
    anchor = table.anchor
    if anchor.get("name") is not None:
        return f"anchored: {anchor['name']} = {anchor['rating']:g}"
    return f"anchored: mean rating = {anchor.get('mean', 0.0):g}"


def _interval_text(table: RatingTable) -> str:
    if table.bootstrap:
        return f"95 % intervals and LOS from {table.bootstrap} bootstrap resamples"
    return "95 % intervals and LOS from the normal approximation"


# ---------------------------------------------------------------------------------------------- print


def print_table(table: RatingTable, console: Any = None, title: str | None = None) -> None:
    """Print the ratings as a rich table, then the warnings in yellow (names are never read as markup)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    caption = f"{_anchor_text(table)}; {_interval_text(table)}; LOS: chance to be stronger than the next row"
    out = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    out.add_column("#", justify="right", no_wrap=True)
    longest = max((len(row["name"]) for row in table.rows), default=6)
    out.add_column("player", overflow="fold", min_width=min(max(longest, 6), 12))
    out.add_column("rating", justify="right", no_wrap=True)
    out.add_column("95 % CI", justify="right", no_wrap=True)
    out.add_column("games", justify="right", no_wrap=True)
    out.add_column("W/D/L", justify="right", no_wrap=True)
    out.add_column("score", justify="right", no_wrap=True)
    out.add_column("LOS", justify="right", no_wrap=True)
    out.add_column("forf.", justify="right", no_wrap=True)
    for row in table.rows:
        out.add_row(
            str(row["rank"]),
            Text(row["name"]),
            _fmt_rating(row["rating"]),
            _fmt_interval(row),
            str(row["games"]),
            _wdl(row),
            _fmt_fraction(row["score"]),
            _fmt_los(row["los_next"]),
            str(row["forfeits"]) if row["forfeits"] else "",
        )
    console.print(out)
    for warning in table.warnings:
        console.print(Text("warning: " + warning, style="yellow"))


def print_head_to_head(table: RatingTable, console: Any = None) -> bool:
    """Print the head-to-head matrix (row player's score % against each column player, columns by rank)
    when it fits the console's width; False (and nothing printed) when it does not, or for one player."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    h2h = table.head_to_head
    players = h2h["players"]
    if len(players) < 2:
        return False
    out = Table(
        title="head to head: row's score %",
        caption="columns: players by rank",
        caption_justify="left",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    out.add_column("#", justify="right", no_wrap=True)
    out.add_column("player", no_wrap=True, max_width=16, overflow="ellipsis")
    for k in range(len(players)):
        out.add_column(str(k + 1), justify="right", no_wrap=True)
    for a, name in enumerate(players):
        cells = []
        for b in range(len(players)):
            score = h2h["score"][a][b]
            cells.append("-" if a == b else "" if score is None else f"{100 * score:.0f}")
        out.add_row(str(a + 1), Text(name), *cells)
    if console.measure(out, options=console.options.update_width(10_000)).maximum > console.width:
        return False  # measured unconstrained: rich would squeeze the columns into "…" otherwise
    console.print(out)
    return True


# ---------------------------------------------------------------------------------------------- files


def _csv_text(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _csv_value(x: Any, digits: int) -> Any:
    if x is None:
        return ""
    if isinstance(x, float):
        return round(x, digits)
    return x


def ratings_csv(table: RatingTable) -> bytes:
    """ratings.csv: a header of ``ROW_KEYS`` and one row per player (ratings to 0.1, fractions to 1e-4)."""
    digits = {"rating": 1, "ci_low": 1, "ci_high": 1}
    rows: list[list[Any]] = [list(ROW_KEYS)]
    for row in table.rows:
        rows.append([_csv_value(row[key], digits.get(key, 4)) for key in ROW_KEYS])
    return _csv_text(rows)


def head_to_head_csv(table: RatingTable) -> bytes:
    """head_to_head.csv: the score matrix, row's view; empty on the diagonal and where they never met."""
    players = table.head_to_head["players"]
    rows: list[list[Any]] = [["player", *players]]
    for name, scores in zip(players, table.head_to_head["score"]):
        rows.append([name, *(_csv_value(s, 4) for s in scores)])
    return _csv_text(rows)


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def ratings_markdown(table: RatingTable, title: str | None = None) -> str:
    """ratings.md: the rating table, the head-to-head matrix (score %, games) and the warnings."""
    lines = [f"# {_md_cell(title or 'Tournament ratings')}", ""]
    lines += [f"{_anchor_text(table)}; {_interval_text(table)}.", ""]
    header = ["#", "player", "rating", "95 % CI", "games", "W/D/L", "score", "LOS next", "forfeits"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---:", ":---", *(["---:"] * (len(header) - 2))]) + "|")
    for row in table.rows:
        cells = [
            str(row["rank"]),
            _md_cell(row["name"]),
            _fmt_rating(row["rating"]),
            _fmt_interval(row),
            str(row["games"]),
            _wdl(row),
            _fmt_fraction(row["score"]),
            _fmt_los(row["los_next"]),
            str(row["forfeits"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    players = table.head_to_head["players"]
    if players:
        lines += ["", "## Head to head", ""]
        lines += [
            "Row player's score against the column player (games in brackets, and how many of them "
            "were distinct where games repeated).",
            "",
        ]
        lines.append("| | " + " | ".join(_md_cell(p) for p in players) + " |")
        lines.append("|:---|" + "|".join(["---:"] * len(players)) + "|")
        h2h = table.head_to_head
        for a, name in enumerate(players):
            cells = []
            for b in range(len(players)):
                score = h2h["score"][a][b]
                if a == b:
                    cells.append("—")
                elif score is None:
                    cells.append("")
                else:
                    games, distinct = h2h["games"][a][b], h2h["distinct"][a][b]
                    same = f", {distinct} distinct" if distinct < games else ""
                    cells.append(f"{_fmt_fraction(score, 0)} ({games}{same})")
            lines.append(f"| {_md_cell(name)} | " + " | ".join(cells) + " |")
    if table.warnings:
        lines += ["", "## Warnings", ""]
        lines += [f"- {_md_cell(w)}" for w in table.warnings]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- plots


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _png_bytes(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def heatmap_png(table: RatingTable, title: str | None = None) -> bytes:
    """The head-to-head score matrix as a heat map (red: row lost, green: row won), annotated cells."""
    import numpy as np

    players = table.head_to_head["players"]
    n = len(players)
    size = max(4.0, 1.0 + 0.75 * n)
    fig = _figure(size + 1.5, size)
    ax = fig.add_subplot()
    if n == 0:
        ax.text(0.5, 0.5, "no games", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _png_bytes(fig)
    score = np.array(
        [[math.nan if s is None else s for s in row] for row in table.head_to_head["score"]], dtype=float
    )
    cmap = _colormap("RdYlGn")
    image = ax.imshow(np.ma.masked_invalid(score), cmap=cmap, vmin=0.0, vmax=1.0)
    ax.set_xticks(range(n), labels=players, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n), labels=players)
    ax.set_xlabel("opponent")
    ax.set_ylabel("player (rating order)")
    games = table.head_to_head["games"]
    for a in range(n):
        for b in range(n):
            if a == b:
                text = "—"
            elif math.isnan(score[a, b]):
                text = "never met"
            else:
                text = f"{100 * score[a, b]:.0f}%\n({games[a][b]})"
            dark = not math.isnan(score[a, b]) and abs(score[a, b] - 0.5) > 0.35
            color = "white" if dark else "black"
            ax.text(b, a, text, ha="center", va="center", fontsize=8 if n <= 10 else 6, color=color)
    fig.colorbar(image, ax=ax, label="score of row against column")
    ax.set_title(title or "Head to head")
    fig.tight_layout()
    return _png_bytes(fig)


def _colormap(name: str):
    import matplotlib

    return matplotlib.colormaps[name].with_extremes(bad="#dddddd")


def ratings_png(table: RatingTable, title: str | None = None) -> bytes:
    """Ratings with their 95 % intervals, best at the top, and a line at the anchor rating."""
    rows = table.rows
    n = len(rows)
    fig = _figure(7.0, max(2.5, 1.2 + 0.45 * n))
    ax = fig.add_subplot()
    if n == 0:
        ax.text(0.5, 0.5, "no games", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _png_bytes(fig)
    y = list(range(n))[::-1]
    ratings = [r["rating"] for r in rows]
    below = [max(r["rating"] - r["ci_low"], 0.0) if r["ci_low"] is not None else 0.0 for r in rows]
    above = [max(r["ci_high"] - r["rating"], 0.0) if r["ci_high"] is not None else 0.0 for r in rows]
    ax.errorbar(ratings, y, xerr=[below, above], fmt="o", capsize=4, label="rating, 95 % CI")
    anchor = table.anchor
    level = anchor.get("rating", anchor.get("mean"))
    if level is not None:
        label = f"{anchor['name']} (anchor)" if anchor.get("name") else "mean (anchor)"
        ax.axvline(level, color="tab:gray", linestyle="--", linewidth=1, label=label)
    ax.set_yticks(y, labels=[r["name"] for r in rows])
    ax.set_xlabel("Elo (Bradley-Terry)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title or "Ratings")
    fig.tight_layout()
    return _png_bytes(fig)


def write_outputs(table: RatingTable, out_dir: Path, meta: Mapping | None = None) -> list[Path]:
    """Write every output file into ``out_dir`` (created if missing), each atomically; returns the paths.

    ``meta`` (tournament name, schedule, seeds, timings...) goes into tournament.json under ``"meta"``
    and must be JSON-serialisable; its ``"name"``, if any, titles the Markdown and the plots.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = dict(meta or {})
    title = meta.get("name") if isinstance(meta.get("name"), str) else None
    document = table.to_dict()
    document["meta"] = meta
    try:
        text = json.dumps(document, indent=2, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"tournament.json: meta or table is not plain JSON ({err})") from err
    outputs = {
        "tournament.json": (text + "\n").encode("utf-8"),
        "ratings.csv": ratings_csv(table),
        "ratings.md": ratings_markdown(table, title).encode("utf-8"),
        "head_to_head.csv": head_to_head_csv(table),
        "heatmap.png": heatmap_png(table, title and f"{title}: head to head"),
        "ratings.png": ratings_png(table, title and f"{title}: ratings"),
    }
    paths = []
    for name, data in outputs.items():
        path = out_dir / name
        atomic_write(path, data)
        paths.append(path)
    return paths
