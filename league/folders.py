"""Folders the league's users write into: a run's or a tournament's league folder, and writability checks.

**The league folder's name.** A training run and a tournament keep their league in ``league_db/``. It used
to be ``league/``, which shadowed the ``league`` package whenever Python ran from inside such a folder
(with an editable install the current folder's namespace package wins), so ``import league`` there found
the data. :func:`league_dir` still finds an older folder's ``league/`` (holding ``league.db``), so runs and
tournaments made before keep working, read and resumed where they are.

**Writability.** Commands check a folder before they create anything in it, so an unwritable ``--out`` or
runs folder is one line naming it, not a traceback after half a folder was made.
"""

from __future__ import annotations

import os
from pathlib import Path

LEAGUE_DIR = "league_db"
"""Name of the league folder inside a run or tournament folder."""
OLD_LEAGUE_DIR = "league"
"""Its name before: still read (see the module docstring)."""


def league_dir(folder: str | os.PathLike) -> Path:
    """The league folder of a run or tournament folder: ``league_db/``, or an existing older ``league/``."""
    folder = Path(folder)
    new, old = folder / LEAGUE_DIR, folder / OLD_LEAGUE_DIR
    if not new.exists() and (old / "league.db").is_file():
        return old
    return new


class NotWritableError(ValueError):
    """A folder a command must write into cannot be written (read-only, not a folder, no permission)."""


def check_writable(path: str | os.PathLike, what: str, files: tuple[str, ...] = ()) -> None:
    """Raise :class:`NotWritableError` (one line naming ``what`` and the folder) unless ``path`` can be
    created or written: the folder itself if it exists, else its nearest existing parent; and each of
    ``files`` inside it that exists (``league.db`` of a league folder)."""
    path = Path(path)
    mine = os.access in os.supports_effective_ids
    for name in files:
        if (path / name).exists() and not os.access(path / name, os.W_OK, effective_ids=mine):
            raise NotWritableError(
                f"{what}: cannot write {path / name}: it is read-only or not ours (permission denied)"
            )
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise NotWritableError(f"{what}: cannot create {path}: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK, effective_ids=mine):
        where = "it" if probe == path else f"its parent {probe}"
        raise NotWritableError(
            f"{what}: cannot write into {path}: {where} is read-only or not ours (permission denied)"
        )
