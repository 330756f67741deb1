"""``brawl-league train``: pick a trainer plugin, resolve its config, run it with a live display.

Kept apart from ``cli.py`` so that the command's imports (torch, SB3, the trainer plugins) load only when
it runs: ``cli.py`` imports this module inside the command.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from trainers.base import ProgressHook

# a step total no run reaches: commands whose budget is wall time (`exploit --minutes`,
# benchmarks/learning.py --minutes) set it so that the minutes, not the preset's total, end the run
NO_STEP_LIMIT = 1_000_000_000


def run_name(preset: str, seed: int) -> str:
    """``<preset>-s<seed>-<UTC time>``: a run's directory name says what and when."""
    return f"{preset}-s{seed}-{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}"


class RichProgressHook(ProgressHook):
    """A live rich panel: steps, steps/s, ETA, episode return, win rate by opponent kind, Elo, checkpoint.

    :param console: the rich console the command prints to.
    :param device_line: what the run's first line says about the device.
    """

    def __init__(self, console: Console, device_line: str):
        super().__init__()
        self.console, self.device_line = console, device_line
        self.checkpoint: str | None = None
        self.live: Live | None = None
        self.t0 = time.perf_counter()

    def _on_start(self, run_dir, config):
        self.console.print(
            f"[bold]run[/bold] {run_dir}  ({config.preset} preset, seed {config.seed}); {self.device_line}"
        )
        self.live = Live(self._table(None), console=self.console, refresh_per_second=2, transient=False)
        self.live.start()
        self.t0 = time.perf_counter()

    def _on_progress(self, progress):
        self.live.update(self._table(progress))
        return True

    def _on_checkpoint(self, path, steps):
        self.checkpoint = f"{path.name}"

    def _on_end(self, progress):
        if self.live is not None:
            self.live.update(self._table(progress))
            self.live.stop()

    def _table(self, p):
        table = Table(show_header=False, box=None, title="training", title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        if p is None:
            table.add_row("steps", "starting ...")
            return table
        eta = (p.total_steps - p.steps) / p.steps_per_s if p.steps_per_s > 0 else float("nan")
        table.add_row("steps", f"{p.steps:,} / {p.total_steps:,}")
        table.add_row("steps/s", f"{p.steps_per_s:,.0f}")
        table.add_row("ETA", time.strftime("%H:%M:%S", time.gmtime(eta)) if eta == eta else "-")
        m = p.metrics
        ret = m.get("charts/episodic_return")
        table.add_row("episode return (last 100)", "-" if ret is None else f"{ret:.2f}")
        for key, value in sorted(m.items()):
            if key.startswith("charts/win_rate_vs_") and value is not None:
                table.add_row(f"win rate vs {key.rsplit('_', 1)[-1]}", f"{100 * value:.0f} %")
        evals = [
            (k[len("eval/win_rate_vs_") :], v)
            for k, v in m.items()
            if k.startswith("eval/win_rate_vs_") and v is not None
        ]
        if evals:  # one line per bot, in the evaluation's order (weakest first)
            for bot, value in evals:
                table.add_row(f"eval win rate vs {bot}", f"{100 * value:.0f} %")
        table.add_row("learner Elo", f"{m.get('league/learner_elo', 0):.0f}")
        table.add_row("learner share of time", f"{100 * m.get('charts/learner_share', 0):.0f} %")
        table.add_row("last checkpoint", self.checkpoint or "-")
        return table


def train(
    trainer: str,
    preset: str | None,
    config_file: str | None,
    overrides: list[str],
    device: str | None,
    seed: int | None,
    resume: str | None,
    runs_dir: str,
    name: str | None,
    console,
) -> dict[str, Any]:
    """Resolve everything, then run the trainer; returns its summary.

    Nothing is created before the config, the device and the folder have been checked; a new run that
    fails before its first checkpoint is removed again (so a retry can use the same name).
    """
    from league.folders import check_writable, league_dir
    from league.registry import trainer_class
    from league.store import League

    cls = trainer_class(trainer)
    overrides = list(overrides)
    if device is not None:
        overrides.append(f"device={device}")
    if seed is not None:
        overrides.append(f"seed={seed}")
    if resume:
        run_dir = Path(resume)
        if not (run_dir / "config.toml").exists():
            raise FileNotFoundError(f"--resume: {run_dir} has no config.toml (is it a run directory?)")
        config = cls.load_config(None, str(run_dir / "config.toml"), overrides)
        check_writable(run_dir, "--resume")
    else:
        config = cls.load_config(preset, config_file, overrides)
        run_dir = Path(runs_dir) / (name or run_name(config.preset, config.seed))
        if run_dir.exists() and any(run_dir.iterdir()):
            raise FileExistsError(
                f"{run_dir} exists and is not empty: use --resume {run_dir} or another --name"
            )
        check_writable(run_dir, "--runs-dir")
    device_line, device_say = "device: the trainer's choice", None
    if hasattr(cls, "resolve_device"):  # a plugin that picks a torch device says which, and why
        dev, reason = cls.resolve_device(config.device)  # a device that is not there fails here, nothing made
        device_line, device_say = f"device {dev}", f"device: [bold]{dev}[/bold] ({reason})"
    created = run_dir
    while not created.parent.exists():  # the outermost folder this call makes (runs/ may be new too)
        created = created.parent
    made = not created.exists()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        league = League.open(league_dir(run_dir), create=True, config=_league_config(config))
        if device_say is not None:
            console.print(device_say)
        hook = RichProgressHook(console, device_line)
        try:
            return cls(config, run_dir, league, hook).train(resume=bool(resume))
        finally:
            league.close()
    except BaseException:
        ckpts = run_dir / "checkpoints"
        kept = ckpts.is_dir() and any(cls.is_checkpoint(p) for p in ckpts.iterdir())
        if not resume and not kept:  # the plugin's own checkpoints, whatever their suffix
            _remove_new_run(created if made else run_dir, keep_folder=not made)
        raise


def _remove_new_run(folder: Path, keep_folder: bool) -> None:
    """Remove what a failed start of a new run made: the folder (or, if it existed empty, its contents)."""
    import shutil

    if not keep_folder:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _league_config(config):
    """The run's league settings: the trainer config's ``league`` section (a ``LeagueConfig`` as the default
    trainer types it, or the keys another plugin keeps as a table)."""
    from league.config import LeagueConfig, make_league_config

    section = getattr(config, "league", {})
    return section if isinstance(section, LeagueConfig) else make_league_config(**section)
