"""Reading a training run directory for the report, tolerantly: the run may still be writing it.

A run that is still going can leave a CSV's last line half written, a file with only its header, or no
file yet; a run with ``run.debug_logging`` off has no ``behavior_metrics.csv`` or ``reward_breakdown.csv``.
None of these is an error here: every reader returns what is complete and the report says what is
missing. Only a directory that is not a run at all is refused (by :mod:`brawl_league.report`).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from league import run_folder as RF
from league.run_folder import checkpoints

log = logging.getLogger(__name__)

FPS = 30  # frames per second of the game (docs/env.md); time_alive_s is already in seconds
WINDOW = 100  # episodes behind each "latest" training figure (the criteria table, smoothed curves cap)
RUN_FILES = RF.FILES


@dataclass
class Table:
    """The complete rows of one CSV file, column by column (strings; see :meth:`floats`)."""

    path: Path
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    dropped: int = 0  # rows skipped: half written, or with the wrong number of fields

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def __len__(self) -> int:
        return len(self.rows)

    def has(self, column: str) -> bool:
        return column in self.header

    def strings(self, column: str) -> list[str]:
        if column not in self.header:
            return []
        i = self.header.index(column)
        return [row[i] for row in self.rows]

    def floats(self, column: str) -> list[float]:
        """A column as floats; a value that does not parse becomes NaN (never an exception)."""
        return [_float(v) for v in self.strings(column)]

    def dicts(self) -> list[dict[str, str]]:
        return [dict(zip(self.header, row, strict=True)) for row in self.rows]


def _float(v: str) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def read_csv(path: Path) -> Table:
    """Rows of a CSV log, skipping ``#`` comment lines (SB3's monitor preamble) and any incomplete row.

    The trainer writes a row and flushes it; a reader can catch the file between the two halves of a
    write. A last line without its line ending is therefore dropped, as is any row whose field count
    differs from the header's.
    """
    table = Table(Path(path))
    try:
        raw = table.path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return table
    text = raw.decode("utf-8", errors="replace")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines.pop()  # being written right now
        table.dropped += 1
    lines = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    if not lines:
        return table
    reader = csv.reader(io.StringIO("".join(lines)))
    try:
        table.header = next(reader)
    except (StopIteration, csv.Error):
        return table
    for row in _rows(reader):
        if len(row) == len(table.header):
            table.rows.append(row)
        else:
            table.dropped += 1
    return table


def _rows(reader):
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:  # a stray NUL or broken quoting in a damaged file: skip the row
            continue


@dataclass
class LeagueData:
    """What the report needs from the run's league, read once."""

    learner: str | None = None
    anchor: str = "BasedBot"
    anchor_rating: float = 1000.0
    ratings: list[dict[str, Any]] = field(default_factory=list)  # Rating.to_dict(), strongest first
    learner_created_at: str | None = None
    learner_history: list[dict[str, Any]] = field(default_factory=list)
    # snapshot name -> {step, created_at, initial, history}
    snapshot_histories: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None


@dataclass
class RunData:
    """Everything read from a run directory."""

    directory: Path
    config: dict[str, Any]
    config_text: str
    monitor: Table
    behavior: Table
    rewards: Table
    evals: Table
    checkpoints: list[tuple[int, Path]]
    league: LeagueData
    notes: list[str] = field(default_factory=list)

    @property
    def total_steps(self) -> int | None:
        value = self.config.get("run", {}).get("total_steps")
        return int(value) if isinstance(value, int | float) else None

    @property
    def steps_done(self) -> int:
        """The furthest step any file has reached."""
        seen = [s for s, _ in self.checkpoints]
        for table in (self.behavior, self.rewards, self.evals):
            seen += [int(v) for v in table.floats("step") if math.isfinite(v)]
        return max(seen, default=0)


def load_run(run_dir: Path) -> RunData:
    run_dir = Path(run_dir)
    notes: list[str] = []
    config: dict[str, Any] = {}
    config_text = ""
    cfg_path = run_dir / RF.CONFIG
    if cfg_path.exists():
        config_text = cfg_path.read_text(errors="replace")
        try:
            config = tomllib.loads(config_text)
        except tomllib.TOMLDecodeError as err:
            notes.append(f"config.toml does not parse ({err}); shown as text only")
    else:
        notes.append("no config.toml")
    tables = {name: read_csv(run_dir / name) for name in RUN_FILES[1:]}
    for name, table in tables.items():
        if not table.exists:
            extra = (
                " (run.debug_logging is off, or the run has not finished an episode)"
                if name in (RF.BEHAVIOR, RF.REWARDS)
                else ""
            )
            notes.append(f"no {name} yet{extra}")
        elif table.dropped:
            notes.append(f"{name}: {table.dropped} incomplete row(s) skipped (the run may still be writing)")
    return RunData(
        run_dir,
        config,
        config_text,
        tables[RF.MONITOR],
        tables[RF.BEHAVIOR],
        tables[RF.REWARDS],
        tables[RF.EVALUATIONS],
        checkpoints(run_dir),
        load_league(run_dir),
        notes,
    )


