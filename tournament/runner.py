"""Running a tournament end to end: plan, play, record every match as it ends, resume, tabulate, report.

``run_tournament(["BasedBot", "SpacerBot", "runs/x/rl_model_50000_steps.zip"], TournamentConfig(games=10))``
plays the round robin (``tournament.schedule``) on local worker processes or Ray
(``tournament.backends``), each batch in lock step (``tournament.lanes``), and writes into ``out``. The
settings are one :class:`tournament.config.TournamentConfig`; the run goes in named steps: plan (or load
the plan to resume), catch the league up with the journal, batch the unplayed matches, play them, rate,
write.

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

from brawl_env.files import atomic_write
from league.agents import AgentError, AgentSpec, parse_agents
from league.folders import check_writable
from league.folders import league_dir as default_league_dir

from .backends import Stop, default_workers, run_local, run_ray, torch_threads
from .config import TournamentConfig
from .schedule import Entry, make_schedule, plan_batches

log = logging.getLogger(__name__)

PLAN = "plan.json"
MATCHES = "matches.jsonl"
REPLAYS = "replays"
VIDEOS = "videos"
PLAN_FORMAT = 1


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


@dataclass
class _Plan:
    """What a run plays: its config (the plan's settings on resume), the agents, the league the matches
    are recorded in, and the whole schedule (finished matches included)."""

    out: Path
    config: TournamentConfig
    specs: list[AgentSpec]
    league_dir: Path
    schedule: list[Entry]

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.specs]


def _make_plan(agents: Sequence[str] | Sequence[AgentSpec] | None, config: TournamentConfig) -> _Plan:
    """Step 1: a new plan (written to ``plan.json``) or the one being resumed. Every check that can fail
    on the user's input runs before anything is written."""
    out = config.out if config.out is not None else default_out_dir()
    check_writable(out, "--out")  # before anything is made: one line, not half a tournament
    if config.resume:
        config, specs, league_dir = _load_plan(out, agents, config)
    else:
        specs, league_dir = _new_agents(out, agents, config)
    check_writable(league_dir, "--league", files=("league.db",))  # the matches are recorded there
    schedule = make_schedule([a.name for a in specs], config.games, config.seed)
    plan = _Plan(out, config, specs, league_dir, schedule)
    out.mkdir(parents=True, exist_ok=True)
    if not config.resume:
        _write_plan(plan)
    return plan


def _new_agents(out: Path, agents, config: TournamentConfig) -> tuple[list[AgentSpec], Path]:
    """A new tournament's agents and league; ``out`` must not hold one already (that is --resume's)."""
    if (out / PLAN).exists() or (out / MATCHES).exists():
        raise ValueError(
            f"{out} already holds a tournament: resume it with --resume, or choose another --out"
        )
    if not agents:
        raise AgentError("no agents given")
    specs = list(agents) if isinstance(agents[0], AgentSpec) else parse_agents(list(agents), config.league)
    return specs, config.league if config.league is not None else default_league_dir(out)


def _write_plan(plan: _Plan) -> None:
    """``plan.json``: the planned settings (``tournament.config.PLANNED``), the league (an explicit one by
    its absolute path, the default one by None), the agents and the schedule's length."""
    league = plan.config.league
    doc = {
        "format": PLAN_FORMAT,
        "created": _now(),
        **plan.config.planned(),
        "league": str(league.resolve()) if league is not None else None,
        "agents": [a.describe() for a in plan.specs],
        "schedule": len(plan.schedule),
    }
    atomic_write(plan.out / PLAN, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))


