"""Where batches run: local worker processes (default) or Ray tasks, with a watchdog for both.

Both backends take batches from one queue, keep at most ``workers`` of them running, and hand every
finished match to ``on_results`` (the runner records it at once). Neither needs the agents to behave:

- **local**: ``workers`` processes (``python -m tournament.worker``), each with a socket pair and a shared
  heartbeat array
  (``tournament.lanes.HB_*``: a counter bumped before every agent call, and which agent and lane is
  acting). A match's result is sent back the moment it ends. A worker whose heartbeat stops for
  ``stall_limit`` seconds (a hang the per-frame timer could not interrupt: inside C code, or a bot that
  blocks the signal) or that dies (a bot that calls ``os._exit``, a crash) is killed and replaced; the
  match of the agent and lane that was acting is a forfeit of that agent, and the batch's other
  unfinished matches are played again one at a time, each in its own batch.
- **ray**: each batch is one ``ray.remote`` task returning all its results when it ends. A task running
  past its wall limit (``ray_wall_limit``) or failing with a worker crash is cancelled; its matches are
  played again one at a time, and a single match that still fails is a forfeit of the side that is
  untrusted code (a file or module bot) when exactly one side is; otherwise it is recorded as a draw
  ``ended_by="aborted"`` with the reason.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from league.agents import AgentSpec
from .config import BatchSettings
from .lanes import HB_AGENT, HB_BEAT, HB_LANE, HB_SIZE, run_batch, run_batch_collect, set_threads
from .schedule import Entry

log = logging.getLogger(__name__)

RAY_MISSING = (
    "the Ray backend needs the optional 'ray' package: pip install 'brawl-league[ray]' (or pip install ray)"
)


class TournamentError(RuntimeError):
    """The tournament machinery itself failed (not an agent); the message carries the worker's traceback."""


class Stop(Exception):
    """Raised by ``on_results`` to stop early (``max_matches``); running work is abandoned."""


def unplayed_result(entry: Entry, agents: dict[str, AgentSpec], culprit: str | None, reason: str) -> dict:
    """A result for a match its batch could not finish: a forfeit of ``culprit``, or an aborted draw."""
    if culprit is None:
        untrusted = [
            n for n in (entry.a, entry.b) if agents[n].kind == "bot" and agents[n].source != "builtin"
        ]
        culprit = untrusted[0] if len(untrusted) == 1 else None
    base = {
        "index": entry.index,
        "a": entry.a,
        "b": entry.b,
        "a_slot": entry.a_slot,
        "seed": entry.seed,
        "match_seed": None,
        "names": list(entry.names),
        "frames": None,
        "stats": None,
        "final_hash": None,
        "config": None,
        "keys": None,
    }
    if culprit is None:
        return base | {
            "winner": None,
            "result_a": "draw",
            "ended_by": "aborted",
            "forfeit": None,
            "error": reason,
        }
    slot = entry.names.index(culprit)
    return base | {
        "winner": 1 - slot,
        "result_a": "loss" if culprit == entry.a else "win",
        "ended_by": "forfeit",
        "forfeit": {"slot": slot, "name": culprit, "reason": reason},
    }


# ---------------------------------------------------------------------------------------------------
# local processes
# ---------------------------------------------------------------------------------------------------


def worker_main(argv: list[str] | None = None) -> None:  # pragma: no cover - runs in the child
    """Entry point of a local worker process (``python -m tournament.worker FD HEARTBEAT_FD``)."""
    import mmap
    import signal
    from multiprocessing.connection import Connection

    argv = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    sys.stdout = sys.stderr  # an agent's prints never reach the parent's stdout
    conn = Connection(int(argv[0]))
    hb_fd = int(argv[1])
    mm = mmap.mmap(hb_fd, HB_SIZE * 8)
    os.close(hb_fd)
    hb = np.frombuffer(mm, dtype=np.int64)
    agents, settings = conn.recv()
    set_threads(agents, settings)
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        bid, entries = msg
        try:
            run_batch(agents, entries, settings, lambda r, b=bid: conn.send(("result", b, r)), hb=hb)
            conn.send(("done", bid, None))
        except Exception:  # noqa: BLE001 - report our own bugs to the parent, which stops the tournament
            conn.send(("error", bid, traceback.format_exc()))


