"""The report page of a tournament output directory (``tournament.json``, format 1).

The JSON holds ``ratings`` (rows sorted by rating: rank, name, rating, ci_low, ci_high, games, wins,
draws, losses, score, los_next, forfeits), ``anchor`` ({name, rating}), ``head_to_head`` ({players,
score, games, points}: row against column, ``score`` a fraction of the points or null), ``warnings``,
``bootstrap`` and free-form ``meta``. The tournament's own ``heatmap.png`` and ``ratings.png`` are
copied when present and valid PNGs; otherwise the report draws them from the JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .common import ReportError, atomic_write, generated_at, png_size
from .html import Cell, Raw, bullet_list, esc, figure, num, page, table
from .plots import plot_head_to_head, plot_ratings, render

FORMAT = 1


def load_tournament(directory: Path) -> dict[str, Any]:
    path = directory / "tournament.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ReportError(f"{path} is not readable JSON: {err}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object with 'format', 'ratings' and 'head_to_head'")
    if data.get("format") != FORMAT:
        raise ReportError(
            f"{path}: format {data.get('format')!r} is not supported (this report reads format {FORMAT})"
        )
    if not isinstance(data.get("ratings"), list) or not all(isinstance(r, dict) for r in data["ratings"]):
        raise ReportError(f"{path}: 'ratings' must be a list of objects")
    h2h = data.get("head_to_head")
    if h2h is not None and not (isinstance(h2h, dict) and isinstance(h2h.get("players", []), list)):
        raise ReportError(
            f"{path}: 'head_to_head' must be an object with 'players', 'score', 'games' and 'points'"
        )
    return data


def _image(directory: Path, out_dir: Path, name: str, draw) -> tuple[bytes, str]:
    """The tournament's own PNG if it is a valid one, else one drawn from the JSON."""
    own = directory / name
    if own.is_file():
        data = own.read_bytes()
        if png_size(data):
            return data, "from the tournament"
    try:
        drawn = draw()
    except Exception as err:  # a plot that fails must not take the page with it
        drawn = f"could not draw this plot: {type(err).__name__}: {err}"
    return render(drawn, name), "drawn by the report"


def _score_colour(v: float) -> str:
    """Red (0) through white (0.5) to green (1) for a head-to-head cell."""
    v = min(max(v, 0.0), 1.0)
    if v >= 0.5:
        t = (v - 0.5) * 2
        r, g, b = int(255 - t * (255 - 120)), int(255 - t * (255 - 200)), int(255 - t * (255 - 120))
    else:
        t = (0.5 - v) * 2
        r, g, b = int(255 - t * (255 - 235)), int(255 - t * (255 - 120)), int(255 - t * (255 - 120))
    return f"background: rgb({r}, {g}, {b})"


def _matrix(h2h: dict[str, Any]) -> str:
    players = [str(p) for p in h2h.get("players", [])]
    if not players:
        return "<p>No head-to-head data.</p>"
    score, games, points = (h2h.get(k) or [] for k in ("score", "games", "points"))

    def at(grid, i, j):
        try:
            return grid[i][j]
        except (IndexError, TypeError):
            return None

    rows = []
    for i, name in enumerate(players):
        cells: list[Any] = [Cell(Raw(f"<strong>{esc(name)}</strong>"))]
        for j, other in enumerate(players):
            s = at(score, i, j)
            g, p = at(games, i, j), at(points, i, j)
            if i == j or not isinstance(s, int | float) or isinstance(s, bool):
                cells.append(Cell("–", css="self" if i == j else None))
                continue
            title = f"{name} vs {other}: {num(p)} points in {g} games"
            cells.append(Cell(f"{s:.2f}", style=_score_colour(float(s)), title=title))
        rows.append(cells)
    return table(["row vs column"] + players, rows, table_id="head-to-head", css="h2h")


def _evidence_section(data: dict[str, Any], out_dir: Path) -> str:
    """Snapshot rating against step and its Spearman correlation, when the tournament has snapshots
    (``evidence.py``); writes ``snapshot_steps.png`` and ``snapshot_evidence.json`` (or removes a stale
    one)."""
    from .evidence import EVIDENCE_FILE, plot_rating_by_step, snapshot_evidence

    evidence = snapshot_evidence(data)
    if evidence is None:
        (out_dir / EVIDENCE_FILE).unlink(missing_ok=True)
        return ""
    try:
        drawn = plot_rating_by_step(evidence)
    except Exception as err:  # a plot that fails must not take the page with it
        drawn = f"could not draw this plot: {type(err).__name__}: {err}"
    png = render(drawn, "snapshot_steps.png")
    atomic_write(out_dir / "snapshot_steps.png", png)
    atomic_write(out_dir / EVIDENCE_FILE, (json.dumps(evidence, indent=1) + "\n").encode("utf-8"))
    rho = evidence["spearman"]
    rows = [[p["name"], p["step"], Raw(num(p["rating"]))] for p in evidence["points"]]
    return (
        '<section id="snapshot-steps-section"><h2>Snapshot rating against step</h2>'
        f"<p>{len(evidence['points'])} snapshots of training; Spearman rank correlation of step and "
        f'rating: <strong id="spearman">{"n/a" if rho is None else f"{rho:.3f}"}</strong> '
        "(1: every later snapshot rated higher).</p>"
        + table(["snapshot", "step", "rating"], rows, table_id="snapshot-steps", numeric=[False, True, True])
        + figure(
            "snapshot_steps.png",
            "Snapshot rating against training step",
            "Snapshot rating against training step; dotted lines: the other agents.",
            "plot-snapshot-steps",
            png_size(png),
        )
        + "</section>"
    )


