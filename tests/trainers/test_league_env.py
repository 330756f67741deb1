"""LeagueVecEnv: the SB3 VecEnv contract, fresh opponent observations, per-episode slots and opponents,
the opponent cache and seeding. (Bots as batched agents: tests/brawl_env/test_bot_agents.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from brawl_env import BatchEnv
from brawl_env.bots import bot_agent
from brawl_env.engine import layout as L
from trainers.envs import LeagueVecEnv
from trainers.opponents import OpponentSpec, spec_key

SPECS = [
    OpponentSpec("bot", "ConstantBot"),
    OpponentSpec("bot", "BasedBot"),
    OpponentSpec("bot", "RandomBot"),
]


def choose_any(rng):
    return SPECS[int(rng.integers(len(SPECS)))]


class Recorder:
    """An opponent that wraps another and logs every call (and what it answered)."""

    def __init__(self, inner, log, name):
        self.inner, self.log, self.name = inner, log, name

    def reset_rows(self, rows, seeds=None):
        self.log.append(("reset", self.name, rows.copy()))
        self.inner.reset_rows(rows, seeds=seeds)

    def act(self, obs, rows):
        keys = np.asarray(self.inner.act(obs, rows))
        self.log.append(("act", self.name, rows.copy(), obs.copy(), keys.copy()))
        return keys


def random_actions(rng, n):
    return rng.integers(0, 2, (n, L.N_KEYS)).astype(np.float32)  # what SB3 hands over


# ---------------------------------------------------------------------------------------------------
# one recorded run, checked against a BatchEnv stepped in parallel with the same seed and keys
# ---------------------------------------------------------------------------------------------------

N, MAX_FRAMES, STEPS, SEED = 6, 70, 200, 11
CFG = dict(rewards="guide", max_frames=MAX_FRAMES, stocks=1)


def learner_actions(rng):
    """Even matches drift right and soon fall to a knockout (a decided end, at a different frame in
    each match); odd ones press random keys and mostly reach the frame limit (a truncation)."""
    act = random_actions(rng, N)
    act[0::2] = 0
    act[0::2, L.K_RIGHT] = rng.random(len(act[0::2])) < 0.7
    return act


@pytest.fixture(scope="module")
def run():
    log, made, chosen = [], [], []
    specs = [OpponentSpec("bot", "RandomBot", key="R"), OpponentSpec("bot", "BasedBot", key="B")]

    def choose(rng):
        spec = specs[int(rng.integers(2))]
        chosen.append(spec)
        return spec

    def make(spec):
        made.append(spec)
        return Recorder(bot_agent(spec.name), log, spec.key)

    env = LeagueVecEnv(N, env_config=CFG, choose_opponent=choose, make_opponent=make, seed=SEED)
    ref = BatchEnv(N, **CFG)
    rng = np.random.default_rng(0)
    rec = dict(
        obs=[],
        ref_obs=[],
        slots=[],
        specs=[],
        starts=[],
        rewards=[],
        ref_rewards=[],
        dones=[],
        infos=[],
        ref_info=[],
        log_marks=[],
        opp_obs=[],
    )
    obs = env.reset()
    ref_obs = ref.reset(seed=SEED).copy()
    rec["obs"].append(obs)
    rec["ref_obs"].append(ref_obs)
    rec["slots"].append(env.learner_slots.copy())
    rec["specs"].append(env.opponent_specs)
    rec["starts"].append(env.episode_starts.copy())
    rec["opp_obs"].append(env.opponent_obs.copy())
    rec["log_marks"].append(len(log))
    for _ in range(STEPS):
        act = learner_actions(rng)
        slots = env.learner_slots.copy()
        mark = len(log)
        obs, rew, done, infos = env.step(act)
        # rebuild the full keys from the learner's actions and what the opponents answered
        keys = np.zeros((N, 2, L.N_KEYS), np.uint8)
        keys[np.arange(N), slots] = act
        for entry in log[mark:]:
            if entry[0] == "act":
                _, _, rows, _, k = entry
                keys[rows, 1 - slots[rows]] = k
        ref_obs, ref_rew, term, trunc, info = ref.step(keys)
        rec["obs"].append(obs)
        rec["ref_obs"].append(ref_obs.copy())
        rec["rewards"].append(rew)
        rec["ref_rewards"].append(ref_rew[np.arange(N), slots])
        rec["dones"].append(done)
        rec["infos"].append(infos)
        rec["ref_info"].append(
            dict(
                term=term.copy(),
                trunc=trunc.copy(),
                result=info["result"].copy(),
                final_obs=info["final_observation"].copy(),
                final_stats=info["final_stats"].copy(),
                terms=info["reward_terms"][np.arange(N), slots].copy(),
                prev_slots=slots,
            )
        )
        rec["slots"].append(env.learner_slots.copy())
        rec["specs"].append(env.opponent_specs)
        rec["starts"].append(env.episode_starts.copy())
        rec["opp_obs"].append(env.opponent_obs.copy())
        rec["log_marks"].append(len(log))
    rec.update(log=log, made=made, chosen=chosen, env=env)
    return rec


def test_learner_obs_and_reward_come_from_its_slot(run):
    rows = np.arange(N)
    for t, (obs, ref_obs, slots) in enumerate(zip(run["obs"], run["ref_obs"], run["slots"])):
        np.testing.assert_array_equal(obs, ref_obs[rows, slots], err_msg=f"step {t}")
        np.testing.assert_array_equal(run["opp_obs"][t], ref_obs[rows, 1 - slots])
    for t in range(STEPS):
        assert run["rewards"][t].dtype == np.float32
        np.testing.assert_array_equal(run["rewards"][t], run["ref_rewards"][t])
        ri = run["ref_info"][t]
        np.testing.assert_array_equal(run["dones"][t], ri["term"] | ri["trunc"])


def test_episode_end_infos(run):
    ended = 0
    returns = np.zeros(N)
    lengths = np.zeros(N, int)
    terms = np.zeros((N, len(run["env"].reward_names)))
    for t in range(STEPS):
        ri = run["ref_info"][t]
        returns += run["rewards"][t]
        lengths += 1
        terms += ri["terms"]
        for k in np.flatnonzero(run["dones"][t]):
            ended += 1
            s = ri["prev_slots"][k]
            info = run["infos"][t][k]
            np.testing.assert_array_equal(info["terminal_observation"], ri["final_obs"][k, s])
            truncated = bool(ri["trunc"][k] and not ri["term"][k])
            assert info.get("TimeLimit.truncated", False) is truncated
            assert info["episode"]["l"] == lengths[k] and info["episode"]["r"] == pytest.approx(
                returns[k], abs=1e-5
            )
            assert info["episode"]["t"] >= 0
            b = info["brawl"]
            assert b["slot"] == s and b["frames"] == lengths[k]
            result = int(ri["result"][k])
            want = "draw" if result == L.R_DRAW else ("win" if result == 1 + s else "loss")
            assert b["result"] == want
            assert b["stats"] == dict(zip(L.STAT_NAMES, ri["final_stats"][k, s].tolist()))
            assert b["opponent_stats"] == dict(zip(L.STAT_NAMES, ri["final_stats"][k, 1 - s].tolist()))
            assert list(b["reward_terms"]) == list(run["env"].reward_names)
            np.testing.assert_allclose(list(b["reward_terms"].values()), terms[k], atol=1e-5)
            assert sum(b["reward_terms"].values()) == pytest.approx(info["episode"]["r"], abs=1e-4)
            spec = run["specs"][t][k]  # the spec that played this episode (specs before this step)
            assert b["opponent_kind"] == spec.kind and b["opponent_name"] == spec.name
            returns[k] = 0
            lengths[k] = 0
            terms[k] = 0
        for k in np.flatnonzero(~run["dones"][t]):
            assert run["infos"][t][k] == {}
    assert ended >= 2 * N  # every match played at least two full episodes
    ends = [i for step in run["infos"] for i in step if i]
    assert any(i.get("TimeLimit.truncated") for i in ends) and not all(
        i.get("TimeLimit.truncated") for i in ends
    )
    assert {i["brawl"]["result"] for i in ends} >= {"loss", "draw"}
    # episodes end at different frames in different matches, so new episodes start row by row
    dones = np.array(run["dones"])
    assert any(0 < d.sum() < N for d in dones)


def test_opponent_sees_a_fresh_observation_every_frame(run):
    """Every act call gets, for each of its rows, the observation just returned from the opponent's
    slot (the original fed the reset-time observation for ever)."""
    log = run["log"]
    rows_all = np.arange(N)
    for t in range(STEPS):
        seen = np.zeros(N, int)
        ref_obs, slots = run["ref_obs"][t], run["slots"][t]
        for entry in log[run["log_marks"][t] : run["log_marks"][t + 1]]:
            if entry[0] != "act":
                continue
            _, _, rows, obs, _ = entry
            seen[rows] += 1
            np.testing.assert_array_equal(obs, ref_obs[rows, 1 - slots[rows]], err_msg=f"step {t}")
        np.testing.assert_array_equal(seen, np.ones(N, int))  # each match's opponent acted once
        if t > 0:  # and the observation moved on
            assert not np.array_equal(
                ref_obs[rows_all, 1 - slots], run["ref_obs"][t - 1][rows_all, 1 - slots]
            )


def test_slots_and_opponents_change_per_episode(run):
    starts = np.array(run["starts"])  # (STEPS + 1, N)
    slots = np.array(run["slots"])
    assert starts[0].all()
    np.testing.assert_array_equal(starts[1:], np.array(run["dones"]))
    # the slot only changes at episode starts, and it does change (both sides are played)
    changed = slots[1:] != slots[:-1]
    assert not (changed & ~starts[1:]).any()
    assert changed.any() and (slots == 0).any() and (slots == 1).any()
    per_episode = slots[starts]
    assert 0.2 < per_episode.mean() < 0.8
    # one opponent chosen per episode, in order, and it stays for the episode
    n_episodes = int(starts.sum())
    assert len(run["chosen"]) == n_episodes
    specs = run["specs"]
    for t in range(1, STEPS + 1):
        for k in range(N):
            if not starts[t, k]:
                assert specs[t][k] is specs[t - 1][k]
    assert {s.key for s in run["chosen"]} == {"R", "B"}


def test_opponents_are_cached_and_reset_at_every_episode_start(run):
    # make_opponent once per distinct spec, however many episodes
    assert sorted(s.key for s in run["made"]) == ["B", "R"]
    assert len(run["chosen"]) > 2 * N
    log = run["log"]
    starts = np.array(run["starts"])
    for t in range(STEPS + 1):
        lo = run["log_marks"][t - 1] if t > 0 else 0
        hi = run["log_marks"][t]
        resets = {}
        for entry in log[lo:hi]:
            if entry[0] == "reset":
                for r in entry[2].tolist():
                    assert r not in resets, "a row was reset twice for one episode"
                    resets[r] = entry[1]
        # exactly the rows that start an episode are reset, by the opponent chosen for them
        assert sorted(resets) == np.flatnonzero(starts[t]).tolist(), f"step {t}"
        for r, name in resets.items():
            assert run["specs"][t][r].key == name


# ---------------------------------------------------------------------------------------------------
# the SB3 contract
# ---------------------------------------------------------------------------------------------------


def make_env(n=4, seed=0, choose=choose_any, **cfg):
    cfg = dict(dict(rewards="guide", max_frames=30), **cfg)
    return LeagueVecEnv(
        n, env_config=cfg, choose_opponent=choose, make_opponent=lambda spec: bot_agent(spec.name), seed=seed
    )


def test_vecenv_contract_shapes_and_dtypes():
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import VecEnv, VecMonitor

    env = make_env(n=3)
    assert isinstance(env, VecEnv) and env.num_envs == 3
    assert env.observation_space.shape == (env.batch.obs_dim,) and env.observation_space.dtype == np.float32
    assert env.action_space.n == L.N_KEYS
    obs = env.reset()
    assert obs.shape == (3, env.batch.obs_dim) and obs.dtype == np.float32
    assert all(env.observation_space.contains(o) for o in obs)
    rng = np.random.default_rng(1)
    for _ in range(31):
        obs, rew, done, infos = env.step(random_actions(rng, 3))
        assert obs.shape == (3, env.batch.obs_dim) and obs.dtype == np.float32
        assert rew.shape == (3,) and rew.dtype == np.float32
        assert done.shape == (3,) and done.dtype == bool
        assert isinstance(infos, list) and len(infos) == 3 and all(isinstance(i, dict) for i in infos)
        for k in np.flatnonzero(done):
            assert infos[k]["terminal_observation"].shape == (env.batch.obs_dim,)
            if infos[k]["brawl"]["truncated"]:
                assert infos[k]["TimeLimit.truncated"] is True and infos[k]["episode"]["l"] == 30
    # integer and bool actions are fine too
    env.step(np.zeros((3, L.N_KEYS), np.int64))
    env.step(np.ones((3, L.N_KEYS), bool))
    assert env.get_attr("render_mode") == [None] * 3
    assert env.get_attr("learner_slot", [0, 2]) == [int(env.learner_slots[0]), int(env.learner_slots[2])]
    assert env.get_attr("opponent_spec", 1) == [env.opponent_specs[1]]
    assert env.has_attr("render_mode") and not env.has_attr("no_such_thing")
    with pytest.raises(AttributeError):
        env.get_attr("no_such_thing")
    with pytest.raises(NotImplementedError):
        env.set_attr("x", 1)
    with pytest.raises(NotImplementedError):
        env.env_method("reset")
    assert env.env_is_wrapped(Monitor) == [True] * 3
    assert env.env_is_wrapped(VecMonitor) == [False] * 3
    with pytest.warns(UserWarning, match="already wrapped with a `Monitor`"):
        vm = VecMonitor(env)  # SB3's wrappers still sit on top (VecMonitor's own stats take over)
    vm.reset()
    vm.step(random_actions(rng, 3))
    env.close()


def test_faulty_learner_actions_raise():
    env = make_env(n=2)
    env.reset()
    bad = np.zeros((2, L.N_KEYS), np.float32)
    bad[1, 3] = 0.5
    with pytest.raises(ValueError, match="exactly 0 or 1"):
        env.step(bad)
    bad[1, 3] = np.nan
    with pytest.raises(ValueError):
        env.step(bad)
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros((2, 9), np.float32))
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros((3, L.N_KEYS), np.float32))
    env.step(np.zeros((2, L.N_KEYS), np.float32))  # still usable


def test_faulty_opponent_keys_raise():
    class Half:
        def reset_rows(self, rows):
            pass

        def act(self, obs, rows):
            return np.full((len(rows), L.N_KEYS), 0.5)

    env = LeagueVecEnv(
        2,
        env_config=dict(max_frames=30),
        choose_opponent=lambda rng: "half",
        make_opponent=lambda spec: Half(),
    )
    env.reset()
    with pytest.raises(ValueError, match="opponent"):
        env.step(np.zeros((2, L.N_KEYS), np.float32))


def test_seed_reproduces_everything():
    def roll(env, seed, steps=80):
        seeds = env.seed(seed)
        out = [env.reset().copy(), env.learner_slots.copy(), [s.name for s in env.opponent_specs]]
        rng = np.random.default_rng(5)
        for _ in range(steps):
            obs, rew, done, infos = env.step(random_actions(rng, env.num_envs))
            out += [
                obs.copy(),
                rew.copy(),
                done.copy(),
                env.learner_slots.copy(),
                [s.name for s in env.opponent_specs],
                [i.get("brawl", {}).get("reward_terms") for i in infos],
            ]
        return seeds, out

    def same(a, b):
        if isinstance(a, np.ndarray):
            return np.array_equal(a, b)
        return a == b

    # a pilot bot too: one instance per row
    specs = SPECS + [OpponentSpec("bot", "SpacerBot", key="rows")]

    def choose(rng):
        return specs[int(rng.integers(len(specs)))]

    def make(spec):
        return bot_agent("SpacerBot") if spec.key == "rows" else bot_agent(spec.name)

    a = LeagueVecEnv(
        4, env_config=dict(rewards="guide", max_frames=25), choose_opponent=choose, make_opponent=make, seed=1
    )
    b = LeagueVecEnv(
        4, env_config=dict(rewards="guide", max_frames=25), choose_opponent=choose, make_opponent=make, seed=2
    )
    seeds, first = roll(a, 123)
    assert len(seeds) == 4 and all(isinstance(s, int) for s in seeds) and len(set(seeds)) == 4
    _, again = roll(a, 123)  # same env, opponents cached and already used
    _, other_env = roll(b, 123)  # another env built with another seed
    _, other_seed = roll(a, 124)
    assert all(same(x, y) for x, y in zip(first, again))
    assert all(same(x, y) for x, y in zip(first, other_env))
    assert not all(same(x, y) for x, y in zip(first, other_seed))
    # a reset without seed() moves on to new matches; the constructor seed replays from the start
    c = LeagueVecEnv(
        4,
        env_config=dict(rewards="guide", max_frames=25),
        choose_opponent=choose,
        make_opponent=make,
        seed=123,
    )
    assert np.array_equal(c.reset(), first[0]) and np.array_equal(c.learner_slots, first[1])
    assert not np.array_equal(c.reset(), first[0])  # a reset without seed() plays new matches


def test_ppo_trains_on_it():
    """SB3's PPO accepts the env, seeds it (SuperSuit's vector env could not) and fills ep_info_buffer."""
    from stable_baselines3 import PPO

    env = make_env(n=4, max_frames=20)
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=32,
        batch_size=64,
        n_epochs=1,
        seed=3,
        device="cpu",
        policy_kwargs=dict(net_arch=[16]),
    )
    model.learn(128)
    assert len(model.ep_info_buffer) >= 4
    assert all(info["l"] <= 20 for info in model.ep_info_buffer)


def test_opponent_cache_limit_drops_idle_opponents():
    made, closed = [], []

    class Opp:
        def __init__(self, spec):
            self.spec = spec
            made.append(spec)

        def reset_rows(self, rows):
            pass

        def act(self, obs, rows):
            return np.zeros((len(rows), L.N_KEYS), np.int8)

        def close(self):
            closed.append(self.spec)

    counter = iter(range(10**6))
    env = LeagueVecEnv(
        2,
        env_config=dict(max_frames=5),
        choose_opponent=lambda rng: f"s{next(counter)}",
        make_opponent=Opp,
        max_cached_opponents=3,
    )
    env.reset()
    for _ in range(25):
        env.step(np.zeros((2, L.N_KEYS), np.float32))
    assert len(env.opponents) <= 3
    assert set(env.opponent_specs) <= set(env.opponents)
    assert len(made) == 12 and len(closed) == len(made) - len(env.opponents)
    assert spec_key("x") == "x" and spec_key(OpponentSpec("bot", "B")) == ("bot", "B")
    with pytest.raises(TypeError):
        spec_key(["unhashable"])


def test_trainer_views_are_read_only():
    env = make_env(n=2)
    env.reset()
    for view in (env.learner_slots, env.episode_starts, env.opponent_obs):
        with pytest.raises(ValueError):
            view[0] = 0
    assert env.opponent_obs.shape == (2, env.batch.obs_dim)


def test_seeds_outside_64_bits_are_refused():
    with pytest.raises(ValueError, match=r"\[0, 2\*\*64\)"):
        make_env(seed=2**64)
    env = make_env()
    with pytest.raises(ValueError, match=r"\[0, 2\*\*64\)"):
        env.seed(-1)
