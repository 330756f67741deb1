"""What every trainer plugin is: a class built from a validated config, given a league and a run
directory, reporting progress through one hook object.

Plugins register under the entry-point group ``brawl_league.trainers`` (``league.registry``). The
hook follows SB3's callback habit: the public ``on_*`` methods do the bookkeeping and call the
underscore hooks that subclasses override; an ``_on_progress`` returning False stops training.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

LOCK_FILE = ".train.lock"


class RunLockedError(ValueError):
    """Another process is training this run directory."""


@contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir/.train.lock`` exclusively while a run trains, so two processes (two ``--resume`` of
    one run) cannot both train it and overwrite each other's checkpoints.

    The lock is the operating system's (``flock``; ``msvcrt.locking`` on Windows), so a killed process
    releases it with no stale lock to clear; the file itself stays and only names its last holder.
    """
    fh = open(Path(run_dir) / LOCK_FILE, "a+")
    try:
        try:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - Windows
            import msvcrt

            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError:
        fh.seek(0)
        holder = fh.read().strip() or "another process"
        fh.close()
        raise RunLockedError(
            f"{run_dir} is being trained by {holder}; wait for it to finish (or stop it) "
            "before training this run again"
        ) from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"process {os.getpid()}\n")
        fh.flush()
        yield
    finally:
        fh.close()


@dataclass
class Progress:
    """One progress report: steps done, speed and the latest metrics (namespaced: charts/, losses/, league/, reward/)."""

    steps: int
    total_steps: int
    steps_per_s: float
    metrics: dict[str, Any] = field(default_factory=dict)


class ProgressHook:
    """Receives a trainer's reports. Override ``_on_start``, ``_on_progress`` (return False to stop),
    ``_on_checkpoint`` and ``_on_end``."""

    def __init__(self) -> None:
        self.reports = 0
        self.last: Progress | None = None

    def on_start(self, run_dir: Path, config: Any) -> None:
        self._on_start(run_dir, config)

    def on_progress(self, progress: Progress) -> bool:
        self.reports += 1
        self.last = progress
        return self._on_progress(progress) is not False

    def on_checkpoint(self, path: Path, steps: int) -> None:
        self._on_checkpoint(path, steps)

    def on_end(self, progress: Progress | None) -> None:
        self._on_end(progress)

    def _on_start(self, run_dir: Path, config: Any) -> None:
        pass

    def _on_progress(self, progress: Progress) -> bool | None:
        return True

    def _on_checkpoint(self, path: Path, steps: int) -> None:
        pass

    def _on_end(self, progress: Progress | None) -> None:
        pass


class Trainer:
    """Base class of trainer plugins.

    :param config: the plugin's validated config object.
    :param run_dir: where everything the run writes goes.
    :param league: an open :class:`league.store.League` (the run's league directory).
    :param hook: receives progress reports.
    """

    name: ClassVar[str] = "trainer"
    description: ClassVar[str] = ""
    #: the largest checkpoint file the registry reads for :meth:`load_agent` (None: no bound); a larger one
    #: is refused unread, so a stranger's huge file never reaches memory
    max_checkpoint_bytes: ClassVar[int | None] = None

    def __init__(self, config: Any, run_dir: Path, league: Any, hook: ProgressHook | None = None):
        self.config = config
        self.run_dir = Path(run_dir)
        self.league = league
        self.hook = hook or ProgressHook()

    @classmethod
    def load_config(cls, preset: str | None, config_file: str | None, overrides: list[str]) -> Any:
        """Build and validate the config from a preset, a TOML file and ``a.b=value`` overrides."""
        raise NotImplementedError

    def train(self, resume: bool = False) -> dict[str, Any]:
        """Run until the configured number of steps (or until the hook says stop); return a summary.

        ``brawl-league train`` prints these keys of the summary when they are there (``--json`` prints it
        whole): ``steps``, ``interrupted``, ``last_checkpoint``, ``learner_elo`` and ``time`` (seconds by
        part, with ``total``). A run directory whose ``checkpoints/`` holds none of the plugin's
        checkpoints (:meth:`is_checkpoint`) when training fails is removed again.
        """
        raise NotImplementedError

    # -- its checkpoints as agents (asked by the trainer registry, league.registry) ------------------------
    @classmethod
    def named_agents(cls) -> dict[str, Path]:
        """Checkpoints this plugin ships as agents named by a word (``{"Champion": path}``), so that
        ``brawl-league match Champion BasedBot`` needs no file path. Each file must be one this trainer
        claims (:meth:`is_checkpoint`). Asked only for a spec that is not a bot's name."""
        return {}

    @classmethod
    def is_checkpoint(cls, path: Path) -> bool:
        """Whether ``path`` is one of this trainer's checkpoints (by name, or by a look inside that runs
        nothing from the file). A trainer that claims none leaves its networks out of matches."""
        return False

    @classmethod
    def load_agent(
        cls,
        data: bytes,
        *,
        name: str,
        where: str,
        deterministic: bool = False,
        device: str = "cpu",
        path: str | None = None,
    ) -> Any:
        """A checkpoint's bytes as an agent of the one agent protocol (``brawl_env.bots.Agent``: rows in,
        keys out, a per-row reset with seeds), never running code from the file; errors name ``where``.
        ``deterministic``: press a key when its probability is above 1/2 instead of sampling."""
        raise NotImplementedError(f"trainer {cls.name!r} cannot load its checkpoints as agents")
