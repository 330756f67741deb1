"""The report page of a training run directory."""

from __future__ import annotations

import math
from pathlib import Path

from .common import atomic_write, generated_at, png_size
from .data import WINDOW, RunData, judge, latest_numbers, load_run, opponent_category
from .html import Raw, bullet_list, esc, figure, num, page, table
from .plots import RUN_PLOTS, render

MAX_RATING_ROWS = 40
EVAL_ROWS = 12


def run_page(run_dir: Path, out_dir: Path) -> str:
    run = load_run(run_dir)
    parts = [f"<h1>Training run {esc(run_dir.name)}</h1>", _subtitle(run)]
    parts.append(_criteria_section(run))
    if run.notes or run.league.error:
        notes = list(run.notes) + ([f"league: {run.league.error}"] if run.league.error else [])
        parts.append('<section id="notes"><h2>Notes</h2>' + bullet_list(notes, "notes") + "</section>")
    parts.append(_summary_section(run))
    parts.append('<section id="plots"><h2>Plots</h2>')
    for name, alt, caption, draw in RUN_PLOTS:
        try:
            drawn = draw(run)
        except Exception as err:  # a plot that fails must not take the page with it
            drawn = f"could not draw this plot: {type(err).__name__}: {err}"
        data = render(drawn, alt)
        atomic_write(out_dir / f"{name}.png", data)
        parts.append(figure(f"{name}.png", alt, caption, f"plot-{name.replace('_', '-')}", png_size(data)))
    parts.append("</section>")
    parts.append(_opponents_section(run))
    parts.append(_evaluations_section(run))
    parts.append(_league_section(run))
    if run.config_text:
        parts.append(
            '<section id="config"><h2>Resolved config</h2><details><summary>config.toml</summary>'
            f"<pre>{esc(run.config_text)}</pre></details></section>"
        )
    return page(f"brawl-league report: {run_dir.name}", "\n".join(parts))


def _subtitle(run: RunData) -> str:
    done, total = run.steps_done, run.total_steps
    steps = f"{done:,} steps" + (f" of {total:,} ({100 * done / total:.0f} %)" if total else "")
    preset = run.config.get("train", {}).get("preset")
    bits = [steps, f"{len(run.monitor):,} episodes"]
    if preset:
        bits.insert(0, f"preset {preset}")
    return (
        f'<p class="sub">{esc(" · ".join(bits))}. Generated {esc(generated_at())} from '
        f"<code>{esc(run.directory)}</code>; run the command again to refresh a run that is still "
        "going.</p>"
    )


def _criteria_section(run: RunData) -> str:
    crits = judge(latest_numbers(run))
    rows, classes = [], []
    for c in crits:
        rows.append([c.label, c.target, c.shown(), c.status, c.source])
        classes.append(f"criterion {c.status.replace(' ', '-')}")
    met = sum(c.status == "met" for c in crits)
    note = (
        f"The training guide's success criteria for the end of a full run. Latest numbers: the last "
        f"evaluation for the win rate; the last {WINDOW} training episodes (all opponents) for the rest."
    )
    if run.config.get("env", {}).get("max_frames"):
        secs = run.config["env"]["max_frames"] / 30.0
        if secs <= 60.0:
            note += (
                f" Matches in this run last at most {secs:.0f} s, so the survival criterion cannot be met."
            )
    return (
        '<section id="criteria-section"><h2>Success criteria</h2>'
        f"<p>{esc(f'{met} of {len(crits)} met.')} {esc(note)}</p>"
        + table(
            ["criterion", "target", "latest", "status", "from"],
            rows,
            table_id="criteria",
            numeric=[False, True, True, False, False],
            row_classes=classes,
        )
        + "</section>"
    )


