"""Rendering benchmark: frames per second of ``rgb_array`` rendering and of mp4 encoding, first-frame time.

    python benchmarks/bench_render.py [--json] [--quick] [--seconds S] [--repeats R]

Method (STYLE.md, "Benchmarks live apart from tests"):

- The frames drawn are 600 states of one scripted match (players fighting, weapons spawning and held,
  knockouts), recorded beforehand, so the engine's time is not counted and every frame differs.
- ``rgb_array_fps_<res>``: ``Renderer.render(state)`` returning a fresh ``(H, W, 3)`` uint8 array, warm
  (one pass first), for ``--seconds`` per measurement; the median over ``--repeats`` measurements.
- ``draw_fps_<res>``: drawing only, without the array copy (what a window or a video pays).
- ``first_frame_s``: in a fresh process with the numba cache warm, from ``import brawl_env.render``
  (pygame included) through ``Renderer()`` to the first returned frame; the median of 3 processes.
- ``video_encode_fps``: drawing and encoding 480p frames to H.264 through imageio-ffmpeg (the path of
  ``brawl-league match --video``), frames / wall time including ffmpeg's start and finish.

Goals: >= 300 frames/s at 720 x 480 and a first frame in under 0.5 s.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

GOALS = {"rgb_array_fps_480p": (">=", 300.0), "first_frame_s": ("<=", 0.5)}
RESOLUTIONS = ("480p", "720p", "1080p")
N_STATES = 600

_FIRST_FRAME = """
import time
import numpy as np
from brawl_env.config import make_config
from brawl_env.engine.core import Engine
e = Engine(1, make_config())
e.reset(np.array([5], np.uint64))
e.step(False)
t0 = time.perf_counter()
from brawl_env.render import Renderer
frame = Renderer(resolution="480p").render(e.state)
assert frame.shape == (480, 720, 3)
print(repr(time.perf_counter() - t0))
"""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    import imageio_ffmpeg
    import pygame

    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "pygame": pygame.version.ver,
        "sdl": ".".join(map(str, pygame.get_sdl_version())),
        "ffmpeg": imageio_ffmpeg.get_ffmpeg_version(),
        "numpy": np.__version__,
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


def record_states(n: int = N_STATES) -> list:
    """``n`` consecutive states of a scripted fight (copies)."""
    from brawl_env.config import make_config
    from brawl_env.engine.core import Engine
    from brawl_env.engine.rng import match_seed
    from brawl_env.engine.state import State
    from brawl_env.render.screenshots import _scripted_keys

    engine = Engine(1, make_config(max_frames=100_000))
    engine.reset(np.array([match_seed(5, 0)], np.uint64))
    rng = np.random.default_rng(5)
    states = []
    for _ in range(n):
        for p in range(2):
            engine.keys[0, p] = _scripted_keys(engine.state, p, rng)
        engine.step(auto_reset=False)
        states.append(State(*(a.copy() for a in engine.state)))
    return states


def _rate(fn, states: list, seconds: float) -> float:
    """Frames per second of ``fn(state)`` cycled over ``states`` for about ``seconds``."""
    frames, t0 = 0, time.perf_counter()
    while True:
        for s in states[frames % len(states) :][:50]:
            fn(s)
        frames += 50
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return frames / elapsed


def bench_frames(states: list, seconds: float, repeats: int) -> dict:
    from brawl_env.render import Renderer

    out = {}
    for res in RESOLUTIONS:
        r = Renderer(resolution=res)
        for s in states:  # warm: fonts, cached text, scratch surfaces
            r.render(s)
        out[f"rgb_array_fps_{res}"] = statistics.median(
            _rate(r.render, states, seconds) for _ in range(repeats)
        )
        out[f"draw_fps_{res}"] = statistics.median(_rate(r.draw, states, seconds) for _ in range(repeats))
        r.close()
    return out


def bench_first_frame(runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-c", _FIRST_FRAME], capture_output=True, text=True, timeout=900, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        times.append(float(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def bench_video(states: list, repeats: int) -> float:
    from brawl_env.render import Renderer, VideoWriter

    r = Renderer(resolution="480p")
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            t0 = time.perf_counter()
            with VideoWriter(Path(tmp) / "bench.mp4", r.size) as video:
                for s in states:
                    r.draw(s)
                    video.write(r.raw())
            rates.append(len(states) / (time.perf_counter() - t0))
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object and nothing else")
    ap.add_argument("--quick", action="store_true", help="0.25 s per measurement, one repeat")
    ap.add_argument("--seconds", type=float, default=2.0, help="wall time per measurement")
    ap.add_argument("--repeats", type=int, default=5, help="measurements per figure (the median is reported)")
    args = ap.parse_args(argv)
    seconds, repeats = (0.25, 1) if args.quick else (args.seconds, args.repeats)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    say("recording states")
    states = record_states(N_STATES if not args.quick else 200)
    say("rgb_array frames")
    figures = bench_frames(states, seconds, repeats)
    say("first frame (fresh processes)")
    figures["first_frame_s"] = bench_first_frame(1 if args.quick else 3)
    say("video encoding")
    figures["video_encode_fps"] = bench_video(states, 1 if args.quick else min(repeats, 3))
    goals = {
        k: {"target": f"{op} {v:g}", "met": (figures[k] >= v if op == ">=" else figures[k] <= v)}
        for k, (op, v) in GOALS.items()
    }
    result = {
        "command": "python benchmarks/bench_render.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "figures": figures,
        "goals": goals,
        "machine": machine_info(),
        "settings": {"seconds": seconds, "repeats": repeats, "states": len(states)},
    }
    if args.json:
        print(json.dumps(result))
    else:
        width = max(map(len, figures))
        for k, v in figures.items():
            goal = goals.get(k)
            tail = f"   goal {goal['target']}: {'met' if goal['met'] else 'NOT met'}" if goal else ""
            print(f"{k:<{width}}  {v:>10.3f}{tail}")
        m = result["machine"]
        print(
            f"machine: {m['cpu']}, {m['cores']} cores; python {m['python']}, pygame {m['pygame']} "
            f"(SDL {m['sdl']}), ffmpeg {m['ffmpeg']}; {m['date']}"
        )
    return result


if __name__ == "__main__":
    main()
