"""Running a tournament end to end: plan, play, record every match as it ends, resume, tabulate, report.

``run_tournament(["BasedBot", "SpacerBot", "runs/x/checkpoints/rl_model_50000_steps.zip"], games=10)``
plays the round robin (``tournament.schedule``) on local worker processes or Ray
(``tournament.backends``), each batch in lock step (``tournament.lanes``), and writes into ``out``:

```
plan.json          the agents (spec, kind, file hash), K, frames, stocks, seed: what --resume continues
matches.jsonl      one line per finished match, appended, flushed and fsynced as it ends (schedule index,
                   sides, seed, result, how it ended, forfeit reason, stats, replay file)
replays/           one .replay per played match (brawl_env.replay: seed + keys, re-simulates bit for bit)
league_db/         the league the matches are recorded in (unless --league names another; a tournament
                   folder made before league_db/ keeps its league/)
videos/            mp4s of selected matches (--videos best|all)
tournament.json, ratings.csv, ratings.md, head_to_head.csv, heatmap.png, ratings.png   (tournament.tables)
```

**Order of writes, and resuming.** For each finished match the replay is saved, then its line is
appended to ``matches.jsonl`` (fsync), then it is recorded in the league (source ``tournament``, the
replay's path as its key). ``resume=True`` reads ``plan.json`` and ``matches.jsonl`` (a torn last line
from a crash is ignored), records in the league any line the league lacks, and plays exactly the
schedule entries that have no line. So after a crash or Ctrl-C every scheduled match ends up once in
``matches.jsonl`` and once in the league, and the final table is the one an uninterrupted run gives.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from brawl_env.config import MAX_FRAMES
from brawl_env.files import atomic_write
from league.agents import AgentError, AgentSpec, parse_agents
from league.folders import check_writable
from league.folders import league_dir as default_league_dir

from .backends import Stop, default_workers, run_local, run_ray, torch_threads
from .schedule import Entry, make_schedule, plan_batches

log = logging.getLogger(__name__)

PLAN = "plan.json"
MATCHES = "matches.jsonl"
REPLAYS = "replays"
VIDEOS = "videos"
PLAN_FORMAT = 1
VIDEO_CHOICES = ("none", "best", "all")
BACKENDS = ("local", "ray")


@dataclass
class TournamentResult:
    """What :func:`run_tournament` returns. ``table`` is None when it stopped early (``complete`` False)."""

    out: Path
    table: Any
    meta: dict[str, Any]
    results: list[dict]
    played: int  # matches played by this call (not counting resumed ones)
    complete: bool
    files: list[Path] = field(default_factory=list)


def default_out_dir() -> Path:
    return Path("tournaments") / datetime.now().strftime("%Y%m%d-%H%M%S")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in name)[:40]


def replay_name(entry: Entry) -> str:
    a, b = entry.names
    return f"m{entry.index:05d}-{_safe(a)}-vs-{_safe(b)}.replay"


# ---------------------------------------------------------------------------------------------------
# matches.jsonl
# ---------------------------------------------------------------------------------------------------


def read_matches(path: Path) -> list[dict]:
    """Lines of ``matches.jsonl`` in order; a torn line (as a crash can leave last) is skipped."""
    out = []
    if not path.exists():
        return out
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                log.warning("%s line %d is not complete JSON (a crash mid-write?): ignored", path, n)
    return out


class _Journal:
    """Appends lines to ``matches.jsonl``; each write is flushed and fsynced before the league sees it."""

    def __init__(self, path: Path):
        self.path = path
        self._repair()
        self.fh = open(path, "a", encoding="utf-8")

    def _repair(self) -> None:
        """Drop a torn last line (no newline at the end), so new lines start on a line of their own."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with open(self.path, "r+b") as f:
                f.truncate(cut)
                f.flush()
                os.fsync(f.fileno())

    def write(self, rows: list[dict]) -> None:
        self.fh.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows))
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


# ---------------------------------------------------------------------------------------------------
# the league
# ---------------------------------------------------------------------------------------------------