def _summary_section(run: RunData) -> str:
    rows: list[list] = []
    returns = [r for r in run.monitor.floats("r") if math.isfinite(r)]
    if returns:
        recent = returns[-WINDOW:]
        rows.append(["mean episode return", f"{sum(recent) / len(recent):.3f} (last {len(recent)} episodes)"])
    ev = run.evals.dicts()
    if ev:
        last = ev[-1]
        at = [r for r in ev if r.get("step") == last.get("step")]
        rates = ", ".join(
            f"{r.get('opponent') or 'BasedBot'} {num(_f(r.get('win_rate')), percent=True)}" for r in at
        )
        rows.append(
            [
                "evaluations",
                f"{len(ev)} rows; last at step {last.get('step')} "
                f"({last.get('games')} games per bot): win rate {rates}",
            ]
        )
    lg = run.league
    if lg.learner:
        mine = next((r for r in lg.ratings if r["name"] == lg.learner), None)
        if mine:
            rows.append(
                [
                    "learner Elo",
                    f"{mine['rating']:.0f} ({mine['games']} rated games, "
                    f"W/D/L {mine['wins']}/{mine['draws']}/{mine['losses']})",
                ]
            )
    if lg.snapshot_histories:
        rows.append(["snapshots", f"{len(lg.snapshot_histories)}"])
    if run.checkpoints:
        steps, path = run.checkpoints[-1]
        rows.append(["last checkpoint", f"{path.name} ({len(run.checkpoints)} kept)"])
    if not rows:
        rows.append(["status", "nothing logged yet"])
    summary = table(None, rows, table_id="summary-table")
    return f'<section id="summary"><h2>Summary</h2>{summary}</section>'


def _f(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _opponents_section(run: RunData) -> str:
    stats: dict[str, list[str]] = {}
    for result, kind, name in zip(
        run.behavior.strings("result"),
        run.behavior.strings("opponent_kind"),
        run.behavior.strings("opponent"),
        strict=True,
    ):
        stats.setdefault(opponent_category(kind, name), []).append(result)
    if not stats:
        return ""
    rows = []
    for cat, results in sorted(stats.items()):
        recent = results[-WINDOW:]
        rows.append(
            [
                cat,
                len(results),
                results.count("win"),
                results.count("draw"),
                results.count("loss"),
                Raw(num(results.count("win") / len(results), percent=True)),
                Raw(num(recent.count("win") / len(recent), percent=True)),
            ]
        )
    return (
        '<section id="opponents"><h2>Training episodes by opponent</h2>'
        + table(
            ["opponent", "episodes", "wins", "draws", "losses", "win rate", f"last {WINDOW}"],
            rows,
            table_id="opponents-table",
            numeric=[False] + [True] * 6,
        )
        + "</section>"
    )


def _evaluations_section(run: RunData) -> str:
    ev = run.evals.dicts()
    if not ev:
        return ""
    rows = []
    for e in ev[-EVAL_ROWS:]:
        dealt, taken = _f(e.get("avg_damage_dealt")), _f(e.get("avg_damage_taken"))
        rows.append(
            [
                e.get("step"),
                e.get("opponent"),
                e.get("games"),
                Raw(num(_f(e.get("win_rate")), percent=True)),
                Raw(num(_f(e.get("draw_rate")), percent=True)),
                Raw(num(dealt)),
                Raw(num(taken)),
                Raw(num(_f(e.get("avg_knockouts")), 2)),
                Raw(num(_f(e.get("avg_time_s")))),
                Raw(num(_f(e.get("learner_elo")), 0)),
            ]
        )
    more = f" (last {EVAL_ROWS} of {len(ev)})" if len(ev) > EVAL_ROWS else ""
    return (
        f'<section id="evaluations"><h2>Evaluations{esc(more)}</h2>'
        + table(
            [
                "step",
                "opponent",
                "games",
                "win",
                "draw",
                "damage dealt",
                "damage taken",
                "KOs",
                "match s",
                "learner Elo",
            ],
            rows,
            table_id="evaluations-table",
            numeric=[True, False] + [True] * 8,
        )
        + "</section>"
    )


def _league_section(run: RunData) -> str:
    ratings = run.league.ratings
    if not ratings:
        return ""
    rows = []
    for rank, r in enumerate(ratings[:MAX_RATING_ROWS], 1):
        rows.append(
            [
                rank,
                r["name"],
                r["kind"],
                r["step"] if r["step"] is not None else "",
                Raw(num(r["rating"], 0)),
                r["games"],
                f"{r['wins']}/{r['draws']}/{r['losses']}",
                "yes" if r["active"] else "retired",
            ]
        )
    more = f" (top {MAX_RATING_ROWS} of {len(ratings)})" if len(ratings) > MAX_RATING_ROWS else ""
    return (
        f'<section id="league"><h2>League ratings{esc(more)}</h2>'
        f"<p>Online Elo anchored at {esc(run.league.anchor)} = {run.league.anchor_rating:.0f}; "
        "the games column is the rating's uncertainty.</p>"
        + table(
            ["#", "player", "kind", "step", "Elo", "games", "W/D/L", "in pool"],
            rows,
            table_id="league-table",
            numeric=[True, False, False, True, True, True, True, False],
        )
        + "</section>"
    )
