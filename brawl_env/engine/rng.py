"""Per-match random numbers: every random choice of a match comes from its own generator.

Each match owns one 64-bit generator state in ``State.rng``. The generator is SplitMix64 (Steele,
Lea and Flood, 2014): tiny, fast, and good enough for game choices. Python's ``random`` and numpy's
global state are never used, so a match replays alone, at any batch position.

Seeds are derived by one documented function, :func:`match_seed`: match ``k`` of a batch reset with
base seed ``s`` plays episode ``e`` with seed ``episode_seed(match_seed(s, k), e)``.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53

MASK64 = (1 << 64) - 1


@kernel
def mix64(z):
    """SplitMix64's finaliser: a bijective scramble of a 64-bit integer."""
    z = np.uint64(z)
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@kernel
def next_u64(rng, m):
    """Advance match ``m``'s generator and return 64 random bits."""
    rng[m] = rng[m] + _GOLDEN
    return mix64(rng[m])


@kernel
def uniform(rng, m):
    """A float in [0, 1) from match ``m``'s generator."""
    return np.float64(next_u64(rng, m) >> _S11) * _INV53


@kernel
def randint(rng, m, lo, hi):
    """An integer in [lo, hi] inclusive from match ``m``'s generator."""
    return lo + np.int64(uniform(rng, m) * (hi - lo + 1))


def mix64_array(z: np.ndarray) -> np.ndarray:
    """:func:`mix64` on a uint64 array, outside compiled code (numpy's uint64 arithmetic wraps, as the
    kernel's does): the one other spelling of the finaliser, for callers that hash many counters at once."""
    z = np.asarray(z, np.uint64)
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def _mix_py(z: int) -> int:
    return int(mix64_array(np.array([int(z) & MASK64], np.uint64))[0])


def match_seed(base_seed: int, index: int) -> int:
    """The 64-bit seed of match ``index`` in a batch reset with ``base_seed``."""
    if not isinstance(base_seed, (int, np.integer)) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"seeds and indices must be integers, got {base_seed!r} and {index!r}")
    return _mix_py(_mix_py(int(base_seed) & MASK64) + 0x9E3779B97F4A7C15 * (int(index) + 1))


_EPISODE_SALT = np.uint64(0x632BE59BD9B4E019)


@kernel
def episode_state(seed, episode):
    """The generator's starting state for episode ``episode`` of a match whose seed is ``seed``."""
    return mix64(np.uint64(seed) ^ mix64(np.uint64(episode) + _EPISODE_SALT))


def episode_seed(seed: int, episode: int) -> int:
    """Plain-Python twin of :func:`episode_state` (for tests and tools)."""
    return _mix_py((int(seed) & MASK64) ^ _mix_py(int(episode) + 0x632BE59BD9B4E019))
