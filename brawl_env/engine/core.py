"""``Engine``: N matches, their arrays, and the three compiled calls (reset, step, observe).

The doors (PettingZoo, BatchEnv) are thin wrappers over this class; it does no input checking itself.
"""

from __future__ import annotations

import numpy as np

from ..config import EnvConfig
from . import layout as L
from .moves import MoveTable
from .moves import load as load_moves
from .obs import OBS_DIM
from .rng import match_seed
from .state import State, allocate, nbytes
from .step import StepOut, allocate_out, reset_batch, step_batch


class Engine:
    """The state of ``n`` matches plus preallocated step outputs."""

    def __init__(self, n: int, config: EnvConfig, moves: MoveTable | None = None):
        self.n = n
        self.moves = moves if moves is not None else load_moves()
        self.config = config
        self.cfg = np.zeros(L.N_CFG, np.int64)
        self.cfg[L.CFG_MAX_FRAMES] = config.max_frames
        self.cfg[L.CFG_STOCKS] = config.stocks
        self.cfg[L.CFG_DAMAGE_TIEBREAK] = int(config.damage_tiebreak)
        self.cfg[L.CFG_SAME_FLOOR] = int(config.spawn == "same_floor")
        self.state: State = allocate(n)
        self.out: StepOut = allocate_out(n, OBS_DIM)
        self.keys = np.zeros((n, 2, L.N_KEYS), np.uint8)

    def reset(self, seeds: np.ndarray) -> None:
        """Start every match from its own 64-bit seed."""
        self.state.seed[:] = seeds
        reset_batch(self.state, self.cfg)

    def reset_from_base(self, base_seed: int) -> None:
        """Seed match k with ``match_seed(base_seed, k)`` and start it."""
        self.reset(np.array([match_seed(base_seed, k) for k in range(self.n)], dtype=np.uint64))

    def step(self, auto_reset: bool) -> StepOut:
        """Advance every running match one frame using ``self.keys``."""
        step_batch(self.state, self.moves, self.cfg, self.keys, self.out, auto_reset)
        return self.out

    def nbytes(self) -> int:
        return nbytes(self.state)