def _league_players(league, agents: Sequence[AgentSpec]) -> dict[str, str]:
    """The league player name of every agent, adding the missing ones."""
    from brawl_env.bots.registry import entries

    builtin = {e.name for e in entries()}
    known = {p.name: p for p in league.players()}
    out = {}
    for a in agents:
        if a.league_player is not None and a.league_player in known:
            out[a.name] = a.league_player
            continue
        if a.kind == "bot" and a.source == "builtin" and a.spec in builtin:
            out[a.name] = league.add_bot(a.spec).name
            continue
        kind = "bot" if a.kind == "bot" else "external"
        name = a.name
        p = known.get(name)
        if p is not None and (p.kind != kind or p.spec != a.spec):
            name = f"{a.name}@{(a.sha256 or 'x')[:8]}"
            p = known.get(name)
            if p is not None and (p.kind != kind or p.spec != a.spec):
                raise AgentError(
                    f"league {league.dir}: cannot name agent {a.name!r}: {name!r} is taken by "
                    f"another {p.kind}"
                )
        out[a.name] = league.add_player(name, kind=kind, spec=a.spec).name
    return out


def _league_row(r: dict, players: dict[str, str]) -> dict:
    a_slot = r["a_slot"]
    stats = r.get("stats")

    def pair(key, cast):
        if not stats:
            return None
        return cast(stats[a_slot][key]), cast(stats[1 - a_slot][key])

    f = r.get("forfeit")
    error = f"{f['name']}: {f['reason']}" if f else r.get("error")
    return dict(
        a=players[r["a"]],
        b=players[r["b"]],
        result=r["result_a"],
        seed=int(r["seed"]),
        side_a=a_slot,
        stocks=pair("stocks_left", int),
        damage=pair("damage_dealt", float),
        kos=pair("knockouts_dealt", int),
        frames=r.get("frames"),
        source="tournament",
        replay_path=r["league_key"],
        ended_by=r["ended_by"],
        error=error,
    )


# ---------------------------------------------------------------------------------------------------
# the plan
# ---------------------------------------------------------------------------------------------------


def _check_setting(name: str, given, planned):
    if given is not None and given != planned:
        raise ValueError(f"--resume: this tournament was planned with {name}={planned!r}, not {given!r}")
    return planned


def _load_plan(out: Path, agent_specs, league_dir, games, frames, stocks, seed) -> dict:
    path = out / PLAN
    if not path.exists():
        raise ValueError(f"--resume: no tournament to resume in {out} (no {PLAN})")
    plan = json.loads(path.read_text(encoding="utf-8"))
    if plan.get("format") != PLAN_FORMAT:
        raise ValueError(f"{path}: unknown plan format {plan.get('format')!r}")
    for key, given in (("games", games), ("frames", frames), ("stocks", stocks), ("seed", seed)):
        _check_setting(key, given, plan[key])
    planned = [AgentSpec(**a) for a in plan["agents"]]
    if agent_specs:
        given = (
            agent_specs
            if isinstance(agent_specs[0], AgentSpec)
            else parse_agents(list(agent_specs), league_dir or plan.get("league"), check=False)
        )
        if [(a.name, a.spec, a.sha256) for a in given] != [(a.name, a.spec, a.sha256) for a in planned]:
            raise ValueError(
                "--resume: the agents differ from the tournament's plan "
                f"({[a.name for a in planned]}); give the same agents, or none"
            )
    for a in planned:  # files must be unchanged
        if a.path is not None:
            from league.agents import sha256_file

            if not Path(a.path).is_file():
                raise AgentError(f"--resume: agent {a.name!r}: {a.path} is gone")
            if a.sha256 and sha256_file(a.path) != a.sha256:
                raise AgentError(f"--resume: agent {a.name!r}: {a.path} changed since the tournament started")
    plan["agents"] = planned
    return plan


# ---------------------------------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------------------------------


