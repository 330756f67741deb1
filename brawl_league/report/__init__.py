"""``brawl-league report``: an HTML page with plots and tables for a training run or a tournament.

``build_report(directory, out=None)`` looks at what ``directory`` holds:

- a **training run** (``config.toml`` / ``monitor.csv`` / ``evaluation_results.csv``, as written by
  ``brawl-league train``): the training guide's success criteria against the latest numbers, a summary,
  six plots (learning curve, reward terms, win rate by opponent, evaluation win rate, Elo, damage ratio)
  and the league's ratings;
- a **tournament output** (``tournament.json``, format 1): the ratings table, the head-to-head matrix
  and heatmap, the rating plot, the meta data and the warnings.

It writes ``index.html`` and its PNGs into ``out`` (default ``directory/report``), each file atomically,
and returns the path of ``index.html``. The page is self-contained apart from its PNGs (inline CSS, no
scripts, nothing fetched), so it can be copied or attached as a folder. A run that is still being
written, or has only a few episodes, gives a page too: plots without data say so.
"""

from __future__ import annotations

import os
from pathlib import Path

from .common import ReportError, atomic_write, png_size

__all__ = ["ReportError", "build_report", "detect_kind", "png_size"]

INDEX = "index.html"


def detect_kind(directory: str | os.PathLike) -> str:
    """``"run"`` or ``"tournament"``; :class:`ReportError` naming what was expected otherwise."""
    from .data import RUN_FILES

    d = Path(directory)
    if not d.exists():
        raise ReportError(f"{d} does not exist")
    if not d.is_dir():
        raise ReportError(f"{d} is not a directory")
    if (d / "tournament.json").is_file():
        return "tournament"
    if any((d / name).is_file() for name in RUN_FILES):
        return "run"
    raise ReportError(
        f"{d} is neither a training run directory (expected config.toml, monitor.csv or "
        f"evaluation_results.csv, as `brawl-league train` writes) nor a tournament output directory "
        f"(expected tournament.json)"
    )


def build_report(directory: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write the report for ``directory`` into ``out`` (default ``directory/report``); return index.html."""
    from league.folders import NotWritableError, check_writable

    directory = Path(directory)
    kind = detect_kind(directory)
    out_dir = Path(out) if out is not None else directory / "report"
    try:
        check_writable(out_dir, "--out")  # a read-only run folder: one line, saying to give --out
    except NotWritableError as err:
        raise ReportError(f"{err}; give --out a folder you can write") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    if kind == "run":
        from .run_page import run_page

        body = run_page(directory, out_dir)
    else:
        from .tournament_page import tournament_page

        body = tournament_page(directory, out_dir)
    index = out_dir / INDEX
    atomic_write(index, body.encode("utf-8"))
    return index
