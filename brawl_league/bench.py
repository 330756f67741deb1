"""The benchmark commands: how fast the game runs through each of its doors (``bench env``), and how
fast a trainer trains (``bench train``).

One implementation, two entry points: ``brawl-league bench env`` and ``python benchmarks/bench_env.py``.
Method (STYLE.md, "Benchmarks live apart from tests"): compile warm-up excluded from throughput figures,
random key presses generated beforehand, a fixed wall time per measurement, the median over several
repeats, and machine info recorded beside the numbers.

How thin the PettingZoo door is: ``engine_steps_per_s_n1`` is the raw engine step the door calls (one
match, keys copied in, nothing else), measured the same way and taking turns with the door, and
``door_engine_ratio`` is the door's rate over it (1.0 would be a door that costs nothing).

``brawl_env`` is imported inside the measuring functions only, so importing this module compiles nothing.

``bench train`` runs the real trainer (league, env, opponents, updates) in a temporary directory, drops the
first rollout and update (compilation and warm-up), then measures for a fixed wall time: env-steps per
second, the learner's share of the wall time (PPO updates, as opposed to collecting rollouts), and the
process's peak memory; with ``profile``, also where each millisecond of a vector step goes (:class:`Parts`).
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

AGENTS = ("player_0", "player_1")
N_KEYS = 10
BATCH_SIZES = (1, 64, 1024)

# Steps between clock reads in the throughput loops: a clock read per step would be a visible share of a
# ~30 us step, and checking every CHUNK steps overshoots a 2 s window by well under a millisecond.
CHUNK = 64

# Number of distinct random action frames cycled by the throughput loops.
PARALLEL_ACTION_FRAMES = 4096
BATCH_ACTION_FRAMES = 128

QUICK_SECONDS = 0.25
QUICK_REPEATS = 1

SUBPROCESS_TIMEOUT_S = 900

# Child-process snippets print one float (seconds) as their last stdout line. Timing happens inside the
# child, so interpreter start-up is not counted.
_IMPORT_SNIPPET = """
import time
t0 = time.perf_counter()
import brawl_env
print(repr(time.perf_counter() - t0))
"""

_FIRST_STEP_SNIPPET = """
import time
t0 = time.perf_counter()
import numpy as np
import brawl_env
e = brawl_env.parallel_env()
e.reset(seed=0)
e.step({a: np.zeros(10, dtype=np.uint8) for a in e.agents})
print(repr(time.perf_counter() - t0))
"""


@dataclass(frozen=True)
class Goal:
    """A target a figure is judged against."""

    key: str
    label: str
    unit: str
    target: float | None = None
    higher_is_better: bool = True

    def met(self, value: float) -> bool | None:
        """True/False against the target, None when the figure has no target."""
        if self.target is None:
            return None
        return value >= self.target if self.higher_is_better else value <= self.target

    def describe(self) -> str:
        if self.target is None:
            return "-"
        sign = ">=" if self.higher_is_better else "<="
        return f"{sign} {_fmt(self.target)}"


FIGURES: tuple[Goal, ...] = (
    Goal("parallel_steps_per_s", "PettingZoo parallel env", "steps/s", 20_000),
    Goal("engine_steps_per_s_n1", "engine step the door calls, one match", "steps/s"),
    Goal("door_engine_ratio", "PettingZoo door / engine step rate", "x", 0.5),
    Goal("reset_ms", "parallel env reset", "ms", 1.0, higher_is_better=False),
    Goal("batch_match_steps_per_s_n1", "BatchEnv N=1", "match-steps/s"),
    Goal("batch_match_steps_per_s_n64", "BatchEnv N=64", "match-steps/s"),
    Goal("batch_match_steps_per_s_n1024", "BatchEnv N=1024", "match-steps/s", 500_000),
    Goal("batch_state_bytes_per_match", "BatchEnv state per match", "B", 4096, higher_is_better=False),
    Goal("import_s", "import brawl_env (warm cache)", "s", 1.0, higher_is_better=False),
    Goal("warm_first_step_s", "import to first step (warm cache)", "s", 1.0, higher_is_better=False),
    Goal("first_compile_s", "import to first step (cold cache)", "s"),
)

Progress = Callable[[str], None]


def _fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def _median(samples: list[float]) -> float:
    return float(statistics.median(samples))


def _noop(_: str) -> None:
    pass


# ---------------------------------------------------------------------------------------------------------
# machine info


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, falling back to what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_info() -> dict[str, Any]:
    """Where and with what the figures were taken; recorded beside every result."""
    import numba  # lazy: importing numba takes a noticeable fraction of a second

    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


# ---------------------------------------------------------------------------------------------------------
# fresh-process figures


def _run_child(snippet: str, env: dict[str, str] | None = None) -> float:
    """Run ``snippet`` in a fresh interpreter and return the seconds it printed last."""
    proc = subprocess.run(
        [sys.executable, "-c", snippet],
        capture_output=True,
        text=True,
        env=env,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"benchmark child process failed (exit {proc.returncode}):\n{proc.stderr.strip()[-4000:]}"
        )
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"benchmark child process printed no timing; stderr:\n{proc.stderr[-4000:]}")
    return float(lines[-1])


def measure_import(repeats: int) -> list[float]:
    """Seconds for ``import brawl_env`` in fresh processes with the compile cache already warm.

    A first child imports, resets and steps once so that every kernel a first step needs is compiled and
    cached under the user's normal cache location; the timed children then only import.
    """
    _run_child(_FIRST_STEP_SNIPPET)
    return [_run_child(_IMPORT_SNIPPET) for _ in range(repeats)]


def measure_warm_first_step(repeats: int) -> list[float]:
    """Seconds from ``import brawl_env`` to the end of the first parallel-env step, cache warm.

    ``import brawl_env`` alone is lazy; this is what a user waits for before the first frame.
    """
    return [_run_child(_FIRST_STEP_SNIPPET) for _ in range(repeats)]


def measure_first_compile(repeats: int) -> list[float]:
    """Seconds from ``import brawl_env`` to the end of the first parallel-env step, nothing cached.

    Each child gets its own empty ``NUMBA_CACHE_DIR``, so every kernel is compiled from scratch.
    """
    samples = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="brawl-bench-numba-") as cache_dir:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
            samples.append(_run_child(_FIRST_STEP_SNIPPET, env=env))
    return samples


# ---------------------------------------------------------------------------------------------------------
# in-process figures


def _random_keys(seed: int) -> np.ndarray:
    """Both players' key presses for ``PARALLEL_ACTION_FRAMES`` frames, drawn before any timing."""
    return np.random.default_rng(seed).integers(
        0, 2, size=(PARALLEL_ACTION_FRAMES, 2, N_KEYS), dtype=np.uint8
    )


