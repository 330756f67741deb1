"""The report's plots, drawn with matplotlib's Agg canvas (no display, no pyplot state).

Each ``plot_*`` function draws on a fresh :class:`~matplotlib.figure.Figure` and returns it, or returns a
string saying why there is nothing to draw yet; :func:`render` turns either into PNG bytes, so every plot
the page names exists as an image (a placeholder says "not enough data yet").
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

from .data import (
    RunData,
    _float,
    episode_steps,
    eval_by_opponent,
    opponent_category,
    played_steps,
    smoothing_window,
    time_to_step,
    trailing_mean,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SIZE = (8.0, 4.0)  # inches
DPI = 100
NOT_ENOUGH = "not enough data yet"


def new_figure(size: tuple[float, float] = SIZE) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=size, dpi=DPI, layout="constrained")


def render(fig_or_reason: Figure | str, title: str) -> bytes:
    """PNG bytes of a figure, or of a placeholder carrying the reason there is no figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if isinstance(fig_or_reason, str):
        fig = new_figure()
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_title(title)
        ax.text(
            0.5,
            0.5,
            fig_or_reason,
            ha="center",
            va="center",
            fontsize=14,
            color="#666666",
            wrap=True,
            transform=ax.transAxes,
        )
    else:
        fig = fig_or_reason
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)
    return buf.getvalue()


