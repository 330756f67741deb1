"""What the report's modules share: its error, atomic file writes, PNG sizes and the page's time stamp.

Kept apart from the package's ``__init__`` (which builds a page from the page modules) so that the page
modules and the package do not import each other.
"""

from __future__ import annotations

import os
import struct
from datetime import UTC, datetime
from pathlib import Path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class ReportError(ValueError):
    """The directory cannot be reported on (missing, neither a run nor a tournament, bad tournament.json)."""


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
