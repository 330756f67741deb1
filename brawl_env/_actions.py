"""Checking actions at the door: shape, dtype and values, with errors that say what is allowed.

One mechanism for every door (PettingZoo, BatchEnv, SB3 interop, trainers, bot guards): a value check that
costs one vectorised pass when the keys are good, and works out which value is bad (for the message) only
when they are not. The PettingZoo door checks both agents' keys in that one pass (:func:`check_agents_keys`)
and re-checks agent by agent only to name the culprit, so a step costs about a microsecond of checking.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .engine.layout import KEY_LETTERS, N_KEYS

_KEYS_DOC = " ".join(KEY_LETTERS)
_ZERO_ONE = b"\x00\x01"


def check_keys(action, who: str) -> np.ndarray:
    """Return ``action`` as an array after checking it is ten keys of exactly 0 or 1.

    Booleans, integers and floats are accepted when every value is exactly 0 or 1 (SB3 hands float32
    actions over); nothing is rounded, clipped or cast away.
    """
    a = np.asarray(action)
    if a.shape != (N_KEYS,):
        raise ValueError(
            f"{who}: an action is {N_KEYS} keys ({_KEYS_DOC}), shape ({N_KEYS},); got shape {a.shape}"
        )
    return check_values(a, who)


def check_agents_keys(actions: Sequence, whos: Sequence[str]) -> np.ndarray:
    """Every agent's keys as one ``(len(actions), 10)`` array, checked as :func:`check_keys` checks each.

    The good case costs one array build and one vectorised value check for all agents together (the
    PettingZoo door calls this every step). Anything else is re-checked agent by agent with
    :func:`check_keys`, so the error is the same one, naming the agent (from ``whos``) and the bad key.
    """
    try:
        a = np.array(actions)
    except (ValueError, TypeError):  # ragged shapes or unconvertible objects: let check_keys say which
        a = None
    if a is not None and a.shape == (len(whos), N_KEYS) and _all_zero_one(a):
        return a
    checked = [check_keys(x, who) for x, who in zip(actions, whos, strict=True)]
    return np.stack(checked)  # reached only if the joint build refused what each agent's check accepts


def check_batch_keys(actions, n: int) -> np.ndarray:
    """Like :func:`check_keys` for a batch of shape (n, 2, 10)."""
    a = np.asarray(actions)
    if a.shape != (n, 2, N_KEYS):
        raise ValueError(
            f"actions must have shape ({n}, 2, {N_KEYS}) (matches, players, keys {_KEYS_DOC}); got {a.shape}"
        )
    return check_values(a, "actions")


def check_values(a: np.ndarray, who: str) -> np.ndarray:
    """Return ``a`` (keys of any shape) after checking every value is exactly 0 or 1 (bool, integer or
    float; NaN fails); a ``TypeError`` or ``ValueError`` names ``who`` and the first bad value."""
    kind = a.dtype.kind
    if kind not in "biuf":
        raise TypeError(f"{who}: actions must be bool, integer or float 0/1 values; got dtype {a.dtype}")
    if _all_zero_one(a):
        return a
    bad = (a != 0) & (a != 1)  # NaN is caught here too: it equals neither
    idx = np.argwhere(bad)[0]
    raise ValueError(
        f"{who}: every key must be exactly 0 or 1; got {a[tuple(idx)]!r} at index {tuple(int(i) for i in idx)}"
    )


def _all_zero_one(a: np.ndarray) -> bool:
    """Whether ``a`` is bool, integer or float and every value is exactly 0 or 1, in one vectorised pass.

    One-byte integers (int8 and uint8, what samplers and most callers hand over) hold one value per byte,
    so deleting the bytes 0 and 1 must leave nothing: a C-level pass over the buffer, much cheaper than
    numpy's comparisons and reductions at ten keys. Other dtypes compare ``a`` with ``a != 0`` (0 or 1 as
    bool): equal exactly for 0 and 1, unequal for anything else, NaN included.
    """
    char = a.dtype.char
    if char in "bB":  # int8, uint8
        return not a.tobytes().translate(None, _ZERO_ONE)
    if char == "?":
        return True
    if a.dtype.kind not in "iuf":
        return False
    return not np.count_nonzero(a != (a != 0))