def run_tournament(
    agents: Sequence[str] | Sequence[AgentSpec] | None,
    *,
    games: int | None = None,
    frames: int | None = None,
    stocks: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    backend: str = "local",
    address: str | None = None,
    league: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    videos: str = "none",
    resume: bool = False,
    batch_size: int | None = None,
    bootstrap: int = 1000,
    deterministic: bool = False,
    time_budget: float | None = None,
    hang_limit: float | None = None,
    stall_limit: float = 30.0,
    progress: Callable[[int, int, dict | None], None] | None = None,
    max_matches: int | None = None,
    write_files: bool = True,
    command: str | None = None,
) -> TournamentResult:
    """Play a round robin (see the module docstring); returns the table and what was written.

    :param agents: agent specs (``league.agents``) or parsed :class:`AgentSpec` s; may be None with
        ``resume`` (the plan's agents are used).
    :param games: matches per pair (default 10); ``frames`` per match (default 2700), ``stocks`` (3),
        ``seed`` (0). On resume they default to the plan's and must equal it when given.
    :param workers: processes or Ray tasks at once (default: CPU cores, at most one per batch).
    :param batch_size: matches per lock-step batch (default: see ``tournament.schedule``).
    :param deterministic: networks press a key when its probability is above 1/2 (default: sample).
    :param time_budget: per-frame CPU budget of every guarded bot (default: each bot's ``time_budget``).
    :param hang_limit: wall seconds before a bot's call is interrupted (default: max(10 x budget, 0.5)).
    :param stall_limit: seconds without any progress after which a local worker is killed.
    :param progress: ``progress(done, total, result_or_None)`` after each recorded match.
    :param max_matches: stop after recording this many new matches (to test resuming; ``complete`` False).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; allowed: {list(BACKENDS)}")
    if videos not in VIDEO_CHOICES:
        raise ValueError(f"--videos must be one of {list(VIDEO_CHOICES)}; got {videos!r}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1; got {workers}")
    out = Path(out) if out is not None else default_out_dir()
    started = time.perf_counter()
    check_writable(out, "--out")  # before anything is made: one line, not half a tournament
    if resume:
        plan = _load_plan(out, agents, league, games, frames, stocks, seed)
        specs: list[AgentSpec] = plan["agents"]
        games, frames, stocks, seed = plan["games"], plan["frames"], plan["stocks"], plan["seed"]
        if league is not None:
            league_dir = Path(league)
        else:  # the plan names an explicit league by its absolute path, the default one by None
            league_dir = Path(plan["league"]) if plan.get("league") else default_league_dir(out)
    else:
        if (out / PLAN).exists() or (out / MATCHES).exists():
            raise ValueError(
                f"{out} already holds a tournament: resume it with --resume, or choose another --out"
            )
        if not agents:
            raise AgentError("no agents given")
        games = 10 if games is None else games
        frames = MAX_FRAMES if frames is None else frames
        stocks = 3 if stocks is None else stocks
        seed = 0 if seed is None else seed
        if isinstance(agents[0], AgentSpec):
            specs = list(agents)
        else:
            specs = parse_agents(list(agents), league)
        league_dir = Path(league) if league is not None else default_league_dir(out)
    for key, value in (("games", games), ("frames", frames), ("stocks", stocks)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{key} must be an int >= 1; got {value!r}")
    from brawl_env.config import check_seed

    seed = check_seed(seed, "the tournament seed")
    check_writable(league_dir, "--league", files=("league.db",))  # the matches are recorded there
    names = [a.name for a in specs]
    schedule = make_schedule(names, games, seed)

    out.mkdir(parents=True, exist_ok=True)
    if not resume:
        plan_doc = {
            "format": PLAN_FORMAT,
            "created": _now(),
            "games": games,
            "frames": frames,
            "stocks": stocks,
            "seed": seed,
            "league": str(Path(league).resolve()) if league is not None else None,
            "agents": [a.describe() for a in specs],
            "schedule": len(schedule),
        }
        atomic_write(out / PLAN, (json.dumps(plan_doc, indent=2) + "\n").encode("utf-8"))

    from league.store import League

    lg = League.open(league_dir, create=True)
    journal = None
    try:
        players = _league_players(lg, specs)
        done = {}
        for row in read_matches(out / MATCHES):
            done.setdefault(int(row["index"]), row)
        # lines the league lacks (a crash between the two writes) are recorded now
        recorded = {m["replay_path"] for m in lg.matches() if m["source"] == "tournament"}
        missing = [r for r in done.values() if r["league_key"] not in recorded]
        if missing:
            lg.record_matches([_league_row(r, players) for r in missing])
        todo = [e for e in schedule if e.index not in done]
        total = len(schedule)
        has_nn = any(a.kind == "nn" for a in specs)
        if workers is None:
            workers = default_workers(len(plan_batches(todo, os.cpu_count() or 1, has_nn, batch_size)))
        batches = plan_batches(todo, workers, has_nn, batch_size)
        workers = max(1, min(workers, len(batches))) if batches else workers
        settings = {
            "frames": frames,
            "stocks": stocks,
            "record_keys": True,
            "deterministic": deterministic,
            "time_budget": time_budget,
            "hang_limit": hang_limit,
            "torch_threads": torch_threads(workers),
        }
        agents_by_name = {a.name: a for a in specs}
        journal = _Journal(out / MATCHES)
        replay_dir = out / REPLAYS
        played = 0
        if progress is not None:
            progress(len(done), total, None)

        def on_results(results: list[dict]) -> None:
            nonlocal played
            rows = []
            for r in results:
                if r["index"] in done:  # pragma: no cover - a duplicate from a re-run batch
                    continue
                rows.append(_finish_row(r, schedule, replay_dir, out))
                if max_matches is not None and played + len(rows) >= max_matches:
                    break
            if not rows:
                return
            journal.write(rows)
            lg.record_matches([_league_row(r, players) for r in rows])
            for r in rows:
                done[r["index"]] = r
                played += 1
                if progress is not None:
                    progress(len(done), total, r)
            if max_matches is not None and played >= max_matches:
                raise Stop()

        backend_info: dict[str, Any] = {}
        complete = True
        try:
            if batches:
                if backend == "local":
                    run_local(agents_by_name, batches, settings, workers, on_results, stall_limit=stall_limit)
                else:
                    backend_info = run_ray(
                        agents_by_name, batches, settings, workers, on_results, address=address
                    )
        except Stop:
            complete = False
        results = [done[e.index] for e in schedule if e.index in done]
        if not complete or len(results) < total:
            return TournamentResult(
                out=out, table=None, meta={}, results=results, played=played, complete=False
            )

        table = build_table(results, names, bootstrap=bootstrap, seed=seed)
        forfeits = _forfeit_counts(results)
        meta = {
            "name": f"tournament {out.name}",
            "seed": seed,
            "games_per_pair": games,
            "frames": frames,
            "stocks": stocks,
            "backend": backend,
            "workers": workers,
            "address": address,
            **backend_info,
            "agents": {a.name: a.describe() | {"league_player": players[a.name]} for a in specs},
            "matches": len(results),
            "distinct_games": int(sum(sum(row) for row in table.head_to_head["distinct"]) // 2),
            "played_this_run": played,
            "resumed": bool(resume),
            "forfeits": forfeits,
            "aborted": sum(r["ended_by"] == "aborted" for r in results),
            "created": _now(),
            "seconds": round(time.perf_counter() - started, 3),
            "command": command if command is not None else " ".join(shlex.quote(x) for x in sys.argv),
            "league": str(league_dir),
            "matches_file": MATCHES,
            "replays": REPLAYS,
        }
        files: list[Path] = []
        if videos != "none":
            meta["videos"] = [str(p.relative_to(out)) for p in make_videos(results, table, out, videos)]
        if write_files:
            from .tables import write_outputs

            files = write_outputs(table, out, meta)
        return TournamentResult(
            out=out, table=table, meta=meta, results=results, played=played, complete=True, files=files
        )
    finally:
        if journal is not None:
            journal.close()
        lg.close()


def _finish_row(r: dict, schedule: list[Entry], replay_dir: Path, out: Path) -> dict:
    """Save a result's replay and turn it into its ``matches.jsonl`` line."""
    from brawl_env.replay import Replay, unpack_keys

    entry = schedule[r["index"]]
    r = dict(r)
    packed = r.pop("keys", None)
    path = replay_dir / replay_name(entry)
    if packed is not None:
        outcome = {
            "winner": r["winner"],
            "ended_by": r["ended_by"],
            "frames": r["frames"],
            "final_hash": r["final_hash"],
            "forfeit": r["forfeit"],
        }
        Replay(
            keys=unpack_keys(np.asarray(packed)),
            match_seed=int(r["match_seed"]),
            config=r["config"],
            names=tuple(r["names"]),
            seed=int(r["seed"]),
            outcome=outcome,
        ).save(path)
        r["replay"] = str(path.relative_to(out))
    else:
        r["replay"] = None
    r["league_key"] = str(path.resolve())  # unique per schedule entry: the league row's replay_path
    r["recorded"] = _now()
    return r


