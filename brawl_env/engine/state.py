"""The state of N matches as a struct of flat arrays.

``allocate(n)`` builds every array once; the engine writes them in place. Column names are in
``layout.py``. Rule constants live apart, in ``params.py``; the per-engine configuration (frame limit,
stocks, tie-break) is the small ``cfg`` row.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import layout as L
from .obs import OBS_DIM


class State(NamedTuple):
    """Everything that changes while N matches run. Shapes: ``(n, 2, ...)`` per player, ``(n, ...)`` per match."""

    pf: np.ndarray  # (n, 2, N_PF) float64: positions, velocities, damage ...
    pi: np.ndarray  # (n, 2, N_PI) int32: state machine, timers, counters, keys ...
    mf: np.ndarray  # (n, N_MF) float64: the moving platform
    it: np.ndarray  # (n, N_ITEMS, N_IT) int32: spawners and dropped weapons
    itf: np.ndarray  # (n, N_ITEMS, N_ITF) float64: their positions
    mi: np.ndarray  # (n, N_MI) int64: frame, done flag, result, episode
    seed: np.ndarray  # (n,) uint64: the match's seed (episodes derive from it)
    rng: np.ndarray  # (n,) uint64: the match's generator state
    ev: np.ndarray  # (n, 2, N_EV) float32: events of the last frame
    st: np.ndarray  # (n, 2, N_ST) float64: statistics of the current episode
    obs: np.ndarray  # (n, 2, OBS_DIM) float32: each player's observation, itself first


def allocate(n: int) -> State:
    """Zeroed arrays for ``n`` matches (call the engine's reset before stepping)."""
    return State(
        pf=np.zeros((n, 2, L.N_PF), np.float64),
        pi=np.zeros((n, 2, L.N_PI), np.int32),
        mf=np.zeros((n, L.N_MF), np.float64),
        it=np.zeros((n, L.N_ITEMS, L.N_IT), np.int32),
        itf=np.zeros((n, L.N_ITEMS, L.N_ITF), np.float64),
        mi=np.zeros((n, L.N_MI), np.int64),
        seed=np.zeros(n, np.uint64),
        rng=np.zeros(n, np.uint64),
        ev=np.zeros((n, 2, L.N_EV), np.float32),
        st=np.zeros((n, 2, L.N_ST), np.float64),
        obs=np.zeros((n, 2, OBS_DIM), np.float32),
    )


def nbytes(state: State) -> int:
    """Bytes held by the state arrays."""
    return sum(a.nbytes for a in state)