def load_league(run_dir: Path) -> LeagueData:
    """Ratings and rating histories of the run's learner and snapshots; an unreadable league is noted."""
    from league.folders import league_dir
    from league.store import DB_NAME, League

    data = LeagueData()
    directory = league_dir(run_dir)
    if not (directory / DB_NAME).exists():
        data.error = "no league database yet"
        return data
    try:
        with League.open(directory, read_only=True) as lg:
            data.anchor, data.anchor_rating = lg.config.anchor, float(lg.config.anchor_rating)
            ratings = lg.ratings()
            data.ratings = [r.to_dict() for r in ratings]
            learners = [
                r.player.name
                for r in ratings
                if r.player.kind == "external" and r.player.name.startswith("learner:")
            ]
            own = f"learner:{run_dir.name}"
            data.learner = own if own in learners else (learners[0] if len(learners) == 1 else None)
            if data.learner is not None:
                data.learner_history = lg.history(data.learner)
                data.learner_created_at = lg.player(data.learner).created_at
            run_id = data.learner.split(":", 1)[1] if data.learner else run_dir.name
            by_name = {r.player.name: r for r in ratings}
            for snap in lg.snapshots(run=run_id, active=None):
                data.snapshot_histories[snap.name] = {
                    "step": snap.step,
                    "created_at": snap.created_at,
                    "initial": by_name[snap.name].initial if snap.name in by_name else data.anchor_rating,
                    "history": lg.history(snap),
                }
    except Exception as err:  # the report shows what it can; a league it cannot read is only a note
        data.error = f"could not read the league: {err}"
        log.warning("report: %s", data.error)
    return data


# -- deriving series -----------------------------------------------------------------------------------------
def trailing_mean(values: list[float], window: int) -> list[float]:
    """Mean of the last ``window`` values at each point (fewer at the start), NaNs ignored."""
    out, acc, cnt, buf = [], 0.0, 0, []
    for v in values:
        buf.append(v)
        if math.isfinite(v):
            acc, cnt = acc + v, cnt + 1
        if len(buf) > window:
            old = buf.pop(0)
            if math.isfinite(old):
                acc, cnt = acc - old, cnt - 1
        out.append(acc / cnt if cnt else math.nan)
    return out


