"""The one key check (``brawl_env._actions``): its vectorised pass accepts exactly what the value-by-value
rule accepts (0 or 1, for every dtype), and the PettingZoo door's joint check of both agents raises the
same error, naming the same agent and key, as checking each agent alone."""

import numpy as np
import pytest

from brawl_env._actions import check_agents_keys, check_keys, check_values

AGENTS = ("player_0", "player_1")

DTYPES = [
    np.bool_,
    np.int8,
    np.uint8,
    np.int16,
    np.uint16,
    np.int32,
    np.uint32,
    np.int64,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_zeros_and_ones_of_every_dtype_pass_unchanged(dtype):
    a = (np.arange(10) % 2).astype(dtype)
    assert check_values(a, "x") is a


@pytest.mark.parametrize(
    "dtype, value",
    [
        (np.int8, -1),
        (np.int8, 2),
        (np.uint8, 255),
        (np.uint8, 2),
        # a bad value whose bytes are all 0 or 1: the byte pass must not be used beyond one-byte integers
        (np.int16, 256),
        (np.uint16, 257),
        (np.int32, 65_537),
        (np.uint64, 2**56),
        (np.int64, -(2**63)),
        (np.float16, 0.5),
        (np.float32, np.nan),
        (np.float32, -np.inf),
        (np.float64, 1.0 + 2**-52),
        (np.float64, 5e-324),
    ],
)
def test_any_other_value_is_refused_with_its_index(dtype, value):
    a = np.zeros((3, 10), dtype)
    a[2, 7] = value
    with pytest.raises(ValueError, match=r"x: every key must be exactly 0 or 1; got .* at index \(2, 7\)"):
        check_values(a, "x")


def test_non_numeric_dtypes_are_a_type_error():
    for a in (np.array(["1"] * 10), np.ones(10, complex), np.array([1] * 10, object)):
        with pytest.raises(
            TypeError, match=f"x: actions must be bool, integer or float 0/1 values; got dtype {a.dtype}"
        ):
            check_values(a, "x")


def _outcome(fn):
    try:
        return "ok", np.asarray(fn()).astype(np.float64).tolist()
    except (ValueError, TypeError) as e:
        return type(e).__name__, str(e)


GOOD = [
    np.zeros(10, np.uint8),
    np.ones(10, np.int8),
    (np.arange(10) % 2).astype(np.float32),
    np.ones(10, bool),
    [0, 1] * 5,
    np.array([1.0, 0.0] * 5),
    np.arange(30, dtype=np.int64)[::3] % 2,
]
BAD = [
    np.zeros(9, np.uint8),
    np.zeros((1, 10), np.uint8),
    np.full(10, 2, np.int8),
    np.full(10, 0.5),
    np.array([np.nan] + [0.0] * 9),
    np.array(["1"] * 10),
    np.ones(10, complex),
    [0] * 9 + [None],
    1,
    None,
    np.full(10, 256, np.int16),
    [[0] * 10],
]


@pytest.mark.parametrize("first", GOOD + BAD, ids=range(len(GOOD + BAD)))
@pytest.mark.parametrize("second", GOOD[:3] + BAD, ids=range(3 + len(BAD)))
def test_the_joint_check_agrees_with_each_agents_check(first, second):
    def alone():
        return np.stack([check_keys(first, AGENTS[0]), check_keys(second, AGENTS[1])])

    joint = _outcome(lambda: check_agents_keys((first, second), AGENTS))
    assert joint == _outcome(alone)
    if joint[0] != "ok":  # the message names the first agent whose keys are bad
        culprit = AGENTS[0] if _outcome(lambda: check_keys(first, AGENTS[0]))[0] != "ok" else AGENTS[1]
        assert joint[1].startswith(culprit + ": ")