class _Worker:
    """A worker process started with ``python -m tournament.worker`` (no re-import of the caller's
    ``__main__``, unlike multiprocessing's spawn), a private socket pair and a memory-mapped heartbeat.

    The heartbeat is a temporary file unlinked at once and handed to the child as an open descriptor, so
    nothing is left on disk however the tournament ends (a SIGKILL included)."""

    def __init__(self, agents: dict[str, AgentSpec], settings: BatchSettings):
        import mmap
        import socket
        import subprocess
        import tempfile
        from multiprocessing.connection import Connection

        fd, path = tempfile.mkstemp(prefix="brawl-heartbeat-")
        os.unlink(path)
        os.write(fd, b"\0" * (HB_SIZE * 8))
        self.mm = mmap.mmap(fd, HB_SIZE * 8)
        self.hb = np.frombuffer(self.mm, dtype=np.int64)
        self.hb[:] = -1
        self.hb[HB_BEAT] = 0
        ours, theirs = socket.socketpair()
        env = dict(os.environ)  # the child sees the modules we see (module:Class bots, tests' paths)
        paths = [p for p in sys.path if p and os.path.isdir(p)]
        env["PYTHONPATH"] = os.pathsep.join([*filter(None, [env.get("PYTHONPATH")]), *paths])
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tournament.worker", str(theirs.fileno()), str(fd)],
            pass_fds=(theirs.fileno(), fd),
            stdin=subprocess.DEVNULL,
            stdout=2,
            close_fds=True,
            env=env,
        )
        theirs.close()
        os.close(fd)
        self.conn = Connection(ours.detach())
        self.conn.send((agents, settings))
        self.batch: tuple[int, list[Entry]] | None = None
        self.got: set[int] = set()
        self.beat = -1
        self.changed = time.monotonic()

    def give(self, bid: int, entries: list[Entry]) -> None:
        self.batch, self.got = (bid, entries), set()
        self.beat, self.changed = int(self.hb[HB_BEAT]), time.monotonic()
        self.conn.send((bid, entries))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, kill: bool = False) -> None:
        if self.alive():
            if kill:
                self.proc.kill()
            else:
                try:
                    self.conn.send(None)
                except OSError:
                    self.proc.kill()
        try:  # a worker holds nothing worth a slow interpreter shutdown: a moment to leave, then killed
            self.proc.wait(timeout=0.2)
        except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.conn.close()
        del self.hb
        try:
            self.mm.close()
        except BufferError:  # pragma: no cover - a view still alive
            pass


def run_local(
    agents: dict[str, AgentSpec],
    batches: Sequence[list[Entry]],
    settings: BatchSettings,
    workers: int,
    on_results: Callable[[list[dict]], None],
    stall_limit: float = 30.0,
) -> None:
    """Play ``batches`` on ``workers`` processes (see the module docstring)."""
    from multiprocessing.connection import wait

    queue: deque[list[Entry]] = deque(batches)
    names = list(agents)
    pool: list[_Worker] = []
    next_bid = 0
    try:
        pool = [_Worker(agents, settings) for _ in range(max(1, min(workers, len(queue))))]
        while True:
            for w in pool:
                if w.batch is None and queue:
                    w.give(next_bid, queue.popleft())
                    next_bid += 1
            busy = [w for w in pool if w.batch is not None]
            if not busy:
                break
            wait([w.conn for w in busy], timeout=0.25)
            now = time.monotonic()
            for i, w in enumerate(pool):
                if w.batch is None:
                    continue
                results, finished, error, dead = _drain(w)
                if results:
                    on_results(results)
                if error is not None:
                    raise TournamentError(f"a worker failed while playing a batch:\n{error}")
                if finished:
                    w.batch = None
                    continue
                beat = int(w.hb[HB_BEAT])
                if beat != w.beat:
                    w.beat, w.changed = beat, now
                stalled = now - w.changed > stall_limit
                if not (dead or stalled or not w.alive()):
                    continue
                # the worker hung past the timer's reach, or died: blame the agent acting, replace it
                agent_i, lane = int(w.hb[HB_AGENT]), int(w.hb[HB_LANE])
                suspect = names[agent_i] if 0 <= agent_i < len(names) else None
                w.stop(kill=True)
                what = (
                    f"stopped responding (no progress for {stall_limit:g} s); its worker was killed"
                    if stalled
                    else f"its worker process died (exit code {w.proc.returncode})"
                )
                _, entries = w.batch
                left = [e for e in entries if e.index not in w.got]
                redo, settled = _split_unfinished(entries, left, lane, suspect, agents, what)
                if settled:
                    on_results(settled)
                queue.extendleft(reversed([[e] for e in redo]))
                pool[i] = _Worker(agents, settings)
    finally:
        for w in pool:
            w.stop(kill=w.batch is not None)


