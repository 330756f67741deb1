"""Snapshot files: written atomically, identified by their sha256, verified before use.

A snapshot is written to a temporary file in the destination folder, flushed and fsynced, renamed to
its final name (an atomic step on POSIX and Windows), and the folder is fsynced so the rename itself
survives a crash. Only then does the league register it. A crash at any point therefore leaves either
no file, a stray ``.tmp-*`` file, or a complete file that is not registered: never a registered
snapshot without its complete file.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path

from .errors import SnapshotError

CHUNK = 1 << 20
TMP_PREFIX = ".tmp-"


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's contents, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def safe_stem(name: str) -> str:
    """A file-name-safe version of a player name (letters, digits, ``._-``)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "snapshot"
    return stem[:80]


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync on Windows; rename is durable there
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(
    src: bytes | bytearray | memoryview | str | os.PathLike, folder: Path, stem: str, suffix: str
) -> tuple[Path, str]:
    """Write ``src`` (bytes, or the path of a file to copy) into ``folder`` as ``<stem>-<unique><suffix>``.

    Returns the final path and the hex sha256 of what was written. The name carries a random part so two
    writers can never replace each other's file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{stem}-{uuid.uuid4().hex[:12]}{suffix}"
    tmp = folder / f"{TMP_PREFIX}{final.name}"
    digest = hashlib.sha256()
    try:
        with open(tmp, "xb") as out:
            if isinstance(src, (bytes, bytearray, memoryview)):
                data = memoryview(src)
                digest.update(data)
                out.write(data)
            else:
                source = Path(src)
                if not source.is_file():
                    raise SnapshotError(f"snapshot source {source} is not a file")
                with open(source, "rb") as fh:
                    while chunk := fh.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, final)
        _fsync_dir(folder)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final, digest.hexdigest()


def verify(path: Path, expected: str, *, label: str) -> None:
    """Raise :class:`SnapshotError` naming ``path`` if it is missing or its sha256 is not ``expected``."""
    if not path.is_file():
        raise SnapshotError(f"snapshot {label}: file {path} is missing")
    actual = sha256_file(path)
    if actual != expected:
        raise SnapshotError(
            f"snapshot {label}: file {path} fails its hash check "
            f"(expected sha256 {expected}, found {actual}); it was changed or damaged"
        )
