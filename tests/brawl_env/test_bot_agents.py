"""Bots as batched agents: a FrameBot's plan on arrays equals its slow twin run once per row (random
observations, real matches), one bot instance per row for every other bot, and per-row faults."""

from __future__ import annotations

import numpy as np
import pytest
from reference_bots import ReferenceBasedBot, ReferenceClockworkBot, ReferenceConstantBot

from brawl_env import BatchEnv
from brawl_env.bots import BotAgent, FrameAgent, Faults, bot_agent, load_bot
from brawl_env.bots import builtin as B
from brawl_env.engine import layout as L
from brawl_env.engine.obs import bounds
from brawl_env.match import run_match
from brawl_env.view import ObsView


def per_row_keys(bots, obs):
    return np.stack([bot.act(ObsView(o)) for bot, o in zip(bots, obs)])


CUSTOM_SHEET = {"sheet": [(3, ["left"]), (2, ["jump", "light"])], "loop": True}


@pytest.mark.parametrize(
    "make_bot, reference, kwargs",
    [
        (B.BasedBot, ReferenceBasedBot, {}),
        (B.ConstantBot, ReferenceConstantBot, {}),
        (B.ClockworkBot, ReferenceClockworkBot, {}),
        (B.ClockworkBot, ReferenceClockworkBot, CUSTOM_SHEET),
    ],
)
def test_batched_frame_bots_equal_one_bot_per_row_in_play(make_bot, reference, kwargs):
    """Both players of 8 matches are played by the batched bot and, in step, by one reference bot
    (plain Python, frame by frame) and one bot instance per (match, player); the keys agree every
    frame, across episode ends (max_frames is short)."""
    n = 8
    env = BatchEnv(n, max_frames=150)
    obs = env.reset(seed=4)
    fast = [bot_agent(make_bot, kwargs), bot_agent(make_bot, kwargs)]
    assert all(isinstance(f, FrameAgent) for f in fast)
    rows = np.arange(n)
    for f in fast:
        f.reset_rows(rows)
    slow = [[reference(**kwargs) for _ in range(n)] for _ in range(2)]
    single = [[make_bot(**kwargs) for _ in range(n)] for _ in range(2)]
    rng = np.random.default_rng(0)
    pressed = 0
    for frame in range(400):
        keys = np.zeros((n, 2, L.N_KEYS), np.uint8)
        for p in range(2):
            a = fast[p].act(obs[:, p].copy(), rows)
            np.testing.assert_array_equal(
                a, per_row_keys(slow[p], obs[:, p]), err_msg=f"frame {frame} player {p}"
            )
            np.testing.assert_array_equal(a, per_row_keys(single[p], obs[:, p]), err_msg=f"frame {frame}")
            keys[:, p] = a
        pressed += keys.sum()
        # player 1 sometimes presses random keys, so BasedBot meets more situations
        noise = rng.random((n, 1)) < 0.3
        keys[:, 1] = np.where(noise, rng.integers(0, 2, (n, L.N_KEYS)), keys[:, 1])
        obs, _, term, trunc, _ = env.step(keys)
        done = np.flatnonzero(term | trunc)
        if len(done):
            for p in range(2):
                fast[p].reset_rows(done)
                for k in done:
                    slow[p][k].reset()
                    single[p][k].reset()
    if make_bot is not B.ConstantBot:
        assert pressed > 0


def test_batched_basedbot_on_random_observations():
    """Random observations inside the Box reach every branch (edges, a stunned or KO'd opponent, the
    pit), with rows acting on different frames of their own counters."""
    low, high = bounds()
    rng = np.random.default_rng(7)
    n = 64
    fast = bot_agent("BasedBot")
    slow = [ReferenceBasedBot() for _ in range(n)]
    fast.reset_rows(np.arange(n))
    hits = np.zeros(L.N_KEYS, int)
    for _ in range(200):
        obs = rng.uniform(low, high, (n, len(low))).astype(np.float32)
        rows = np.flatnonzero(rng.random(n) < 0.6)  # not every row acts every call
        a = fast.act(obs[rows], rows)
        np.testing.assert_array_equal(a, per_row_keys([slow[r] for r in rows], obs[rows]))
        hits += a.sum(axis=0)
    for k in (L.K_LEFT, L.K_RIGHT, L.K_JUMP, L.K_LIGHT):
        assert hits[k] > 0


