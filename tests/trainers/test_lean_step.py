"""The lean rollout step gives the rollouts the step before it gave, step for step.

``data/lean_step_golden.json`` was recorded with the step as it was before it was made lean (commit
message "lean step: golden rollouts ..."): a ``LeagueVecEnv`` of scripted bots with action repeat (every
observation, reward, done flag, slot, opponent and info, field by field), and a ``TransformerLSTMPPO``
collecting three rollouts from such an env with a teacher and time-limit bootstraps (the rollout buffer,
the teacher's keys and the episodes SB3 logs). The env's figures are exact (numpy and numba only); the
learner's values and log-probabilities are torch's on a CPU and are compared to 1e-5, its sampled keys
exactly. Regenerate only for a change that means to alter rollouts:
``PYTHONPATH=$PWD python tests/trainers/test_lean_step.py --write``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from brawl_env.bots import bot_agent
from brawl_env.engine import layout as L
from trainers.envs import LeagueVecEnv
from trainers.opponents import OpponentSpec

GOLDEN = Path(__file__).with_name("data") / "lean_step_golden.json"
SPECS = [
    OpponentSpec("bot", "ConstantBot"),
    OpponentSpec("bot", "BasedBot"),
    OpponentSpec("bot", "RandomBot"),
]
CFG = dict(rewards="guide", max_frames=60, stocks=1)


def _digest(a) -> str:
    a = np.ascontiguousarray(a)
    return hashlib.sha256(str((a.dtype.str, a.shape)).encode() + a.tobytes()).hexdigest()[:16]


def _bits(a) -> str:
    return "".join(str(int(x)) for x in a)


def _env(n: int, seed: int, repeat: int) -> LeagueVecEnv:
    return LeagueVecEnv(
        n,
        env_config=CFG,
        choose_opponent=lambda rng: SPECS[int(rng.integers(len(SPECS)))],
        make_opponent=lambda spec: bot_agent(spec.name),
        seed=seed,
        action_repeat=repeat,
    )


def _info(info: dict) -> dict:
    """An info dict as JSON: arrays by digest, the episode's wall-clock time left out."""
    out = {}
    for key, value in sorted(info.items()):
        if key == "terminal_observation":
            out[key] = _digest(value)
        elif key == "episode":
            out[key] = {k: v for k, v in value.items() if k != "t"}
        else:
            out[key] = value
    return out


def env_trace(steps: int = 120) -> list[dict]:
    """Every step of 8 matches against three scripted bots, 2 frames a step; the learner's keys mostly
    run right (knockouts at various frames), some random (frame limits)."""
    env = _env(8, seed=5, repeat=2)
    rng = np.random.default_rng(3)
    obs = env.reset()
    trace = [dict(obs=_digest(obs), slots=_bits(env.learner_slots), reset_infos=env.reset_infos)]
    for _ in range(steps):
        act = rng.integers(0, 2, (8, L.N_KEYS)).astype(np.float32)
        act[0::2] = 0
        act[0::2, L.K_RIGHT] = rng.random(4) < 0.8
        obs, rew, done, infos = env.step(act)
        trace.append(
            dict(
                obs=_digest(obs),
                dtypes=[obs.dtype.str, rew.dtype.str, done.dtype.str],
                rewards=_digest(rew),
                dones=_bits(done),
                starts=_bits(env.episode_starts),
                slots=_bits(env.learner_slots),
                opponents="".join(s.name[0] for s in env.opponent_specs),
                opp_obs=_digest(env.opponent_obs),
                infos={str(k): _info(d) for k, d in enumerate(infos) if d},
                n_infos=len(infos),
            )
        )
    env.close()
    return trace


def learner_trace(rollouts: int = 3, pack: bool | None = None) -> list[dict]:
    """Three rollouts of 16 steps from 4 matches (episodes of 60 frames, 2 frames a step: resets inside
    rollouts and carries across them), with a teacher and time-limit bootstraps. ``pack``: bring the
    learner's outputs to the host in one packed copy (as on a GPU) or not (default: as on this device)."""
    import torch
    from stable_baselines3.common.callbacks import BaseCallback

    from trainers.transformer_lstm_ppo.algo import TransformerLSTMPPO
    from trainers.transformer_lstm_ppo.sb3_adapter import prepare_learn

    class Nop(BaseCallback):
        def _on_step(self):
            return True

    torch.manual_seed(0)
    model = TransformerLSTMPPO(
        env=_env(4, seed=7, repeat=2),
        n_steps=16,
        batch_size=32,
        n_epochs=1,
        seed=0,
        device="cpu",
        teacher="BasedBot",
        teacher_steps=10**9,
        bootstrap_truncation=True,
        policy_kwargs=dict(
            lstm_hidden_size=16,
            features_extractor_kwargs=dict(frame_dim=16, d_model=16, heads=2, layers=1, window=8, ffn=32),
        ),
    )
    with torch.no_grad():  # large heads: the keys and values depend strongly on the inputs
        model.policy.action_net.weight.normal_(0, 1.0)
        model.policy.value_net.weight.normal_(0, 1.0)
    if pack is not None:
        model._pack_to_host = pack
    cb = prepare_learn(model, 10_000, Nop())
    out = []
    for _ in range(rollouts):
        roll = model.rollout_buffer
        assert model.collect_rollouts(model.env, cb, roll, model.n_steps)
        out.append(
            dict(
                obs=_digest(roll.obs),
                enc_in=_digest(roll.enc_in),
                carry=_digest(roll.carry),
                actions=_digest(roll.actions),
                teacher=_digest(roll.teacher),
                starts=roll.starts.tolist(),
                rewards=roll.rewards.tolist(),
                values=roll.values.tolist(),
                log_probs=roll.log_probs.tolist(),
                returns=roll.returns.tolist(),
                episodes=[{k: v for k, v in e.items() if k != "t"} for e in model.ep_info_buffer],
            )
        )
    model.env.close()
    return out


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN.read_text())