def smoothing_window(n: int) -> int:
    """Episodes behind each smoothed point: a tenth of the series, at least 5, at most :data:`WINDOW`."""
    return max(1, min(WINDOW, max(5, n // 10)))


def episode_steps(run: RunData) -> tuple[list[float], str]:
    """The env step at which each monitor row's episode ended, and the axis label.

    behavior_metrics.csv and reward_breakdown.csv record the step of every episode (row i = episode
    i + 1); without them the sum of finished episode lengths stands in (a slight undercount).
    """
    n = len(run.monitor)
    for table in (run.behavior, run.rewards):
        steps = {
            int(e): s
            for e, s in zip(table.floats("episode"), table.floats("step"), strict=True)
            if math.isfinite(e) and math.isfinite(s)
        }
        if n and all(i + 1 in steps for i in range(n)):
            return [steps[i + 1] for i in range(n)], "env steps"
    total, out = 0.0, []
    for length in run.monitor.floats("l"):
        total += length if math.isfinite(length) else 0.0
        out.append(total)
    return out, "env steps (sum of finished episode lengths)"


def opponent_category(kind: str, name: str) -> str:
    """The opponent categories of the league's mix: a bot by its name, else self-play or the mirror."""
    if kind == "bot":
        return name or "bot"
    if kind == "snapshot":
        return "self-play (snapshots)"
    if kind == "mirror":
        return "mirror (own weights)"
    return kind or "unknown"


def _parse_time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def time_to_step(run: RunData) -> tuple[list[float], list[float]] | None:
    """Known (wall time, step) pairs, for placing league matches (which carry a time, not a step) on
    the step axis: the learner's creation (step 0), each snapshot's registration, each checkpoint's file
    time and the last logged episode. None when fewer than two pairs are known."""
    pairs: list[tuple[float, float]] = []
    created = _parse_time(run.league.learner_created_at)
    if created is not None:
        pairs.append((created, 0.0))
    for info in run.league.snapshot_histories.values():
        t = _parse_time(info.get("created_at"))
        if t is not None and info.get("step") is not None:
            pairs.append((t, float(info["step"])))
    for steps, path in run.checkpoints:
        try:
            pairs.append((path.stat().st_mtime, float(steps)))
        except OSError:
            continue
    for table in (run.behavior, run.rewards):
        steps = [s for s in table.floats("step") if math.isfinite(s)]
        if steps:
            try:
                pairs.append((os.stat(table.path).st_mtime, max(steps)))
            except OSError:
                pass
    if len(pairs) < 2:
        return None
    pairs.sort()
    times, out, top = [], [], 0.0
    for t, s in pairs:
        top = max(top, s)  # steps never go back, whatever the clocks say
        times.append(t)
        out.append(top)
    return times, out


def played_steps(history: list[dict[str, Any]], mapping: tuple[list[float], list[float]]) -> list[float]:
    import numpy as np

    times = [_parse_time(h.get("played_at")) for h in history]
    times = [t if t is not None else mapping[0][-1] for t in times]
    return [float(s) for s in np.interp(times, mapping[0], mapping[1])]


# -- the training guide's success criteria -------------------------------------------------------------------
@dataclass(frozen=True)
class Criterion:
    """One line of the guide's success criteria, judged on the latest numbers."""

    key: str
    label: str
    threshold: float
    unit: str
    value: float | None
    source: str

    @property
    def status(self) -> str:
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return "no data"
        return "met" if self.value > self.threshold else "not met"

    def shown(self, v: float | None = None) -> str:
        v = self.value if v is None else v
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "–"
        if self.unit == "%":
            return f"{100 * v:.1f} %"
        if math.isinf(v):
            return "∞"
        return f"{v:.2f}{(' ' + self.unit) if self.unit else ''}"

    @property
    def target(self) -> str:
        if self.unit == "%":
            return f"> {100 * self.threshold:g} %"
        return f"> {self.threshold:g}{(' ' + self.unit) if self.unit else ''}"


CRITERIA = (  # key, label, threshold, unit (the training guide's "Success Criteria")
    ("win_rate", "Win rate vs BasedBot", 0.70, "%"),
    ("damage_ratio", "Damage ratio (dealt / taken)", 2.0, ""),
    ("knockouts", "Knockouts per episode", 2.0, ""),
    ("weapon_pickups", "Weapon pickups per episode", 1.0, ""),
    ("survival_s", "Survival time per episode", 60.0, "s"),
)


def judge(numbers: dict[str, tuple[float | None, str]]) -> list[Criterion]:
    """The five criteria against ``{key: (value, where it came from)}``; a missing key is "no data"."""
    return [
        Criterion(key, label, threshold, unit, *numbers.get(key, (None, "no data yet")))
        for key, label, threshold, unit in CRITERIA
    ]


def eval_by_opponent(run: RunData) -> dict[str, list[dict[str, str]]]:
    """``evaluation_results.csv`` grouped by opponent, in file order (a file without an ``opponent``
    column, as runs before per-bot evaluation wrote, is BasedBot's)."""
    out: dict[str, list[dict[str, str]]] = {}
    for row in run.evals.dicts():
        out.setdefault(row.get("opponent") or "BasedBot", []).append(row)
    return out


def latest_numbers(run: RunData, window: int = WINDOW) -> dict[str, tuple[float | None, str]]:
    """The latest value of each criterion and its source.

    - win rate: the last evaluation row against BasedBot (seeded matches); before the first
      evaluation, the last ``window`` training episodes against BasedBot;
    - damage ratio (sum dealt / sum taken, taken at least 1), knockouts, weapon pickups and time alive
      per episode: the last ``window`` training episodes of behavior_metrics.csv (every opponent);
      without that file, damage ratio and knockouts come from the last evaluation.
    """
    out: dict[str, tuple[float | None, str]] = {}
    ev = eval_by_opponent(run).get("BasedBot", [])
    last_eval = ev[-1] if ev else None
    if last_eval is not None and math.isfinite(_float(last_eval.get("win_rate", ""))):
        out["win_rate"] = (
            _float(last_eval["win_rate"]),
            f"evaluation at step {last_eval.get('step', '?')} "
            f"({last_eval.get('games', '?')} games vs "
            f"{last_eval.get('opponent', 'BasedBot')})",
        )
    rows = run.behavior.dicts()
    if "win_rate" not in out:
        based = [r for r in rows if r.get("opponent") == "BasedBot"][-window:]
        if based:
            out["win_rate"] = (
                sum(r.get("result") == "win" for r in based) / len(based),
                f"last {len(based)} training episodes vs BasedBot (no evaluation yet)",
            )
    recent = rows[-window:]
    if recent:
        where = f"last {len(recent)} training episodes"
        dealt = sum(_finite(r.get("damage_dealt")) for r in recent)
        taken = sum(_finite(r.get("damage_taken")) for r in recent)
        out["damage_ratio"] = (dealt / max(taken, 1.0), where)
        for key, column in (
            ("knockouts", "knockouts_dealt"),
            ("weapon_pickups", "weapon_pickups"),
            ("survival_s", "time_alive_s"),
        ):
            vals = [_float(r.get(column, "")) for r in recent]
            vals = [v for v in vals if math.isfinite(v)]
            if vals:
                out[key] = (sum(vals) / len(vals), where)
    elif last_eval is not None:
        where = f"evaluation at step {last_eval.get('step', '?')} (no behavior_metrics.csv)"
        dealt = _float(last_eval.get("avg_damage_dealt", ""))
        taken = _float(last_eval.get("avg_damage_taken", ""))
        if math.isfinite(dealt) and math.isfinite(taken):
            out["damage_ratio"] = (dealt / max(taken, 1.0), where)
        kos = _float(last_eval.get("avg_knockouts", ""))
        if math.isfinite(kos):
            out["knockouts"] = (kos, where)
    return out


def _finite(v: Any) -> float:
    f = _float(v) if isinstance(v, str) else (float(v) if v is not None else math.nan)
    return f if math.isfinite(f) else 0.0