def _forfeit_counts(results: Sequence[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        f = r.get("forfeit")
        if f:
            counts[f["name"]] = counts.get(f["name"], 0) + 1
    return counts


def game_signature(r: dict) -> tuple:
    """What tells two games of a pair apart: A's side, the frames, A's result, how it ended, and both
    players' stocks left and damage dealt (A's first). Equal signatures: the same game played again."""
    stats = r.get("stats") or [{}, {}]
    mine, theirs = stats[r["a_slot"]], stats[1 - r["a_slot"]]
    return (r["a_slot"], r.get("frames"), r["result_a"], r["ended_by"], mine.get("stocks_left"),
            theirs.get("stocks_left"), mine.get("damage_dealt"), theirs.get("damage_dealt"))


def build_table(results: Sequence[dict], names: Sequence[str], bootstrap: int = 1000, seed: int = 0):
    """The rating table of a tournament's results (``tournament.ratings.rating_table``); games with equal
    :func:`game_signature` count as one distinct game (its intervals stay honest when games repeat)."""
    from .ratings import Game, rating_table

    score = {"win": 1.0, "draw": 0.5, "loss": 0.0}
    games = [Game(r["a"], r["b"], score[r["result_a"]], key=game_signature(r)) for r in results]
    return rating_table(
        games,
        players=list(names),
        anchor="BasedBot",
        anchor_rating=1000.0,
        bootstrap=bootstrap,
        seed=seed,
        forfeits=_forfeit_counts(results),
    )


def _closeness(r: dict) -> tuple:
    s = r["stats"]
    return (
        abs(s[0]["stocks_left"] - s[1]["stocks_left"]),
        abs(s[0]["damage_taken"] - s[1]["damage_taken"]),
        r["index"],
    )


def pick_videos(results: Sequence[dict], table, which: str) -> list[dict]:
    """``all``: every played match; ``best``: the closest match between the table's top two agents."""
    playable = [r for r in results if r.get("replay") and r["ended_by"] != "forfeit" and r.get("stats")]
    if which == "all":
        return [r for r in results if r.get("replay")]
    if which != "best" or len(table.rows) < 2:
        return []
    top = {table.rows[0]["name"], table.rows[1]["name"]}
    pair = [r for r in playable if {r["a"], r["b"]} == top]
    return [min(pair, key=_closeness)] if pair else []


def make_videos(results: Sequence[dict], table, out: Path, which: str) -> list[Path]:
    from brawl_env.render import write_video
    from brawl_env.replay import load

    paths = []
    for r in pick_videos(results, table, which):
        target = out / VIDEOS / Path(r["replay"]).with_suffix(".mp4").name
        target.parent.mkdir(parents=True, exist_ok=True)
        sim = write_video(load(out / r["replay"]), target)
        if sim.matches_recording is False:  # pragma: no cover - a determinism bug
            raise RuntimeError(
                f"match {r['index']}: the video's re-simulation diverged from the match played"
            )
        paths.append(target)
    return paths
