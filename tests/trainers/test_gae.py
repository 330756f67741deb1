"""The rollout's advantages and returns against values worked out by hand (GAE, Schulman et al. 2016).

One env, three steps, gamma = lam = 0.5; rewards 1, 2, 4; values 0.5, 1, 2; an episode ends after step 1
(step 2 starts a new one); the value after the rollout is 3.

    step 2: delta = 4 + 0.5 * 3 - 2 = 3.5                 A = 3.5            (the rollout's last step)
    step 1: delta = 2 + 0 - 1 = 1 (its episode ends)       A = 1
    step 0: delta = 1 + 0.5 * 1 - 0.5 = 1                  A = 1 + 0.25 * 1 = 1.25
    returns = A + V = 1.75, 2, 5.5

If the env is done at the rollout's end, step 2 bootstraps nothing: delta = A = 4 - 2 = 2, return 4.
"""

from __future__ import annotations

import numpy as np
import pytest

from trainers.transformer_lstm_ppo.algo import _Rollout


def _rollout() -> _Rollout:
    roll = _Rollout(t=3, n=1, obs_dim=1, n_keys=1, enc_dim=1, window=2, chunk=3)
    roll.rewards[:, 0] = [1.0, 2.0, 4.0]
    roll.values[:, 0] = [0.5, 1.0, 2.0]
    roll.starts[:, 0] = [1.0, 0.0, 1.0]
    return roll


@pytest.mark.parametrize(
    "done, advantages, returns",
    [
        (False, [1.25, 1.0, 3.5], [1.75, 2.0, 5.5]),
        (True, [1.25, 1.0, 2.0], [1.75, 2.0, 4.0]),
    ],
)
def test_advantages_and_returns_equal_the_hand_computed_values(done, advantages, returns):
    roll = _rollout()
    roll.compute_returns_and_advantage(np.array([3.0]), np.array([done]), gamma=0.5, lam=0.5)
    assert roll.advantages[:, 0].tolist() == pytest.approx(advantages)
    assert roll.returns[:, 0].tolist() == pytest.approx(returns)
