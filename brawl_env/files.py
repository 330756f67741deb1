"""One way to write a file whole: every output, report, replay, checkpoint and run file goes through it."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, fsync, and ``os.replace``:
    a reader (or a crash) never sees half a file. The temporary name is unique per process and call, so
    two writers never share one; it is removed if anything fails. The file is created as ``open`` creates
    files (mode 0666 less the umask, as every other output file), not with ``mkstemp``'s private 0600."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