def _finite_pairs(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    keep = [(x, y) for x, y in zip(xs, ys, strict=False) if math.isfinite(x) and math.isfinite(y)]
    return [x for x, _ in keep], [y for _, y in keep]


def last_per_x(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    """Keep the last point of each run of equal x. Episodes of a batched env end together, so many share
    one step; a trailing mean drawn through all of them would be a vertical zigzag at each step."""
    out_x: list[float] = []
    out_y: list[float] = []
    for x, y in zip(xs, ys, strict=True):
        if out_x and out_x[-1] == x:
            out_y[-1] = y
        else:
            out_x.append(x)
            out_y.append(y)
    return out_x, out_y


def _label(text: str) -> str:
    """A label from data, with matplotlib's mathtext switched off (a name may hold '$')."""
    return str(text).replace("$", r"\$")


def _marker(n: int) -> dict[str, Any]:
    """Markers on short series, so one or two points still show."""
    return {"marker": "o", "markersize": 4} if n < 30 else {}


# -- training run -------------------------------------------------------------------------------------------
def plot_learning_curve(run: RunData) -> Figure | str:
    returns = run.monitor.floats("r")
    steps, xlabel = episode_steps(run)
    xs, ys = _finite_pairs(steps, returns)
    if not ys:
        return f"{NOT_ENOUGH}: no finished episode in monitor.csv"
    w = smoothing_window(len(ys))
    fig = new_figure()
    ax = fig.add_subplot()
    ax.plot(xs, ys, ".", color="#9bb7d4", markersize=3, label="episode return")
    sx, sy = last_per_x(xs, trailing_mean(ys, w))
    ax.plot(sx, sy, color="#1f4e79", linewidth=2, label=f"mean of last {w} episodes", **_marker(len(sx)))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("episode return (raw reward)")
    ax.set_title(f"Learning curve ({len(ys)} episodes)")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    return fig


def plot_reward_terms(run: RunData) -> Figure | str:
    table = run.rewards
    terms = [h for h in table.header if h not in ("episode", "step", "opponent", "total")]
    if not len(table) or not terms:
        return f"{NOT_ENOUGH}: no rows in reward_breakdown.csv"
    steps = table.floats("step")
    w = smoothing_window(len(table))
    fig = new_figure((8.0, 4.5))
    ax = fig.add_subplot()
    for term in terms:
        xs, ys = _finite_pairs(steps, table.floats(term))
        if ys:
            sx, sy = last_per_x(xs, trailing_mean(ys, w))
            ax.plot(sx, sy, label=_label(term), **_marker(len(sx)))
    xs, ys = _finite_pairs(steps, table.floats("total"))
    if ys:
        sx, sy = last_per_x(xs, trailing_mean(ys, w))
        ax.plot(sx, sy, color="black", linestyle="--", linewidth=1.5, label="total", **_marker(len(sx)))
    ax.axhline(0.0, color="#888888", linewidth=0.8)
    ax.set_xlabel("env steps")
    ax.set_ylabel(f"reward per episode (mean of last {w})")
    ax.set_title("Reward breakdown by term")
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return fig


def _rate_axes(ax, ylabel: str, title: str) -> None:
    """A rate (0 to 1) against env steps: limits, labels, grid and a small legend."""
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("env steps")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)


def plot_win_rate_by_opponent(run: RunData) -> Figure | str:
    table = run.behavior
    if not len(table):
        return f"{NOT_ENOUGH}: no rows in behavior_metrics.csv"
    series: dict[str, tuple[list[float], list[float]]] = {}
    columns = (
        table.floats("step"),
        table.strings("result"),
        table.strings("opponent_kind"),
        table.strings("opponent"),
    )
    for step, result, kind, name in zip(*columns, strict=True):
        xs, ys = series.setdefault(opponent_category(kind, name), ([], []))
        xs.append(step)
        ys.append(1.0 if result == "win" else 0.0)
    fig = new_figure()
    ax = fig.add_subplot()
    for category, (xs, ys) in sorted(series.items()):
        w = smoothing_window(len(ys))
        sx, sy = last_per_x(xs, trailing_mean(ys, w))
        ax.plot(sx, sy, label=_label(f"{category} ({len(ys)} games, mean of last {w})"), **_marker(len(sx)))
    _rate_axes(ax, "win rate (training episodes)", "Win rate by opponent")
    return fig


def plot_eval_win_rate(run: RunData) -> Figure | str:
    groups = eval_by_opponent(run)
    lines = []
    for name, rows in groups.items():
        xs, wins = _finite_pairs(
            [_float(r.get("step", "")) for r in rows], [_float(r.get("win_rate", "")) for r in rows]
        )
        if wins:
            lines.append((name, xs, wins))
    if not lines:
        return f"{NOT_ENOUGH}: no evaluation yet (every run.eval_every steps)"
    fig = new_figure((8.0, 4.5))
    ax = fig.add_subplot()
    for name, xs, wins in lines:
        ax.plot(
            xs, wins, linewidth=2.5 if name == "BasedBot" else 1.3, label=_label(name), **_marker(len(wins))
        )
    ax.axhline(0.70, color="#c0392b", linestyle=":", label="target 70 % (BasedBot)")
    _rate_axes(ax, "win rate over the evaluation games", "Evaluation win rate per bot (tournament rules)")
    return fig


def plot_elo(run: RunData) -> Figure | str:
    lg = run.league
    eval_x, eval_y = _finite_pairs(run.evals.floats("step"), run.evals.floats("learner_elo"))
    if lg.learner is None and not eval_y:
        return f"{NOT_ENOUGH}: {lg.error or 'no learner in the league'}"
    mapping = time_to_step(run)
    fig = new_figure((8.0, 4.5))
    ax = fig.add_subplot()
    ax.axhline(
        lg.anchor_rating,
        color="#888888",
        linewidth=0.8,
        linestyle="--",
        label=_label(f"{lg.anchor} (anchor, {lg.anchor_rating:.0f})"),
    )
    snaps = [(name, info) for name, info in lg.snapshot_histories.items() if info.get("step") is not None]
    drawn_snaps = 0
    if mapping is not None and snaps:
        from matplotlib import colormaps
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        top = max(info["step"] for _, info in snaps)
        norm = Normalize(vmin=0, vmax=max(top, 1))
        cmap = colormaps["viridis"]
        last = mapping[1][-1]
        for _, info in snaps:
            xs = [float(info["step"])] + played_steps(info["history"], mapping)
            ys = [float(info["initial"])] + [float(h["rating_after"]) for h in info["history"]]
            xs.append(max(last, xs[-1]))
            ys.append(ys[-1])
            ax.step(xs, ys, where="post", color=cmap(norm(info["step"])), linewidth=0.9, alpha=0.8)
            drawn_snaps += 1
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.01)
        bar.set_label("snapshot taken at step")
    if lg.learner is not None and lg.learner_history and mapping is not None:
        xs = [0.0] + played_steps(lg.learner_history, mapping)
        ys = [float(lg.learner_history[0]["rating_before"])]
        ys += [float(h["rating_after"]) for h in lg.learner_history]
        xs, ys = last_per_x(xs, ys)  # matches recorded together (one rollout's) share a time
        ax.plot(xs, ys, color="#c0392b", linewidth=2, label="learner (every rated match)", **_marker(len(xs)))
    if eval_y:
        ax.plot(eval_x, eval_y, "D", color="black", markersize=4, label="learner at evaluations")
    if drawn_snaps:
        ax.plot([], [], color=cmap(0.6), label=f"{drawn_snaps} snapshots")
    ax.set_xlabel("env steps" + (" (matches placed by time between known steps)" if mapping else ""))
    ax.set_ylabel("Elo")
    ax.set_title("Elo of the learner and its snapshots")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig


def plot_damage_ratio(run: RunData) -> Figure | str:
    table = run.behavior
    ev_x, ev_ratio = [], []
    for row in eval_by_opponent(run).get("BasedBot", []):
        step, dealt, taken = (
            _float(row.get(k, "")) for k in ("step", "avg_damage_dealt", "avg_damage_taken")
        )
        if math.isfinite(step) and math.isfinite(dealt) and math.isfinite(taken):
            ev_x.append(step)
            ev_ratio.append(dealt / max(taken, 1.0))
    if not len(table) and not ev_ratio:
        return f"{NOT_ENOUGH}: no rows in behavior_metrics.csv and no evaluation"
    fig = new_figure()
    ax = fig.add_subplot()
    if len(table):
        steps = table.floats("step")
        dealt = [d if math.isfinite(d) else 0.0 for d in table.floats("damage_dealt")]
        taken = [t if math.isfinite(t) else 0.0 for t in table.floats("damage_taken")]
        w = smoothing_window(len(steps))
        mean_dealt, mean_taken = trailing_mean(dealt, w), trailing_mean(taken, w)
        ratio = [d / max(t, 1.0) for d, t in zip(mean_dealt, mean_taken, strict=True)]
        steps, ratio = last_per_x(*_finite_pairs(steps, ratio))
        ax.plot(
            steps,
            ratio,
            color="#6c3483",
            linewidth=2,
            label=f"training: damage dealt / taken over the last {w} episodes",
            **_marker(len(steps)),
        )
    if ev_ratio:
        ax.plot(ev_x, ev_ratio, "s", color="#1f7a1f", markersize=5, label="evaluation vs BasedBot")
    ax.axhline(2.0, color="#c0392b", linestyle=":", label="target 2")
    ax.axhline(1.0, color="#888888", linewidth=0.8)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("env steps")
    ax.set_ylabel("damage ratio (taken at least 1)")
    ax.set_title("Damage ratio")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig


# name, alt text / title, what it shows, drawing function
RUN_PLOTS = (
    (
        "learning_curve",
        "Learning curve: episode return over steps",
        "Every finished episode's return (dots) and its trailing mean (line).",
        plot_learning_curve,
    ),
    (
        "reward_terms",
        "Reward breakdown per term over steps",
        "Each reward term's sum per episode, trailing mean; the dashed line is the total.",
        plot_reward_terms,
    ),
    (
        "win_rate_by_opponent",
        "Win rate by opponent kind over steps",
        "Share of training episodes won against each opponent category of the league's mix.",
        plot_win_rate_by_opponent,
    ),
    (
        "eval_win_rate",
        "Evaluation win rate per bot over steps",
        "Seeded evaluation matches against every built-in bot (run.eval_bots) under the tournament's rules, "
        "every run.eval_every steps; BasedBot's line is thick, the dotted line is its 70 % target.",
        plot_eval_win_rate,
    ),
    (
        "elo",
        "Elo of the learner and each snapshot over steps",
        "Online Elo anchored at BasedBot. League matches carry a time, not a step: they are placed on the step "
        "axis by interpolating between snapshot registrations and checkpoint times. Diamonds: the learner's Elo "
        "logged at each evaluation.",
        plot_elo,
    ),
    (
        "damage_ratio",
        "Damage ratio over steps",
        "Damage dealt over damage taken (taken counted as at least 1), over a trailing window of training "
        "episodes; squares: evaluations against BasedBot; dotted: the target 2.",
        plot_damage_ratio,
    ),
)


# -- tournament ----------------------------------------------------------------------------------------------
def plot_head_to_head(players: list[str], score: list[list[float | None]]) -> Figure | str:
    if not players:
        return f"{NOT_ENOUGH}: no players"
    import numpy as np

    n = len(players)
    grid = np.full((n, n), np.nan)
    for i in range(n):
        for j in range(n):
            v = score[i][j] if i < len(score) and j < len(score[i]) else None
            if isinstance(v, int | float):
                grid[i, j] = float(v)
    side = min(12.0, 3.0 + 0.6 * n)
    fig = new_figure((side + 1.5, side))
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="RdYlGn", vmin=0.0, vmax=1.0)
    labels = [_label(p) for p in players]
    ax.set_xticks(range(n), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), labels, fontsize=8)
    if n <= 16:
        for i in range(n):
            for j in range(n):
                if math.isfinite(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=7)
    ax.set_xlabel("opponent (column)")
    ax.set_ylabel("player (row)")
    ax.set_title("Head to head: row's share of the points")
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def plot_ratings(rows: list[dict[str, Any]], anchor: dict[str, Any] | None) -> Figure | str:
    pts = [r for r in rows if isinstance(r.get("rating"), int | float)]
    if not pts:
        return f"{NOT_ENOUGH}: no ratings"
    n = len(pts)
    fig = new_figure((8.0, min(12.0, 1.5 + 0.4 * n)))
    ax = fig.add_subplot()
    ys = list(range(n))[::-1]
    for y, r in zip(ys, pts, strict=True):
        lo, hi = r.get("ci_low"), r.get("ci_high")
        err = None
        if isinstance(lo, int | float) and isinstance(hi, int | float):
            err = [[max(r["rating"] - lo, 0.0)], [max(hi - r["rating"], 0.0)]]
        ax.errorbar([r["rating"]], [y], xerr=err, fmt="o", color="#1f4e79", capsize=3)
    ax.set_yticks(ys, [_label(r.get("name", "?")) for r in pts], fontsize=8)
    if anchor and isinstance(anchor.get("rating"), int | float):
        ax.axvline(
            anchor["rating"],
            color="#888888",
            linestyle="--",
            label=_label(f"anchor {anchor.get('name', '')}"),
        )
        ax.legend(loc="best", fontsize=8)
    ax.set_xlabel("rating (Elo scale) with 95 % interval")
    ax.set_title("Tournament ratings")
    ax.grid(axis="x", alpha=0.3)
    return fig
