"""The league's evidence in a tournament: do a run's snapshots get stronger as training goes on?

A tournament whose agents include snapshots (``league:spacedN``, ``league:NAME``) or run checkpoints
(``runs/<run>/checkpoints/rl_model_<N>_steps.zip``) records each agent's training step in
``tournament.json`` (``meta.agents[name].step``; for older files the step is read from the
``<run>@<step>`` name). :func:`snapshot_evidence` pairs each such agent's rating with its step and gives
the Spearman rank correlation between step and rating (ties share their average rank); the report plots
rating against step, with the bots of the tournament as horizontal lines, and writes the numbers to
``snapshot_evidence.json``.
"""

from __future__ import annotations

import math
import re
from typing import Any

EVIDENCE_FILE = "snapshot_evidence.json"
NETWORK_SOURCES = ("snapshot", "checkpoint")
_STEP_IN_NAME = re.compile(r"@(\d+)(?:-\d+)?$")


def ranks(values: list[float]) -> list[float]:
    """1-based ranks, tied values sharing the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman's rank correlation: Pearson's correlation of the ranks; NaN with fewer than two points
    or when either side is constant."""
    if len(xs) != len(ys):
        raise ValueError(f"spearman needs pairs; got {len(xs)} and {len(ys)} values")
    if len(xs) < 2:
        return math.nan
    rx, ry = ranks(list(xs)), ranks(list(ys))
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else math.nan


def _step_of(name: str, agent: dict[str, Any]) -> int | None:
    if agent.get("source") not in NETWORK_SOURCES:
        return None
    step = agent.get("step")
    if isinstance(step, int) and not isinstance(step, bool):
        return step
    m = _STEP_IN_NAME.search(name)
    return int(m.group(1)) if m else None


def snapshot_evidence(data: dict[str, Any]) -> dict[str, Any] | None:
    """From a loaded ``tournament.json``: ``{"points": [{name, step, rating, ci_low, ci_high}] (by step),
    "others": [{name, rating}], "spearman": rho}``, or None when fewer than two rated agents have a step."""
    agents = (data.get("meta") or {}).get("agents") or {}
    if not isinstance(agents, dict):
        return None
    points, others = [], []
    for row in data.get("ratings") or []:
        name, rating = row.get("name"), row.get("rating")
        if not isinstance(rating, int | float) or isinstance(rating, bool):
            continue
        agent = agents.get(name) if isinstance(agents.get(name), dict) else {}
        step = _step_of(str(name), agent)
        if step is None:
            others.append({"name": name, "rating": float(rating)})
        else:
            points.append(
                {
                    "name": name,
                    "step": step,
                    "rating": float(rating),
                    "ci_low": row.get("ci_low"),
                    "ci_high": row.get("ci_high"),
                }
            )
    if len(points) < 2:
        return None
    points.sort(key=lambda p: (p["step"], p["name"]))
    rho = spearman([p["step"] for p in points], [p["rating"] for p in points])
    return {"points": points, "others": others, "spearman": None if math.isnan(rho) else rho}


def plot_rating_by_step(evidence: dict[str, Any]):
    """Snapshot rating (with its 95 % interval) against training step; the other agents as lines."""
    from .plots import _label, new_figure

    pts = evidence["points"]
    fig = new_figure()
    ax = fig.add_subplot()
    xs, ys = [p["step"] for p in pts], [p["rating"] for p in pts]
    err = None
    if all(isinstance(p["ci_low"], int | float) and isinstance(p["ci_high"], int | float) for p in pts):
        err = [
            [max(p["rating"] - p["ci_low"], 0.0) for p in pts],
            [max(p["ci_high"] - p["rating"], 0.0) for p in pts],
        ]
    ax.errorbar(xs, ys, yerr=err, fmt="o-", color="#1f4e79", capsize=3, label="snapshots")
    for other in evidence["others"]:
        ax.axhline(other["rating"], color="#888888", linestyle=":", linewidth=1)
        ax.annotate(
            _label(str(other["name"])),
            (xs[-1], other["rating"]),
            fontsize=7,
            color="#555555",
            xytext=(4, 2),
            textcoords="offset points",
        )
    rho = evidence["spearman"]
    ax.set_title(
        "Snapshot rating against training step (Spearman " + ("n/a" if rho is None else f"{rho:.2f}") + ")"
    )
    ax.set_xlabel("training step")
    ax.set_ylabel("tournament rating (Elo scale), 95 % interval")
    ax.grid(alpha=0.3)
    return fig


def summary_line(evidence: dict[str, Any] | None) -> str | None:
    """What the command prints: how many snapshots, and the rank correlation of step and rating."""
    if evidence is None:
        return None
    rho = evidence["spearman"]
    return (
        f"snapshots: {len(evidence['points'])}, steps {evidence['points'][0]['step']:,} to "
        f"{evidence['points'][-1]['step']:,}; Spearman(step, rating) = "
        + ("n/a (constant)" if rho is None else f"{rho:.3f}")
    )


def written_summary(out_dir) -> str | None:
    """The summary line of the evidence a report wrote into ``out_dir`` (None if it wrote none)."""
    import json
    from pathlib import Path

    path = Path(out_dir) / EVIDENCE_FILE
    if not path.is_file():
        return None
    try:
        return summary_line(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