def _load_plan(
    out: Path, agent_specs, config: TournamentConfig
) -> tuple[TournamentConfig, list[AgentSpec], Path]:
    """The resumed tournament: ``config`` with the plan's settings, the plan's agents (the given ones, if
    any, must be the same), and its league. Agents' files must be unchanged."""
    path = out / PLAN
    if not path.exists():
        raise ValueError(f"--resume: no tournament to resume in {out} (no {PLAN})")
    plan = json.loads(path.read_text(encoding="utf-8"))
    if plan.get("format") != PLAN_FORMAT:
        raise ValueError(f"{path}: unknown plan format {plan.get('format')!r}")
    config = config.resumed(plan)
    planned = [AgentSpec(**a) for a in plan["agents"]]
    if agent_specs:
        given = (
            agent_specs
            if isinstance(agent_specs[0], AgentSpec)
            else parse_agents(list(agent_specs), config.league or plan.get("league"), check=False)
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
    if config.league is not None:
        league_dir = config.league
    else:
        league_dir = Path(plan["league"]) if plan.get("league") else default_league_dir(out)
    return config, planned, league_dir


# ---------------------------------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------------------------------


def run_tournament(
    agents: Sequence[str] | Sequence[AgentSpec] | None,
    config: TournamentConfig | None = None,
    *,
    progress: Callable[[int, int, dict | None], None] | None = None,
) -> TournamentResult:
    """Play a round robin (see the module docstring); returns the table and what was written.

    :param agents: agent specs (``league.agents``) or parsed :class:`AgentSpec` s; may be None with
        ``config.resume`` (the plan's agents are used).
    :param config: the settings (:class:`tournament.config.TournamentConfig`; None: every default). On
        resume, games, frames, stocks and seed come from the plan and must equal it where set.
    :param progress: ``progress(done, total, result_or_None)`` after each recorded match.
    """
    config = TournamentConfig() if config is None else config
    started = time.perf_counter()
    plan = _make_plan(agents, config)
    from league.store import League

    lg = League.open(plan.league_dir, create=True)
    try:
        players = _league_players(lg, plan.specs)
        done = _recorded_so_far(plan.out, lg, players)
        batches, workers = _batches(plan, [e for e in plan.schedule if e.index not in done])
        played, complete, backend_info = _play(plan, batches, workers, done, lg, players, progress)
        results = [done[e.index] for e in plan.schedule if e.index in done]
        if not complete or len(results) < len(plan.schedule):
            return TournamentResult(
                out=plan.out, table=None, meta={}, results=results, played=played, complete=False
            )
        table = build_table(results, plan.names, bootstrap=plan.config.bootstrap, seed=plan.config.seed)
        seconds = time.perf_counter() - started
        meta = _meta(plan, results, table, players, workers, played, backend_info, seconds)
        files = _write_outputs(plan, results, table, meta)
        return TournamentResult(
            out=plan.out, table=table, meta=meta, results=results, played=played, complete=True, files=files
        )
    finally:
        lg.close()


def _recorded_so_far(out: Path, lg, players: dict[str, str]) -> dict[int, dict]:
    """Step 2: the finished matches ``matches.jsonl`` holds, by schedule index (none in a new tournament).
    Lines the league lacks (a crash between the two writes) are recorded in it now."""
    done: dict[int, dict] = {}
    for row in read_matches(out / MATCHES):
        done.setdefault(int(row["index"]), row)
    recorded = {m["replay_path"] for m in lg.matches() if m["source"] == "tournament"}
    missing = [r for r in done.values() if r["league_key"] not in recorded]
    if missing:
        lg.record_matches([_league_row(r, players) for r in missing])
    return done


def _batches(plan: _Plan, todo: list[Entry]) -> tuple[list[list[Entry]], int]:
    """Step 3: the unplayed matches in batches (``tournament.schedule.plan_batches``), and the workers."""
    config = plan.config
    has_nn = any(a.kind == "nn" for a in plan.specs)
    workers = config.workers
    if workers is None:
        workers = default_workers(len(plan_batches(todo, os.cpu_count() or 1, has_nn, config.batch_size)))
    batches = plan_batches(todo, workers, has_nn, config.batch_size)
    return batches, (max(1, min(workers, len(batches))) if batches else workers)


def _play(
    plan: _Plan,
    batches: list[list[Entry]],
    workers: int,
    done: dict[int, dict],
    lg,
    players: dict[str, str],
    progress: Callable[[int, int, dict | None], None] | None,
) -> tuple[int, bool, dict[str, Any]]:
    """Step 4: play the batches on the backend; each finished match is saved as it ends (replay, then its
    journal line, then its league row) and added to ``done``. Returns the matches played, whether the
    run went to the end (not stopped by ``max_matches``) and the backend's facts."""
    config, schedule, out = plan.config, plan.schedule, plan.out
    max_matches = config.max_matches
    total = len(schedule)
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

    agents = {a.name: a for a in plan.specs}
    settings = config.batch_settings(torch_threads(workers))
    backend_info: dict[str, Any] = {}
    try:
        if batches:
            if config.backend == "local":
                run_local(agents, batches, settings, workers, on_results, stall_limit=config.stall_limit)
            else:
                backend_info = run_ray(agents, batches, settings, workers, on_results, address=config.address)
    except Stop:
        return played, False, backend_info
    finally:
        journal.close()
    return played, True, backend_info


def _meta(
    plan: _Plan,
    results: list[dict],
    table,
    players: dict[str, str],
    workers: int,
    played: int,
    backend_info: dict[str, Any],
    seconds: float,
) -> dict[str, Any]:
    """Step 5, once the results are rated (:func:`build_table`): the facts of the run that
    ``tournament.json`` carries beside the table."""
    config = plan.config
    return {
        "name": f"tournament {plan.out.name}",
        "seed": config.seed,
        "games_per_pair": config.games,
        "frames": config.frames,
        "stocks": config.stocks,
        "backend": config.backend,
        "workers": workers,
        "address": config.address,
        **backend_info,
        "agents": {a.name: a.describe() | {"league_player": players[a.name]} for a in plan.specs},
        "matches": len(results),
        "distinct_games": int(sum(sum(row) for row in table.head_to_head["distinct"]) // 2),
        "played_this_run": played,
        "resumed": config.resume,
        "forfeits": _forfeit_counts(results),
        "aborted": sum(r["ended_by"] == "aborted" for r in results),
        "created": _now(),
        "seconds": round(seconds, 3),
        "command": config.command if config.command is not None else shlex.join(sys.argv),
        "league": str(plan.league_dir),
        "matches_file": MATCHES,
        "replays": REPLAYS,
    }


def _write_outputs(plan: _Plan, results: list[dict], table, meta: dict[str, Any]) -> list[Path]:
    """Step 6: the videos asked for (their paths go into ``meta``), then the table files."""
    out, config = plan.out, plan.config
    if config.videos != "none":
        meta["videos"] = [str(p.relative_to(out)) for p in make_videos(results, table, out, config.videos)]
    if not config.write_files:
        return []
    from .tables import write_outputs

    return write_outputs(table, out, meta)


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
    return (
        r["a_slot"],
        r.get("frames"),
        r["result_a"],
        r["ended_by"],
        mine.get("stocks_left"),
        theirs.get("stocks_left"),
        mine.get("damage_dealt"),
        theirs.get("damage_dealt"),
    )


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