def _door_steps(seed: int) -> Callable[[], None]:
    """CHUNK steps of the PettingZoo parallel env (one match) per call, resetting when the match ends."""
    import brawl_env

    keys = _random_keys(seed)
    env = brawl_env.parallel_env()
    env.reset(seed=seed)
    t = 0

    def chunk() -> None:
        nonlocal t
        for _ in range(CHUNK):
            if not env.agents:
                env.reset()
            env.step({AGENTS[0]: keys[t, 0], AGENTS[1]: keys[t, 1]})
            t = (t + 1) % PARALLEL_ACTION_FRAMES

    return chunk


def _engine_steps(seed: int) -> Callable[[], None]:
    """CHUNK raw engine steps of one match per call: the engine object the PettingZoo door owns and the
    call it makes (``Engine.step(auto_reset=False)``), with the keys copied in and a reset when the match
    ends, as the door loop does; no key checks, rewards, infos or dicts."""
    import brawl_env

    keys = _random_keys(seed)
    engine = brawl_env.parallel_env().engine
    seeds = np.array([seed], dtype=np.uint64)
    engine.reset(seeds)
    held = engine.keys[0]
    out = engine.out
    t = 0

    def chunk() -> None:
        nonlocal t
        for _ in range(CHUNK):
            held[...] = keys[t]
            engine.step(auto_reset=False)
            if out.terminated[0] or out.truncated[0]:
                seeds[0] += 1
                engine.reset(seeds)
            t = (t + 1) % PARALLEL_ACTION_FRAMES

    return chunk


def _window(chunk: Callable[[], None], seconds: float) -> float:
    """Steps per second of ``chunk`` (CHUNK steps a call) over a window of ``seconds`` of wall time."""
    steps = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        chunk()
        steps += CHUNK
        now = time.perf_counter()
        if now >= deadline:
            return steps / (now - start)


