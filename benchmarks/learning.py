"""Learning benchmark: train a preset for a fixed wall time or step count, then play seeded matches.

    python benchmarks/learning.py --minutes 15 --games 100 --json docs/data/learning_smoke.json
    python benchmarks/learning.py --steps 1000000 --seed 1 --set ppo.teacher='"ArmoryBot"' --json ...

Trains ``--preset`` (default ``smoke``) on the CPU for ``--minutes`` of wall time (the trainer stops
cleanly at the next progress report after the limit and saves its checkpoint) or for exactly
``--steps`` steps (deterministic on one machine, whatever else runs on it: use it for ablations on a
shared machine), then plays ``--games`` seeded matches of the final policy (sampling its actions, as in
training) against every built-in bot under the tournament's default rules (2,700 frames, 3 stocks, no
damage tie-break), all in one batch. Prints a table and the learning curve (the run's
``evaluation_results.csv``, per bot); ``--json`` writes everything to a file. ``--set`` overrides preset
fields as in ``brawl-league train``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
from pathlib import Path

BOTS = ["ConstantBot", "RandomBot", "ClockworkBot", "BasedBot", "SpacerBot", "EdgeGuardBot", "ArmoryBot"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="smoke")
    ap.add_argument("--minutes", type=float, default=15.0)
    ap.add_argument(
        "--steps", type=int, default=None, help="train exactly this many steps (overrides --minutes)"
    )
    ap.add_argument("--games", type=int, default=100)
    ap.add_argument("--bots", nargs="+", default=BOTS)
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs-dir", default="runs")
    ap.add_argument("--name", default=None)
    ap.add_argument("--json", dest="json_out", default=None, metavar="FILE")
    args = ap.parse_args(argv)

    import torch
    from rich.console import Console
    from rich.table import Table

    from league.folders import league_dir
    from league.store import League
    from brawl_league.train_command import NO_STEP_LIMIT, _league_config, run_name
    from trainers.base import ProgressHook
    from trainers.evaluate import summarise
    from league.registry import trainer_class
    from trainers.transformer_lstm_ppo.checkpoint import load_policy, read_file
    from trainers.transformer_lstm_ppo.plugin import checkpoints
    from trainers.transformer_lstm_ppo.run_callback import evaluate_bots

    console = Console(stderr=True)
    limit = args.minutes * 60.0 if args.steps is None else float("inf")
    cls = trainer_class("transformer-lstm-ppo")
    # without --steps, a run long enough never to end by itself: the wall-time limit ends it
    total = NO_STEP_LIMIT if args.steps is None else args.steps
    # --minutes (or --steps) is this script's budget, not the preset's: a preset's own run.max_minutes
    # (standard's 15) would otherwise end a longer --minutes run early; --set can still give one
    budget = [f"run.total_steps={total}", "run.max_minutes=0", "device=cpu", f"seed={args.seed}"]
    config = cls.load_config(args.preset, None, [*budget, *args.overrides])
    run_dir = Path(args.runs_dir) / (args.name or f"learning-{run_name(config.preset, config.seed)}")
    if run_dir.exists() and any(run_dir.iterdir()):
        ap.error(f"{run_dir} exists and is not empty: pass another --name")
    run_dir.mkdir(parents=True, exist_ok=True)
    league = League.open(league_dir(run_dir), create=True, config=_league_config(config))

    class TimeLimit(ProgressHook):
        def _on_start(self, run_dir, config):
            self.t0 = time.perf_counter()
            self._printed = 0.0

        def _on_progress(self, p):
            now = time.perf_counter() - self.t0
            if now - self._printed >= 30:
                self._printed = now
                ret = p.metrics.get("charts/episodic_return")
                console.print(
                    f"{now / 60:5.1f} min  {p.steps:>9,} steps  {p.steps_per_s:,.0f} steps/s  "
                    f"return {'-' if ret is None else f'{ret:.1f}'}"
                )
            return now < limit

    t0 = time.perf_counter()
    summary = cls(config, run_dir, league, TimeLimit()).train()
    train_s = time.perf_counter() - t0
    league.close()
    steps = summary["steps"]
    console.print(
        f"trained {steps:,} steps ({steps * config.model.action_repeat:,} frames) in {train_s / 60:.1f} min"
    )

    torch.manual_seed(args.seed)
    last = checkpoints(run_dir)[-1][1]
    policy = load_policy(read_file(last), str(last))  # the one safe loader, in eval mode on the CPU
    t_eval = time.perf_counter()
    by_bot = evaluate_bots(
        policy, args.bots, args.games, args.seed, config.model.action_repeat, seed_offset=104_729
    )
    results = {bot: summarise(games) for bot, games in by_bot.items()}
    eval_s = time.perf_counter() - t_eval
    table = Table(
        title=f"{args.preset}: {steps:,} steps in {train_s / 60:.1f} min, {args.games} seeded matches "
        "each (2,700 frames, 3 stocks)"
    )
    for col in ("opponent", "wins", "draws", "losses", "damage dealt", "damage taken", "KOs", "KOd"):
        table.add_column(col, justify="right")
    for bot, s in results.items():
        loss = 1 - s["win_rate"] - s["draw_rate"]
        table.add_row(
            bot,
            f"{100 * s['win_rate']:.0f} %",
            f"{100 * s['draw_rate']:.0f} %",
            f"{100 * loss:.0f} %",
            f"{s['avg_damage_dealt']:.1f}",
            f"{s['avg_damage_taken']:.1f}",
            f"{s['avg_knockouts']:.2f}",
            f"{s['avg_knocked_out']:.2f}",
        )
    Console().print(table)
    curve: dict[int, dict] = {}
    eval_csv = run_dir / "evaluation_results.csv"
    if eval_csv.exists():
        with eval_csv.open() as fh:
            for r in csv.DictReader(line for line in fh if not line.startswith("#")):
                curve.setdefault(int(r["step"]), {"step": int(r["step"])})[r["opponent"]] = float(
                    r["win_rate"]
                )
        for row in curve.values():
            Console().print(
                f"  step {row['step']:>9,}  "
                + "  ".join(f"{k[:6]} {100 * v:3.0f}%" for k, v in row.items() if k != "step")
            )
    curve = list(curve.values())
    if args.json_out:
        out = {
            "preset": args.preset,
            "overrides": args.overrides,
            "minutes": args.minutes,
            "steps_asked": args.steps,
            "train_s": round(train_s, 1),
            "eval_s": round(eval_s, 1),
            "seed": args.seed,
            "steps": steps,
            "frames": steps * config.model.action_repeat,
            "games": args.games,
            "results": results,
            "curve": curve,
            "run_dir": str(run_dir),
            "machine": {
                "cpus": os.cpu_count(),
                "processor": platform.processor() or platform.machine(),
                "python": platform.python_version(),
                "torch": torch.__version__,
                "load_1min_at_end": round(os.getloadavg()[0], 2),
            },
            "date": time.strftime("%Y-%m-%d"),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        }
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
