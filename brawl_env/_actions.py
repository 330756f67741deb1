"""Checking actions at the door: shape, dtype and values, with errors that say what is allowed."""

from __future__ import annotations

import numpy as np

from .engine.layout import KEY_LETTERS, N_KEYS

_KEYS_DOC = " ".join(KEY_LETTERS)


def check_keys(action, who: str) -> np.ndarray:
    """Return ``action`` as an array after checking it is ten keys of exactly 0 or 1.

    Booleans, integers and floats are accepted when every value is exactly 0 or 1 (SB3 hands float32
    actions over); nothing is rounded, clipped or cast away.
    """
    a = np.asarray(action)
    if a.shape != (N_KEYS,):
        raise ValueError(f"{who}: an action is {N_KEYS} keys ({_KEYS_DOC}), shape ({N_KEYS},); got shape {a.shape}")
    return check_values(a, who)


def check_batch_keys(actions, n: int) -> np.ndarray:
    """Like :func:`check_keys` for a batch of shape (n, 2, 10)."""
    a = np.asarray(actions)
    if a.shape != (n, 2, N_KEYS):
        raise ValueError(f"actions must have shape ({n}, 2, {N_KEYS}) (matches, players, keys {_KEYS_DOC}); got {a.shape}")
    return check_values(a, "actions")


def check_values(a: np.ndarray, who: str) -> np.ndarray:
    """Return ``a`` (keys of any shape) after checking every value is exactly 0 or 1 (bool, integer or
    float; NaN fails); a ``TypeError`` or ``ValueError`` names ``who`` and the first bad value."""
    kind = a.dtype.kind
    if kind == "b":
        return a
    if kind not in "iuf":
        raise TypeError(f"{who}: actions must be bool, integer or float 0/1 values; got dtype {a.dtype}")
    bad = (a != 0) & (a != 1)  # NaN is caught here too: it equals neither
    if bad.any():
        idx = np.argwhere(bad)[0]
        raise ValueError(f"{who}: every key must be exactly 0 or 1; got {a[tuple(idx)]!r} at index {tuple(int(i) for i in idx)}")
    return a
