"""Trainer plugins by name: the built-in one and the ``brawl_league.trainers`` entry-point group.

Listing names imports nothing heavy: a plugin's module (and torch) is imported only when asked for.
"""

from __future__ import annotations

import importlib
from importlib import metadata

GROUP = "brawl_league.trainers"
DEFAULT = "transformer-lstm-ppo"
BUILTIN = {DEFAULT: ("trainers.transformer_lstm_ppo.plugin:TransformerLstmPPOTrainer",
                     "transformer strategy encoder + 512-unit LSTM, recurrent PPO (sb3-contrib), league opponents")}


def available() -> dict[str, tuple[str, str]]:
    """``{name: (target, description or source)}`` for every trainer, built-ins first."""
    found = dict(BUILTIN)
    for ep in metadata.entry_points(group=GROUP):
        if ep.name not in found:
            dist = ep.dist.name if ep.dist is not None else "?"
            found[ep.name] = (ep.value, f"entry point ({dist})")
    return found


def trainer_class(name: str):
    """The trainer class registered as ``name``."""
    table = available()
    if name not in table:
        raise ValueError(f"unknown trainer {name!r}; trainers: {sorted(table)}")
    module, _, attr = table[name][0].partition(":")
    return getattr(importlib.import_module(module), attr)
