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
import struct
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["ReportError", "build_report", "detect_kind"]

INDEX = "index.html"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class ReportError(ValueError):
    """The directory cannot be reported on (missing, neither a run nor a tournament, bad tournament.json)."""


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
        f"(expected tournament.json)")


def build_report(directory: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write the report for ``directory`` into ``out`` (default ``directory/report``); return index.html."""
    directory = Path(directory)
    kind = detect_kind(directory)
    out_dir = Path(out) if out is not None else directory / "report"
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


def atomic_write(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder and rename: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of PNG bytes, or None if they are not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return (width, height) if width and height else None


def generated_at() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