def test_env_steps_are_the_recorded_ones(golden):
    trace = env_trace()
    assert len(trace) == len(golden["env"])
    for i, (got, want) in enumerate(zip(trace, json.loads(json.dumps(golden["env"])), strict=True)):
        assert json.loads(json.dumps(got)) == want, f"env step {i} differs"
    # the recording holds episode ends of both kinds, in several steps
    ends = [s for s in golden["env"][1:] if s["infos"]]
    assert len(ends) >= 5
    assert any("TimeLimit.truncated" in d for s in ends for d in s["infos"].values())
    assert any("TimeLimit.truncated" not in d for s in ends for d in s["infos"].values())


@pytest.mark.parametrize("pack", [None, True], ids=["as-on-this-device", "one-packed-copy"])
def test_learner_rollouts_are_the_recorded_ones(golden, pack):
    trace = learner_trace(pack=pack)
    for i, (got, want) in enumerate(zip(trace, golden["learner"], strict=True)):
        for key in ("obs", "enc_in", "carry", "actions", "teacher", "starts", "episodes"):
            assert got[key] == want[key], f"rollout {i}: {key} differs"
        for key in ("rewards", "values", "log_probs", "returns"):
            np.testing.assert_allclose(
                got[key], want[key], rtol=1e-5, atol=1e-5, err_msg=f"rollout {i}: {key}"
            )
    assert sum(len(r["episodes"]) for r in golden["learner"]) > 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: PYTHONPATH=$PWD python tests/trainers/test_lean_step.py --write")
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(
        json.dumps(dict(env=env_trace(), learner=learner_trace()), separators=(",", ":")) + "\n"
    )
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size} bytes)")


def test_a_step_shares_one_read_only_empty_info_and_returns_new_arrays():
    import copy
    import pickle

    from trainers.envs import NO_INFO

    env = _env(8, seed=5, repeat=2)
    env.reset()
    rng = np.random.default_rng(3)
    kept = []
    ended = 0
    for _ in range(60):
        act = np.zeros((8, L.N_KEYS), np.float32)
        act[:, L.K_RIGHT] = rng.random(8) < 0.8  # knockouts soon
        obs, rew, done, infos = env.step(act)
        kept.append((obs, obs.copy(), rew, rew.copy(), done, done.copy()))
        for k, info in enumerate(infos):
            assert (info is NO_INFO) != bool(done[k])  # news only where an episode ended
            ended += bool(done[k])
    assert ended > 0
    for arrays in kept:  # SB3 keeps what a step returns: later steps must not write into it
        obs, obs0, rew, rew0, done, done0 = arrays
        assert np.array_equal(obs, obs0) and np.array_equal(rew, rew0) and np.array_equal(done, done0)
    env.reset()
    assert all(info is NO_INFO for info in env.reset_infos)
    with pytest.raises(TypeError, match="write into a copy"):
        NO_INFO["episode"] = {}
    with pytest.raises(TypeError):
        NO_INFO.update(a=1)
    with pytest.raises(TypeError):
        NO_INFO.setdefault("a", 1)
    assert NO_INFO == {} and not NO_INFO and dict(NO_INFO) == {}
    assert pickle.loads(pickle.dumps([NO_INFO, NO_INFO])) == [NO_INFO, NO_INFO]
    assert pickle.loads(pickle.dumps(NO_INFO)) is NO_INFO and copy.deepcopy(NO_INFO) is NO_INFO
    env.close()


def test_bench_train_profile_splits_every_rollout_into_parts_that_add_up():
    from brawl_league.bench import PROFILE_PARTS, run_train_bench

    sets = ["ppo.n_envs=4", "ppo.n_steps=16", "ppo.batch_size=64", "ppo.n_epochs=1"]
    result = run_train_bench("smoke", seconds=1.0, overrides=sets, device="cpu", profile=True)
    prof = result["profile"]
    assert prof["rollouts"] >= 2 and len(prof["samples_ms"]) == prof["rollouts"]
    assert set(prof["parts_ms"]) == {*PROFILE_PARTS, "total"}
    for sample in prof["samples_ms"]:
        assert sum(sample[k] for k in PROFILE_PARTS) == pytest.approx(sample["total"])
        for part in ("learner", "opponents", "engine", "to_device", "to_host", "buffer", "callback"):
            assert sample[part] > 0, part  # every wrapped part was reached
    assert run_train_bench("smoke", seconds=1.0, overrides=sets, device="cpu")["profile"] is None


def test_an_episode_ending_twice_in_one_step_is_refused():
    env = LeagueVecEnv(
        2,
        env_config=dict(CFG, max_frames=2),
        choose_opponent=lambda rng: SPECS[0],
        make_opponent=lambda spec: bot_agent(spec.name),
        seed=1,
        action_repeat=5,
    )
    env.reset()
    with pytest.raises(RuntimeError, match="ended within 5 frames of its start"):
        env.step(np.zeros((2, L.N_KEYS), np.float32))
