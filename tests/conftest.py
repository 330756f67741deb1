"""Fixtures shared by every test folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

_MEASURE = r'''
import json, re, resource, sys, traceback
exec(compile(sys.argv[1], "<setup>", "exec"))
def _kib(field):
    return int(re.search(field + r":\s+(\d+)", open("/proc/self/status").read()).group(1))
# a regression must fail fast, not swap the machine: at most 1 GiB more address space from here on
grow = (_kib("VmSize") + (1 << 20)) * 1024
resource.setrlimit(resource.RLIMIT_AS, (grow, grow))
base = _kib("VmRSS")
open("/proc/self/clear_refs", "w").write("5")  # restart the peak (VmHWM) from the current size
error = None
try:
    exec(compile(sys.argv[2], "<measured>", "exec"))
except BaseException as err:  # noqa: BLE001 - reported to the test
    error = {"type": type(err).__name__, "message": str(err), "traceback": traceback.format_exc()[-2000:]}
print(json.dumps({"peak_mb": (_kib("VmHWM") - base) / 1024, "error": error}))
'''


@pytest.fixture
def measure_peak():
    """``measure_peak(setup, code)`` runs ``setup`` then ``code`` in a fresh Python process and returns
    ``{"peak_mb": ..., "error": {"type", "message", "traceback"} or None}``: the most resident memory the
    process held while running ``code``, above what it held before (the peak restarts through
    ``/proc/self/clear_refs``, so imports in ``setup`` do not count). Linux only."""
    if not os.path.exists("/proc/self/clear_refs"):
        pytest.skip("measuring a process's peak memory needs Linux's /proc/self/clear_refs")

    def run(setup: str, code: str, timeout: float = 300) -> dict:
        proc = subprocess.run([sys.executable, "-c", _MEASURE, textwrap.dedent(setup), textwrap.dedent(code)],
                              capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    return run