@pytest.mark.parametrize("opponent", ["SpacerBot", "RandomBot", "BasedBot"])
def test_basedbot_plays_real_matches_as_its_slow_twin(opponent):
    """Whole matches, key for key: BasedBot (its array plan, one row) and the plain-Python twin."""
    for seed in range(3):
        for side in (0, 1):
            bots = [load_bot(opponent), load_bot(opponent)]
            twins = [load_bot(opponent), load_bot(opponent)]
            bots[side], twins[side] = B.BasedBot(), ReferenceBasedBot()
            a = run_match(*bots, seed=seed, max_frames=900, record_keys=True)
            b = run_match(*twins, seed=seed, max_frames=900, record_keys=True)
            np.testing.assert_array_equal(a.keys, b.keys)
            assert a.final_hash == b.final_hash


def test_other_bots_play_one_instance_per_row():
    n = 5
    rows = np.arange(n)
    obs = np.zeros((n, len(bounds()[0])), np.float32)
    r1, r2 = bot_agent("RandomBot"), bot_agent("RandomBot")
    assert isinstance(r1, BotAgent)
    r1.reset_rows(rows, seeds=np.arange(n) + 100)
    r2.reset_rows(rows[::-1], seeds=(np.arange(n) + 100)[::-1])
    a = np.stack([r1.act(obs, rows) for _ in range(50)])
    # per row: depends only on the row's seed and frame, not on the batch it is called in
    b = np.stack([np.concatenate([r2.act(obs[:2], rows[:2]), r2.act(obs[2:], rows[2:])]) for _ in range(50)])
    np.testing.assert_array_equal(a, b)
    assert 0.4 < a.mean() < 0.6 and a.dtype == np.int8
    assert not np.array_equal(a[:, 0], a[:, 1])
    # and each row is RandomBot itself, reset with the row's seed
    alone = B.RandomBot()
    alone.reset(seed=102)
    np.testing.assert_array_equal(a[:, 2], np.stack([alone.act(ObsView(obs[2])) for _ in range(50)]))
    # one instance per row, created once and reset with its row's seed
    g = bot_agent("SpacerBot")
    env = BatchEnv(3, max_frames=100)
    o = env.reset(seed=1)
    g.reset_rows(np.arange(3))
    first = dict(g.bots)
    assert g.act(o[:, 0].copy(), np.arange(3)).shape == (3, L.N_KEYS)
    g.reset_rows(np.arange(3))
    assert g.bots == first and len(first) == 3  # the same instances, reset
    assert isinstance(bot_agent("BasedBot", batched=False), BotAgent)
    with pytest.raises(TypeError):
        BotAgent(int)


class Flaky(B.Bot):
    """Bad keys in row 1, a crash in row 2."""

    def reset(self, seed=None):
        self.seed = seed

    def act(self, view):
        if self.seed == 1:
            return np.full(10, 0.5)
        if self.seed == 2:
            raise ZeroDivisionError("boom")
        return np.ones(10, np.int8)


def test_bad_keys_fail_only_their_row_and_bot_errors_propagate():
    agent = BotAgent(Flaky)
    obs = np.zeros((2, len(bounds()[0])), np.float32)
    agent.reset_rows(np.array([0, 1]), seeds=np.array([0, 1]))
    with pytest.raises(Faults) as info:
        agent.act(obs, np.array([0, 1]))
    assert list(info.value.reasons) == [1] and "exactly 0 or 1" in info.value.reasons[1]
    np.testing.assert_array_equal(info.value.keys, [[1] * 10, [0] * 10])  # the healthy row's keys are kept
    agent.reset_rows(np.array([0]), seeds=np.array([2]))
    with pytest.raises(ZeroDivisionError):  # unguarded: a bot's own error is the caller's to handle
        agent.act(obs[:1], np.array([0]))