def _drain(w: _Worker) -> tuple[list[dict], bool, str | None, bool]:
    results, finished, error, dead = [], False, None, False
    bid = w.batch[0]
    try:
        while w.conn.poll():
            kind, got_bid, payload = w.conn.recv()
            if got_bid != bid:  # pragma: no cover - stale message from an abandoned batch
                continue
            if kind == "result":
                if payload["index"] not in w.got:
                    w.got.add(payload["index"])
                    results.append(payload)
            elif kind == "done":
                finished = True
            else:
                error = payload
    except (EOFError, OSError):
        dead = True
    return results, finished, error, dead


def _split_unfinished(entries, left, lane, suspect, agents, what) -> tuple[list[Entry], list[dict]]:
    """Which unfinished matches of a failed batch are forfeits now, and which are played again alone."""
    if not left:
        return [], []
    if (
        0 <= lane < len(entries)
        and suspect is not None
        and entries[lane] in left
        and suspect in (entries[lane].a, entries[lane].b)
    ):
        culprit_entry = entries[lane]
        settled = [unplayed_result(culprit_entry, agents, suspect, f"{what} while {suspect} was acting")]
        return [e for e in left if e is not culprit_entry], settled
    if len(entries) == 1:
        e = left[0]
        culprit = suspect if suspect in (e.a, e.b) else None
        return [], [unplayed_result(e, agents, culprit, what)]
    return list(left), []


# ---------------------------------------------------------------------------------------------------
# Ray
# ---------------------------------------------------------------------------------------------------


def import_ray():
    try:
        import ray
    except ImportError as err:
        raise TournamentError(f"{RAY_MISSING} ({err})") from None
    return ray


def ray_wall_limit(batch: Sequence[Entry], frames: int) -> float:
    """Seconds a Ray task may run: a minute plus 2 ms per match-frame (bots take about 0.1 ms)."""
    return 60.0 + 0.002 * len(batch) * frames


def run_ray(
    agents: dict[str, AgentSpec],
    batches: Sequence[list[Entry]],
    settings: BatchSettings,
    workers: int,
    on_results: Callable[[list[dict]], None],
    address: str | None = None,
) -> dict[str, Any]:
    """Play ``batches`` as Ray tasks (see the module docstring); returns facts about the cluster used."""
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        started = True
    info = {"ray": ray.__version__, "address": address, "cluster_cpus": ray.cluster_resources().get("CPU")}
    try:
        shipped = {name: a.with_payload() for name, a in agents.items()}  # workers may not see our files
        agents_ref = ray.put(shipped)
        task = ray.remote(num_cpus=1, max_retries=0)(run_batch_collect)
        queue: deque[list[Entry]] = deque(batches)
        running: dict[Any, tuple[list[Entry], float]] = {}
        while queue or running:
            while queue and len(running) < max(1, workers):
                batch = queue.popleft()
                running[task.remote(agents_ref, batch, settings)] = (batch, time.monotonic())
            ready, _ = ray.wait(list(running), num_returns=1, timeout=0.25)
            for ref in ready:
                batch, _ = running.pop(ref)
                try:
                    results = ray.get(ref)
                except ray.exceptions.RayTaskError as err:
                    raise TournamentError(f"a Ray task failed while playing a batch:\n{err}") from None
                except ray.exceptions.RayError as err:  # worker crashed or was killed
                    _ray_redo(
                        batch, agents, queue, on_results, f"its Ray worker failed ({type(err).__name__})"
                    )
                    continue
                on_results(results)
            now = time.monotonic()
            for ref, (batch, since) in list(running.items()):
                limit = ray_wall_limit(batch, settings.frames)
                if now - since > limit:
                    ray.cancel(ref, force=True)
                    running.pop(ref)
                    _ray_redo(
                        batch, agents, queue, on_results, f"its batch ran past the {limit:.0f} s wall limit"
                    )
        return info
    finally:
        if started:
            ray.shutdown()


def _ray_redo(batch, agents, queue, on_results, what: str) -> None:
    if len(batch) == 1:
        on_results([unplayed_result(batch[0], agents, None, what)])
    else:
        queue.extendleft(reversed([[e] for e in batch]))


def default_workers(n_batches: int) -> int:
    return max(1, min(os.cpu_count() or 1, n_batches))


def torch_threads(workers: int) -> int:
    """Torch threads per worker: one. Workers are the parallelism; on a busy machine a second intra-op
    thread per worker made small forward passes about ten times slower (threads spin waiting for a core)."""
    return 1
