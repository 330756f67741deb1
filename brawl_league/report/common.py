"""What the report's modules share: its error, atomic file writes, PNG sizes and the page's time stamp.

Kept apart from the package's ``__init__`` (which builds a page from the page modules) so that the page
modules and the package do not import each other.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime

from brawl_env.files import atomic_write  # noqa: F401 - the report's modules write through it

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class ReportError(ValueError):
    """The directory cannot be reported on (missing, neither a run nor a tournament, bad tournament.json)."""


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of PNG bytes, or None if they are not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return (width, height) if width and height else None


def generated_at() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