def measure_parallel(seconds: float, repeats: int, seed: int = 0) -> tuple[list[float], list[float]]:
    """Steps per second of the PettingZoo parallel env (one match) and of the raw engine step it calls.

    The two take turns, one window each per repeat, so load on a shared machine hits both alike and the
    ratio of a repeat's pair is fair (``door_engine_ratio`` is the median of those ratios). Resets inside
    a window count towards the wall time but not towards the steps.
    """
    door, engine = _door_steps(seed), _engine_steps(seed)
    door()  # warm-up: compile (or load from cache) everything a step and a reset touch
    engine()
    door_samples, engine_samples = [], []
    for _ in range(repeats):
        door_samples.append(_window(door, seconds))
        engine_samples.append(_window(engine, seconds))
    return door_samples, engine_samples


def measure_reset(seconds: float, repeats: int) -> list[float]:
    """Milliseconds per ``env.reset(seed=i)``; each repeat reports the median over a window of resets."""
    import brawl_env

    env = brawl_env.parallel_env()
    env.reset(seed=0)  # warm-up
    samples = []
    i = 1
    for _ in range(repeats):
        times = []
        deadline = time.perf_counter() + seconds
        while True:
            t0 = time.perf_counter()
            env.reset(seed=i)
            t1 = time.perf_counter()
            times.append(t1 - t0)
            i += 1
            if t1 >= deadline:
                break
        samples.append(1000.0 * _median(times))
    env.close()
    return samples


def measure_batch(n: int, seconds: float, repeats: int, seed: int = 0) -> tuple[list[float], int]:
    """Match-steps per second of ``BatchEnv(n)`` (n matches times steps over wall time), and its state size.

    Returns the per-repeat samples and ``env.state_nbytes()``. Actions are a preallocated
    (K, n, 2, 10) uint8 array cycled over K frames; the env auto-resets finished matches itself.
    """
    import brawl_env

    actions = np.random.default_rng(seed).integers(
        0, 2, size=(BATCH_ACTION_FRAMES, n, 2, N_KEYS), dtype=np.uint8
    )
    env = brawl_env.BatchEnv(n, seed=seed)
    env.reset(seed=seed)
    for k in range(CHUNK):  # warm-up
        env.step(actions[k % BATCH_ACTION_FRAMES])

    samples = []
    k = 0
    for _ in range(repeats):
        steps = 0
        start = time.perf_counter()
        deadline = start + seconds
        while True:
            for _ in range(CHUNK):
                env.step(actions[k])
                k = (k + 1) % BATCH_ACTION_FRAMES
            steps += CHUNK
            now = time.perf_counter()
            if now >= deadline:
                break
        samples.append(n * steps / (now - start))
    nbytes = int(env.state_nbytes())
    close = getattr(env, "close", None)
    if callable(close):
        close()
    return samples, nbytes


# ---------------------------------------------------------------------------------------------------------
# the whole benchmark


def run_env_bench(
    seconds: float = 2.0,
    repeats: int = 5,
    quick: bool = False,
    progress: Progress = _noop,
) -> dict[str, Any]:
    """Measure every environment figure and return one flat, JSON-ready dict.

    Figures are medians over ``repeats``; the raw per-repeat values are kept under ``"samples"``.
    ``quick`` shortens everything to a smoke run (``QUICK_SECONDS``, ``QUICK_REPEATS``).
    """
    if quick:
        seconds, repeats = min(seconds, QUICK_SECONDS), QUICK_REPEATS
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")

    samples: dict[str, list[float]] = {}

    progress("import brawl_env in fresh processes (warm cache)")
    samples["import_s"] = measure_import(repeats)
    progress("import to first step in fresh processes (warm cache)")
    samples["warm_first_step_s"] = measure_warm_first_step(repeats)
    progress("import to first step in fresh processes (cold cache, compiles everything)")
    samples["first_compile_s"] = measure_first_compile(repeats)
    progress("PettingZoo parallel env steps, taking turns with the raw engine step")
    samples["parallel_steps_per_s"], samples["engine_steps_per_s_n1"] = measure_parallel(seconds, repeats)
    samples["door_engine_ratio"] = [
        d / e for d, e in zip(samples["parallel_steps_per_s"], samples["engine_steps_per_s_n1"], strict=True)
    ]
    progress("PettingZoo parallel env resets")
    samples["reset_ms"] = measure_reset(seconds, repeats)
    nbytes = 0
    for n in BATCH_SIZES:
        progress(f"BatchEnv N={n} steps")
        samples[f"batch_match_steps_per_s_n{n}"], nbytes = measure_batch(n, seconds, repeats)

    result: dict[str, Any] = {key: _median(values) for key, values in samples.items()}
    # State size from the largest batch, so fixed per-env overhead is spread as it is in training.
    result["batch_state_bytes_per_match"] = nbytes / BATCH_SIZES[-1]
    result.update(machine_info())
    result.update(
        {
            "seconds": seconds,
            "repeats": repeats,
            "quick": quick,
            "goals_met": {g.key: g.met(result[g.key]) for g in FIGURES if g.target is not None},
            "samples": samples,
        }
    )
    return result


