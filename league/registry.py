"""Trainer plugins by name: the ``brawl_league.trainers`` entry-point group.

Every trainer, the default ``transformer-lstm-ppo`` included, is found through its distribution's entry
points (``importlib.metadata``), so the league, tournaments and the command line take any installed
trainer without importing ``trainers`` themselves. Listing names imports nothing: a plugin's module (and
torch) is imported only when the plugin is asked for.

A plugin is a class with

- ``load_config(preset, config_file, overrides)``, a constructor ``(config, run_dir, league, hook)`` and
  ``train(resume)`` (see ``trainers.base.Trainer``);
- ``is_checkpoint(path) -> bool``: whether a file is one of its checkpoints (by name or by a look inside
  that runs nothing from the file);
- ``named_agents() -> {name: path}`` (optional): checkpoints the plugin ships as agents named by a word
  (the default trainer's ``Champion``), found by :func:`named_agent`;
- ``load_agent(data, *, name, where, deterministic=False, device="cpu", path=None)``: the checkpoint's
  bytes (``path`` is its file's name, for formats told apart by suffix) as an agent of the one agent
  protocol (``brawl_env.bots.Agent``), so its networks play matches, tournaments and the league. Errors
  say ``where`` (which agent, which file). Loading a checkpoint never runs code from it;
- optionally ``max_checkpoint_bytes``: the largest file it loads; a larger one is refused unread.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from pathlib import Path
from typing import Any

GROUP = "brawl_league.trainers"
#: the trainer ``brawl-league train`` runs when none is named
DEFAULT = "transformer-lstm-ppo"


def available() -> dict[str, tuple[str, str]]:
    """``{name: (target, source)}`` for every registered trainer, the default first."""
    found: dict[str, tuple[str, str]] = {}
    for ep in metadata.entry_points(group=GROUP):
        if ep.name not in found:  # the first distribution to register a name keeps it
            dist = ep.dist.name if ep.dist is not None else "?"
            found[ep.name] = (ep.value, f"entry point ({dist})")
    return dict(sorted(found.items(), key=lambda item: item[0] != DEFAULT))


def trainer_class(name: str) -> Any:
    """The trainer class registered as ``name``."""
    table = available()
    if name not in table:
        hint = (
            ""
            if table
            else " (none is registered: install the package, e.g. pip install -e ., so its "
            "entry points are found)"
        )
        from brawl_env.names import did_you_mean

        close = did_you_mean(name, list(table))
        raise ValueError(
            f"unknown trainer {name!r}; {close + ' ' if close else ''}trainers: {sorted(table)}{hint}"
        )
    module, _, attr = table[name][0].partition(":")
    return getattr(importlib.import_module(module), attr)


def checkpoint_trainer(path: str | Path) -> str | None:
    """The name of the trainer whose checkpoint ``path`` is, or None.

    Other plugins are asked before the default one, so a plugin that recognises its own files wins over
    the default's claim by file suffix (``.zip``, ``.pt``).
    """
    names = sorted(available(), key=lambda n: n == DEFAULT)  # the default last
    for name in names:
        claims = getattr(trainer_class(name), "is_checkpoint", None)
        if claims is not None and claims(Path(path)):
            return name
    return None


def named_agent(name: str) -> tuple[str, Path] | None:
    """``(trainer, checkpoint path)`` of the agent an installed trainer ships under ``name`` (its
    ``named_agents()``), or None. The default trainer is asked first, so its names cannot be shadowed."""
    for trainer in available():
        ships = getattr(trainer_class(trainer), "named_agents", None)
        found = ships().get(name) if ships is not None else None
        if found is not None:
            return trainer, Path(found)
    return None


def max_checkpoint_bytes(trainer: str) -> int | None:
    """The largest checkpoint file ``trainer`` loads (its class's ``max_checkpoint_bytes``; None: no bound),
    so a larger file is refused before it is read."""
    limit = getattr(trainer_class(trainer), "max_checkpoint_bytes", None)
    return None if limit is None else int(limit)


def load_checkpoint_agent(
    trainer: str,
    data: bytes,
    *,
    name: str,
    where: str,
    deterministic: bool = False,
    device: str = "cpu",
    path: str | None = None,
) -> Any:
    """An agent (``brawl_env.bots.Agent``) from a checkpoint's bytes, through ``trainer``'s plugin."""
    cls = trainer_class(trainer)
    loader = getattr(cls, "load_agent", None)
    if loader is None:
        raise ValueError(
            f"{where}: trainer {trainer!r} cannot load its checkpoints as agents (no load_agent)"
        )
    return loader(data, name=name, where=where, deterministic=deterministic, device=device, path=path)
