"""Fixtures shared by every test folder."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import textwrap
import zlib
from contextlib import contextmanager
from pathlib import Path

import pytest

# as the brawl-league command does (brawl_league/cli.py): OpenMP threads that sleep when idle instead of
# spinning, set before torch loads; on a busy machine spinning made torch up to 100x slower
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_MEASURE = r"""
import json, re, resource, sys, traceback
exec(compile(sys.argv[1], "<setup>", "exec"))
def _kib(field):
    return int(re.search(field + r":\s+(\d+)", open("/proc/self/status").read()).group(1))
# a regression must fail fast, not swap the machine: at most 1 GiB more address space from here on
grow = (_kib("VmSize") + (1 << 20)) * 1024
resource.setrlimit(resource.RLIMIT_AS, (grow, grow))
for code in sys.argv[2:]:
    base = _kib("VmRSS")
    open("/proc/self/clear_refs", "w").write("5")  # restart the peak (VmHWM) from the current size
    error = None
    try:
        exec(compile(code, "<measured>", "exec"))
    except BaseException as err:  # noqa: BLE001 - reported to the test
        error = {"type": type(err).__name__, "message": str(err), "traceback": traceback.format_exc()[-2000:]}
    print(json.dumps({"peak_mb": (_kib("VmHWM") - base) / 1024, "error": error}))
"""


@pytest.fixture
def measure_peak():
    """``measure_peak(setup, code, ...)`` runs ``setup`` then each ``code`` in one fresh Python process and
    returns, for one ``code``, ``{"peak_mb": ..., "error": {"type", "message", "traceback"} or None}`` (a
    list of them for several): the most resident memory the process held while running that code, above
    what it held before (the peak restarts through ``/proc/self/clear_refs``, so imports in ``setup`` do
    not count). Address space may grow by at most 1 GiB after ``setup``, so a regression fails fast with
    a MemoryError instead of swapping. Linux only."""
    if not os.path.exists("/proc/self/clear_refs"):
        pytest.skip("measuring a process's peak memory needs Linux's /proc/self/clear_refs")

    def run(setup: str, *codes: str, timeout: float = 300) -> dict | list[dict]:
        args = [sys.executable, "-c", _MEASURE, textwrap.dedent(setup), *(textwrap.dedent(c) for c in codes)]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, proc.stderr[-3000:]
        found = [json.loads(line) for line in proc.stdout.strip().splitlines()[-len(codes) :]]
        return found[0] if len(codes) == 1 else found

    return run


def _deflated(head: bytes, zeros: int) -> tuple[bytes, int]:
    """Raw deflate of ``head`` then ``zeros`` zero bytes, and its CRC-32. Zeros go in 16 MiB blocks
    compressed once: after a full flush the compressor keeps no history, so every block compresses to the
    same bytes and gigabytes take a second, not a minute."""
    chunk = bytes(1 << 24)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)]
    crc = zlib.crc32(head)
    whole, rest = divmod(zeros, len(chunk))
    if whole:
        block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
        out.append(block * whole)
        for _ in range(whole):
            crc = zlib.crc32(chunk, crc)
    out.append(comp.compress(chunk[:rest]) + comp.flush(zlib.Z_FINISH))
    return b"".join(out), zlib.crc32(chunk[:rest], crc)


@pytest.fixture
def zip_with_zeros():
    """``zip_with_zeros(path, {name: (head_bytes, zero_count)})`` writes a valid zip (deflated members,
    real CRCs) whose members inflate to their head followed by that many zero bytes: small hostile files
    (zip bombs) made in about a second."""

    def write(path: Path, members: dict[str, tuple[bytes, int]]) -> Path:
        out, central = io.BytesIO(), []
        for name, (head, zeros) in members.items():
            payload, crc = _deflated(head, zeros)
            size, raw, offset = len(head) + zeros, name.encode(), out.tell()
            assert size < 2**32, "no zip64 here"
            out.write(
                struct.pack(
                    "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(payload), size, len(raw), 0
                )
                + raw
                + payload
            )
            central.append(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    20,
                    20,
                    0,
                    8,
                    0,
                    0x21,
                    crc,
                    len(payload),
                    size,
                    len(raw),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + raw
            )
        directory, start = b"".join(central), out.tell()
        out.write(
            directory
            + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), start, 0)
        )
        Path(path).write_bytes(out.getvalue())
        return Path(path)

    return write


@pytest.fixture
def read_only():
    """``with read_only(folder, ...):`` makes the folders (and everything in them) read-only and runs the
    block as a user the permissions apply to: root writes anywhere, so a root test process drops to the
    ``nobody`` user for the block (effective ids only; modules the block needs must be imported before).
    The folders must lie where that user can reach them (see ``shared_tmp``)."""
    if not hasattr(os, "seteuid"):
        pytest.skip("needs POSIX permissions")

    @contextmanager
    def block(*folders: Path):
        for folder in folders:
            for path in [folder, *Path(folder).rglob("*")]:
                mode = path.stat().st_mode
                path.chmod(
                    mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
                    | stat.S_IROTH
                    | (stat.S_IXOTH if path.is_dir() else 0)
                )
        root = os.geteuid() == 0
        opened = []
        if root:
            # the code under test must stay reachable for that user: a checkout inside a private folder
            # (``mktemp -d`` makes 0700 ones) gets its ancestors opened for traversal during the block
            for parent in {*Path(__file__).resolve().parents, *Path(sys.prefix).resolve().parents}:
                mode = parent.stat().st_mode
                if not mode & stat.S_IXOTH:
                    parent.chmod(mode | stat.S_IXOTH)
                    opened.append((parent, mode))
            os.setegid(65534)
            os.seteuid(65534)
        try:
            yield
        finally:
            if root:
                os.seteuid(0)
                os.setegid(0)
                for parent, mode in opened:
                    parent.chmod(stat.S_IMODE(mode))
            for folder in folders:
                for path in [folder, *Path(folder).rglob("*")]:
                    path.chmod(path.stat().st_mode | stat.S_IWUSR)

    return block


@pytest.fixture
def shared_tmp():
    """A temporary folder that another user can reach and write in (pytest's tmp_path sits in a folder
    private to its user); removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="brawl-test-"))
    folder.chmod(0o777)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        try:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
        except OSError:
            pass
    shutil.rmtree(folder, ignore_errors=True)