def render_table(result: dict[str, Any]) -> Any:
    """A rich table of figure, median, goal and whether the goal is met (reads at 80 columns: the JSON key
    folds rather than being cut)."""
    from rich import box
    from rich.table import Table

    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        title=(
            f"brawl-league bench env  ({result['cpu']}, {result['cores']} cores, "
            f"python {result['python']}, numba {result['numba']}, {result['date']}; "
            f"median of {result['repeats']} x {result['seconds']:g} s)"
        ),
        title_justify="left",
    )
    table.add_column("figure (JSON key)", overflow="fold")
    table.add_column("median", justify="right", no_wrap=True)
    table.add_column("goal", justify="right", no_wrap=True)
    table.add_column("met", no_wrap=True)
    for g in FIGURES:
        value = result[g.key]
        met = g.met(value)
        met_text = "-" if met is None else ("[green]met[/green]" if met else "[red]not met[/red]")
        table.add_row(f"{g.label}\n[dim]{g.key}[/dim]", f"{_fmt(value)} {g.unit}", g.describe(), met_text)
    return table


# ---------------------------------------------------------------------------------------------------------
# where a rollout's time goes


class Parts:
    """Wall time by part of a rollout, summed by wrapping the methods that do each part: the one timing
    mechanism of ``bench opponents`` and ``bench train --profile``.

    ``wrap(obj, "method", "part")`` replaces ``obj.method`` (on the instance) by a timed call of it; several
    methods may feed one part, and a part may hold others (the env's step holds the opponents and the
    engine: the caller subtracts). With ``sync`` (``torch.cuda.synchronize`` on a GPU), each timed call
    waits for the device before and after, so that a part's kernels count in that part and not in the
    next one that reads a result back; that costs time of its own, so profile and throughput runs on a GPU
    are separate measurements.
    """

    def __init__(self, sync: Callable[[], None] | None = None):
        self.seconds: dict[str, float] = {}
        self.sync = sync

    def wrap(self, obj: Any, attr: str, part: str) -> None:
        fn = getattr(obj, attr)
        seconds, sync = self.seconds, self.sync
        seconds.setdefault(part, 0.0)

        def timed(*args, **kwargs):
            if sync is not None:
                sync()
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                if sync is not None:
                    sync()
                seconds[part] += time.perf_counter() - t0

        setattr(obj, attr, timed)

    def take(self, steps: int) -> dict[str, float]:
        """Milliseconds per vector step of each part since the last ``take`` (over ``steps`` steps), and
        restart from zero."""
        out = {part: 1e3 * s / steps for part, s in self.seconds.items()}
        for part in self.seconds:
            self.seconds[part] = 0.0
        return out


PROFILE_PARTS = (
    "learner",
    "opponents",
    "engine",
    "env_glue",
    "teacher",
    "to_device",
    "to_host",
    "buffer",
    "callback",
    "other",
)
"""The parts of ``bench train --profile``, in ms per vector step (``run_train_bench`` says what each holds)."""