def tournament_page(directory: Path, out_dir: Path) -> str:
    data = load_tournament(directory)
    ratings = data["ratings"]
    anchor = data.get("anchor") if isinstance(data.get("anchor"), dict) else None
    h2h = data.get("head_to_head") or {}
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    warnings = [str(w) for w in data.get("warnings") or []]

    parts = [
        f"<h1>Tournament {esc(directory.name)}</h1>",
        f'<p class="sub">{len(ratings)} players. Generated {esc(generated_at())} from '
        f"<code>{esc(directory)}</code>.</p>",
    ]
    if warnings:
        parts.append(f'<section id="warnings"><h2>Warnings</h2>{bullet_list(warnings, "warnings")}</section>')

    rows = []
    for r in ratings:
        lo, hi = r.get("ci_low"), r.get("ci_high")
        ci = f"{num(lo, 0)} – {num(hi, 0)}" if lo is not None and hi is not None else "–"
        los = r.get("los_next")
        rows.append(
            [
                r.get("rank", ""),
                r.get("name", ""),
                Raw(num(r.get("rating"))),
                Raw(ci),
                r.get("games", ""),
                r.get("wins", ""),
                r.get("draws", ""),
                r.get("losses", ""),
                Raw(num(r.get("score"), percent=True)),
                Raw(num(los, percent=True) if isinstance(los, int | float) else "–"),
                r.get("forfeits", ""),
            ]
        )
    about = []
    if anchor:
        about.append(f"Anchored at {esc(anchor.get('name'))} = {num(anchor.get('rating'), 0)}.")
    if data.get("bootstrap"):
        about.append(f"95 % intervals from {num(data['bootstrap'])} bootstrap resamples.")
    about.append("LOS: likelihood that the player is stronger than the one ranked below it.")
    parts.append(
        '<section id="ratings-section"><h2>Ratings</h2>'
        + f"<p>{' '.join(about)}</p>"
        + table(
            [
                "#",
                "player",
                "rating",
                "95 % interval",
                "games",
                "wins",
                "draws",
                "losses",
                "score",
                "LOS next",
                "forfeits",
            ],
            rows,
            table_id="ratings",
            numeric=[True, False, True, True, True, True, True, True, True, True, True],
        )
        + "</section>"
    )

    players = [str(p) for p in h2h.get("players", [])]
    heat, heat_src = _image(
        directory, out_dir, "heatmap.png", lambda: plot_head_to_head(players, h2h.get("score") or [])
    )
    atomic_write(out_dir / "heatmap.png", heat)
    rating_png, rating_src = _image(directory, out_dir, "ratings.png", lambda: plot_ratings(ratings, anchor))
    atomic_write(out_dir / "ratings.png", rating_png)

    parts.append(
        '<section id="head-to-head-section"><h2>Head to head</h2>'
        "<p>Each cell: the row player's share of the points against the column player "
        "(win 1, draw ½); hover for points and games.</p>"
        + _matrix(h2h)
        + figure(
            "heatmap.png",
            "Head-to-head heatmap",
            f"Head-to-head heatmap ({heat_src}).",
            "plot-heatmap",
            png_size(heat),
        )
        + "</section>"
    )
    parts.append(
        '<section id="rating-plot-section"><h2>Rating plot</h2>'
        + figure(
            "ratings.png",
            "Tournament ratings with 95 % intervals",
            f"Ratings with 95 % intervals ({rating_src}).",
            "plot-ratings",
            png_size(rating_png),
        )
        + "</section>"
    )
    parts.append(_evidence_section(data, out_dir))
    if meta:
        items = "".join(
            f"<dt>{esc(k)}</dt><dd>{esc(v if isinstance(v, str) else json.dumps(v))}</dd>"
            for k, v in meta.items()
        )
        parts.append(f'<section id="meta"><h2>Settings</h2><dl class="meta">{items}</dl></section>')
    return page(f"brawl-league report: tournament {directory.name}", "\n".join(parts))