def _profile_trainer(trainer: Any, parts: Parts, samples: list[dict[str, float]]) -> None:
    """Wrap the parts of ``trainer``'s rollout step (a ``transformer-lstm-ppo`` trainer, local backend) into
    ``parts``; each rollout appends its split, in ms per vector step, to ``samples``."""
    model, env, league_env = trainer.model, trainer.env, trainer.league_env
    if not hasattr(league_env, "_act_opponents"):
        raise ValueError("--profile times a vector step in this process: use the local backend")
    parts.wrap(model.policy, "rollout_step", "learner")
    parts.wrap(model.policy, "peek_value", "learner")
    parts.wrap(model, "_teacher_keys", "teacher")
    parts.wrap(model, "_to_device", "to_device")
    parts.wrap(model, "_to_host", "to_host")
    parts.wrap(model, "_store_step", "buffer")
    parts.wrap(env, "step", "env")
    parts.wrap(league_env, "_act_opponents", "opponents")
    parts.wrap(league_env.batch, "step", "engine")
    collect = model.collect_rollouts

    def collect_rollouts(env, callback, rollout_buffer, n_rollout_steps):
        if not getattr(callback, "_profiled", False):  # SB3 made it in learn(): time its on_step too
            parts.wrap(callback, "on_step", "callback")
            callback._profiled = True
        parts.take(1)
        t0 = time.perf_counter()
        try:
            return collect(env, callback, rollout_buffer, n_rollout_steps)
        finally:
            total = 1e3 * (time.perf_counter() - t0) / n_rollout_steps
            ms = parts.take(n_rollout_steps)
            ms["env_glue"] = ms.pop("env") - ms["opponents"] - ms["engine"]
            ms["other"] = total - sum(ms.values())
            ms["total"] = total
            samples.append(ms)

    model.collect_rollouts = collect_rollouts


# ---------------------------------------------------------------------------------------------------------
# training speed


def run_train_bench(
    preset: str = "smoke",
    seconds: float = 60.0,
    overrides: list[str] = (),
    device: str | None = None,
    trainer: str | None = None,
    profile: bool = False,
) -> dict[str, Any]:
    """Steady-state training speed of a preset of ``trainer`` (default: the default trainer plugin).

    ``profile``: also split each timed rollout by where its time goes (:class:`Parts`; the default trainer
    on the local backend), in ms per vector step, medians over the timed rollouts under ``"profile"``:
    ``learner`` (the learner's forwards: ``rollout_step``, and ``peek_value`` for bootstraps),
    ``opponents`` (``LeagueVecEnv._act_opponents``: their networks, bots and key draws), ``engine``
    (``BatchEnv.step``: game and rewards, all frames of the step), ``env_glue`` (the rest of the env's
    step: keys, rewards, episode bookkeeping, infos, observations, and a reward normaliser when there is
    one), ``teacher`` (its keys), ``to_device`` / ``to_host`` (the learner's inputs to its device and its
    outputs back: tensor conversions on a CPU), ``buffer`` (rollout-buffer writes), ``callback`` (the run's
    callback: CSV rows, league records, cadences) and ``other`` (the rest of the rollout loop: SB3's
    episode buffer, state resets, and per rollout the returns and advantages). Updates are not in it.
    """
    from league.registry import DEFAULT, trainer_class
    from league.store import League
    from trainers.base import ProgressHook

    cls = trainer_class(trainer or DEFAULT)
    sets = list(overrides) + [
        "run.total_steps=1000000000",
        "run.eval_every=1000000000",
        "run.checkpoint_every=1000000000",
        "run.debug_logging=false",
    ]
    if device:
        sets.append(f"device={device}")
    config = cls.load_config(preset, None, sets)
    marks: list[tuple[float, int, float]] = []

    rollout_s: list[float] = []  # seconds spent collecting rollouts so far, at each mark

    parts_samples: list[dict[str, float]] = []
    run: Any = None

    class Timer(ProgressHook):
        def _on_start(self, run_dir, config):
            if profile:
                import torch

                sync = torch.cuda.synchronize if str(run.device).startswith("cuda") else None
                _profile_trainer(run, Parts(sync), parts_samples)

        def _on_progress(self, p):
            marks.append((time.perf_counter(), p.steps, p.metrics.get("charts/learner_share", 0.0)))
            rollout_s.append(p.metrics.get("time/rollouts_s", 0.0))
            return len(marks) < 2 or marks[-1][0] - marks[1][0] < seconds

    with tempfile.TemporaryDirectory(prefix="brawl-bench-train-") as tmp:
        run_dir = Path(tmp) / "run"
        league = League.open(Path(tmp) / "league", create=True)
        run = cls(config, run_dir, league, Timer())
        summary = run.train()
    if len(marks) < 3:
        raise RuntimeError("the benchmark stopped before two timed rollouts; raise --seconds")
    (t1, s1, _), (t2, s2, _) = marks[1], marks[-1]
    share = marks[-1][2]  # share of wall time spent in PPO updates since training started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    import torch

    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    timed_parts = parts_samples[1:]  # the first rollout is the warm-up, as for the speed
    profile_out = None
    if profile:
        profile_out = {
            "parts_ms": {k: _median([x[k] for x in timed_parts]) for k in (*PROFILE_PARTS, "total")},
            "rollouts": len(timed_parts),
            "n_steps": config.ppo.n_steps,
            "n_envs": config.ppo.n_envs,
            "synchronized": str(summary["device"]).startswith("cuda"),
            "samples_ms": timed_parts,
        }
    return {
        "preset": preset,
        "overrides": list(overrides),
        "device": summary["device"],
        "steps_per_s": (s2 - s1) / (t2 - t1),
        "timed_steps": s2 - s1,
        "timed_s": t2 - t1,
        "rollout_steps_per_s": (s2 - s1) / max(rollout_s[-1] - rollout_s[1], 1e-9),
        "backend": config.run.backend,
        "shards": config.run.shards if config.run.backend == "ray" else None,
        "frames_per_s": (s2 - s1) / (t2 - t1) * config.model.action_repeat,
        "learner_share": share,
        "peak_rss_mb": peak_mb,
        "peak_gpu_mb": gpu_mb,
        "model": config.model.model_dump(),
        "ppo": config.ppo.model_dump(),
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "loadavg": os.getloadavg(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "profile": profile_out,
    }


def run_shards_bench(
    preset: str = "smoke",
    seconds: float = 60.0,
    shards: tuple[int, ...] = (1, 2),
    overrides: list[str] = (),
    device: str | None = None,
    address: str | None = None,
) -> dict[str, Any]:
    """``run_train_bench`` with the matches in Ray shards, once per shard count, in one process and one Ray
    instance (started with one CPU per shard of the largest count unless ``address`` names a cluster), so
    the counts are compared on the same machine in the same minutes."""
    from trainers.ray_backend import ray_session

    runs = []
    with ray_session(address, num_cpus=max(shards)) as session:
        for k in shards:
            sets = list(overrides) + ["run.backend=ray", f"run.shards={int(k)}"]
            runs.append(run_train_bench(preset, seconds, sets, device))
        cluster_cpus = session.ray.cluster_resources().get("CPU")
    base = runs[0]["steps_per_s"]
    for r in runs:
        r["speedup"] = r["steps_per_s"] / base if base > 0 else None
    return {
        "preset": preset,
        "shards": list(shards),
        "address": address,
        "cluster_cpus": cluster_cpus,
        "runs": runs,
    }


# ---------------------------------------------------------------------------------------------------------
# rollout cost with several network opponents in play


def run_opponents_bench(
    preset: str = "smoke",
    counts: tuple[int, ...] = (1, 4),
    repeats: int = 7,
    threads: int | None = None,
    seed: int = 0,
    progress: Callable[[str], None] = _noop,
) -> dict:
    """Rollout cost per vector step of ``preset`` with ``counts`` distinct snapshot opponents in play, one
    forward per opponent (the old path, ``fuse_opponents=False``) against one fused forward for all.

    Every setup is a real ``TransformerLSTMPPO`` collecting rollouts (``collect_rollouts``, ``n_steps``
    vector steps each) from a ``LeagueVecEnv`` whose matches all play snapshot opponents (fresh networks
    of the preset's model, one per distinct opponent, each a ``PolicyRunner`` as a league snapshot is).
    The setups take turns within each repeat, in one process, so load on a shared machine hits them all
    alike; the first rollout of each is a warm-up. Each rollout is also split by where its time goes:
    the learner's forward (``rollout_step``), the opponents' forwards, the engine (``BatchEnv.step``) and
    the rest (glue: buffers, copies, bookkeeping).
    """
    import torch
    from stable_baselines3.common.callbacks import BaseCallback

    from league.registry import DEFAULT, trainer_class
    from trainers.envs import LeagueVecEnv
    from trainers.opponents import OpponentSpec
    from trainers.transformer_lstm_ppo.algo import TransformerLSTMPPO
    from trainers.transformer_lstm_ppo.policy import PolicyRunner, build_policy, policy_kwargs
    from trainers.transformer_lstm_ppo.sb3_adapter import prepare_learn

    if threads:
        torch.set_num_threads(int(threads))
    cfg = trainer_class(DEFAULT).load_config(preset, None, [])
    p = cfg.ppo
    torch.manual_seed(seed)
    snapshots = [build_policy(cfg.model, "cpu") for _ in range(max(counts))]
    for s in snapshots:
        s.set_training_mode(False)

    class _Quiet(BaseCallback):
        def _on_step(self) -> bool:
            return True

    setups = []
    for k in counts:
        for fuse in (False, True):
            specs = [OpponentSpec("snapshot", f"snapshot-{i}") for i in range(k)]
            made = {}

            def make(spec, made=made):
                i = int(spec.name.rsplit("-", 1)[1])
                made[i] = PolicyRunner(snapshots[i], name=spec.name, repeat=cfg.model.action_repeat)
                return made[i]

            env = LeagueVecEnv(
                p.n_envs,
                env_config=cfg.env,
                seed=seed,
                action_repeat=cfg.model.action_repeat,
                choose_opponent=lambda rng, specs=specs: specs[int(rng.integers(len(specs)))],
                make_opponent=make,
                fuse_opponents=fuse,
            )
            model = TransformerLSTMPPO(
                env=env,
                bf16=cfg.bf16,
                seed=seed,
                device="cpu",
                n_steps=p.n_steps,
                batch_size=p.batch_size,
                n_epochs=p.n_epochs,
                policy_kwargs=policy_kwargs(cfg.model),
            )
            callback = _Quiet()
            callback = prepare_learn(model, 10**12, callback)
            timer = Parts()
            timer.wrap(model.policy, "rollout_step", "learner")
            timer.wrap(env, "_act_opponents", "opponents")
            timer.wrap(env.batch, "step", "engine")
            setups.append(
                dict(k=k, fuse=fuse, env=env, model=model, callback=callback, timer=timer, samples=[])
            )

    def rollout(s) -> dict:
        s["timer"].take(1)
        t0 = time.perf_counter()
        s["model"].collect_rollouts(s["env"], s["callback"], s["model"].rollout_buffer, p.n_steps)
        total = time.perf_counter() - t0
        parts = s["timer"].take(p.n_steps)
        parts["total"] = 1e3 * total / p.n_steps
        parts["glue"] = parts["total"] - parts["learner"] - parts["opponents"] - parts["engine"]
        return parts

    for s in setups:  # warm-up: first forwards, first stack of weights, compiled kernels loaded
        rollout(s)
    for r in range(repeats):
        progress(f"repeat {r + 1}/{repeats}")
        for s in setups:
            s["samples"].append(rollout(s))
    rows = []
    for s in setups:
        med = {key: _median([x[key] for x in s["samples"]]) for key in s["samples"][0]}
        fused_groups = len(s["env"].opponent_pool.fused)
        rows.append(
            dict(
                opponents=s["k"],
                fused=s["fuse"],
                ms_per_step=med["total"],
                parts_ms=med,
                samples_ms=[x["total"] for x in s["samples"]],
                fused_groups_at_end=fused_groups,
            )
        )
        s["env"].close()
    by = {(row["opponents"], row["fused"]): row["ms_per_step"] for row in rows}
    lo, hi = min(counts), max(counts)
    ratios = {
        f"{hi}_vs_{lo}_{'fused' if f else 'per_opponent'}": by[(hi, f)] / by[(lo, f)] for f in (False, True)
    }
    return {
        "preset": preset,
        "n_envs": p.n_envs,
        "n_steps": p.n_steps,
        "action_repeat": cfg.model.action_repeat,
        "repeats": repeats,
        "rows": rows,
        "ratios": ratios,
        "torch_threads": torch.get_num_threads(),
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "loadavg": os.getloadavg(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
