"""``run.backend = "ray"``: the matches in Ray actors (trainers/ray_backend.py, ray_shards.py), on one local
Ray instance of 2 CPUs for the whole module (starting Ray takes seconds)."""

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from brawl_env.engine.rng import match_seed
from league.agents import parse_agent
from league.registry import trainer_class
from trainers.ray_backend import RayBackendError, import_ray, shard_seeds, shard_sizes
from trainers.transformer_lstm_ppo.config import build_config

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'brawl-league[ray]')")

TINY = [
    "model.frame_dim=16",
    "model.d_model=16",
    "model.heads=2",
    "model.layers=1",
    "model.window=8",
    "model.ffn=16",
    "model.lstm=16",
    "ppo.n_envs=8",
    "ppo.n_steps=16",
    "ppo.batch_size=64",
    "ppo.n_epochs=1",
    "env.max_frames=40",
    "run.checkpoint_every=512",
    "run.snapshot_every=256",
    "run.eval_every=2048",
    "run.eval_games=2",
    'run.eval_bots=["BasedBot"]',
    "device=cpu",
]


@pytest.fixture(scope="module")
def ray_instance():
    from trainers.ray_backend import ray_session

    with ray_session(num_cpus=2) as session:
        assert session.started  # ours: shut down when the module's tests are done
        yield session.ray


@dataclass(frozen=True)
class _Pick:
    kind: str
    name: str
    key: tuple


def _based(rng):
    return _Pick("bot", "BasedBot", ("bot", "BasedBot"))


def _dead(actor) -> bool:
    try:
        ray.get(actor.ping.remote(), timeout=60)
    except ray.exceptions.RayActorError:
        return True
    return False


def test_shards_split_the_envs_and_get_distinct_seeds():
    assert shard_sizes(8, 2) == [4, 4] and shard_sizes(5, 2) == [3, 2] and shard_sizes(3, 3) == [1, 1, 1]
    for bad in (0, 4, 1.0):
        with pytest.raises(ValueError, match="shards must be an integer from 1 to the number of envs"):
            shard_sizes(3, bad)
    seeds = shard_seeds(7, 4)
    assert seeds[0] == 7 and len(set(seeds)) == 4 and shard_seeds(7, 4) == seeds
    assert shard_seeds(8, 4) != seeds


def test_each_shard_plays_the_matches_of_a_local_env_with_its_seed(ray_instance):
    """Two shards (3 + 2 matches) step exactly as two in-process LeagueVecEnvs seeded with the shard seeds
    (action repeat 4), given the same actions: observations, rewards, dones and episode results, concatenated in order."""
    from trainers.envs import LeagueVecEnv
    from trainers.ray_backend import RayVecEnv
    from trainers.transformer_lstm_ppo.ray_shards import ShardOpponents

    model = build_config("smoke").model
    env_config = {"max_frames": 40}
    env = RayVecEnv(
        5,
        2,
        env_config=env_config,
        choose_opponent=_based,
        ship_opponent=lambda p: parse_agent(p.name, check=False),
        opponents=ShardOpponents(model, 0),
        seed=11,
        action_repeat=4,
    )
    actors = list(env._actors)
    try:
        assert len(set(env.shard_pids)) == 2  # two actor processes
        s0, s1 = shard_seeds(11, 2)
        assert env.seed(11) == [match_seed(s0, j) for j in range(3)] + [match_seed(s1, j) for j in range(2)]
        local = [
            LeagueVecEnv(
                n,
                env_config=env_config,
                choose_opponent=_based,
                make_opponent=lambda p: ShardOpponents(model, 0).make(p, parse_agent(p.name, check=False)),
                seed=s,
                action_repeat=4,
            )
            for n, s in ((3, s0), (2, s1))
        ]
        np.testing.assert_array_equal(env.reset(), np.concatenate([e.reset() for e in local]))
        rng = np.random.default_rng(0)
        ended = 0
        for _ in range(30):
            actions = rng.integers(0, 2, (5, 10))
            obs, rew, done, infos = env.step(actions)
            want = [e.step(a) for e, a in ((local[0], actions[:3]), (local[1], actions[3:]))]
            np.testing.assert_array_equal(obs, np.concatenate([w[0] for w in want]))
            np.testing.assert_array_equal(rew, np.concatenate([w[1] for w in want]))
            np.testing.assert_array_equal(done, np.concatenate([w[2] for w in want]))
            for got, exp in zip(infos, want[0][3] + want[1][3]):
                assert got.get("brawl") == exp.get("brawl")
                if "terminal_observation" in exp:
                    np.testing.assert_array_equal(got["terminal_observation"], exp["terminal_observation"])
            ended += int(done.sum())
        assert ended >= 10  # matches of 40 frames, 4 frames a step: each ended episodes and started new ones
        assert env.get_attr("learner_slot") == [s for e in local for s in e.get_attr("learner_slot")]
        assert env.get_attr("opponent_spec", [4])[0].name == "BasedBot"
        bad = np.zeros((5, 10), np.int64)
        bad[4, 0] = 2  # a key value the env refuses: shard 1's error comes back naming it, with its traceback
        with pytest.raises(RayBackendError, match=r"(?s)shard 1 failed while stepping:.*learner actions"):
            env.step(bad)
    finally:
        env.close()
    assert all(_dead(a) for a in actors)  # no shard outlives its env
    assert ray.is_initialized()  # ... and Ray, started by the fixture, is left running


def _rows(path: Path) -> tuple[list[str], list[dict]]:
    with open(path) as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    rows = list(csv.DictReader(lines))
    return lines[0].strip().split(","), rows


def _train(tmp_path, name, extra, hook=None):
    from league.store import League

    cls = trainer_class("transformer-lstm-ppo")
    config = cls.load_config("smoke", None, TINY + ["run.total_steps=2048", *extra])
    run_dir = tmp_path / name
    run_dir.mkdir()
    league = League.open(run_dir / "league_db", create=True)
    trainer = cls(config, run_dir, league, hook)
    return trainer, trainer.train(), run_dir, league


FILES = ("monitor.csv", "reward_breakdown.csv", "behavior_metrics.csv", "evaluation_results.csv")


def test_a_two_shard_run_writes_what_a_local_run_writes(ray_instance, tmp_path):
    """2,048 steps of a tiny model on 2 shards: the same files, columns and kinds of league rows as a
    local run of the same settings, training matches against bots, the mirror and snapshots included."""
    trainer, summary, run_dir, league = _train(tmp_path, "ray", ["run.backend=ray", "run.shards=2"])
    actors = trainer.league_env.actors
    _, local_summary, local_dir, local_league = _train(tmp_path, "local", [])
    assert summary["steps"] == local_summary["steps"] == 2048 and not summary["interrupted"]
    assert 'backend = "ray"' in (run_dir / "config.toml").read_text()
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == sorted(
        p.name for p in (local_dir / "checkpoints").iterdir()
    )
    for name in FILES:
        header, rows = _rows(run_dir / name)
        local_header, local_rows = _rows(local_dir / name)
        assert header == local_header and rows and local_rows, name
    monitor = _rows(run_dir / "monitor.csv")[1]
    # 8 matches of 10 steps (40 frames, 4 a step) in 256 vector steps: 25 episodes each, as locally
    assert len(monitor) == len(_rows(local_dir / "monitor.csv")[1]) == 200
    assert all(int(r["l"]) == 40 for r in monitor)
    times = [float(r["t"]) for r in monitor]
    assert times == sorted(times)  # stamped by the learner's clock
    opponents = {r["opponent"] for r in _rows(run_dir / "behavior_metrics.csv")[1]}
    assert {"ConstantBot", "BasedBot", "mirror"} <= opponents and any("@" in o for o in opponents)
    matches = league.matches()
    kinds = {(m["source"], "snapshot" if "@" in m["b"] else m["b"]) for m in matches}
    local_kinds = {(m["source"], "snapshot" if "@" in m["b"] else m["b"]) for m in local_league.matches()}
    assert kinds == local_kinds
    assert sum(m["source"] == "training" for m in matches) == sum(
        r["opponent"] != "mirror" for r in _rows(run_dir / "behavior_metrics.csv")[1]
    )
    assert all(_dead(a) for a in actors) and ray.is_initialized()


def test_a_stop_request_saves_a_checkpoint_and_stops_the_shards(ray_instance, tmp_path):
    from trainers.base import ProgressHook

    class StopAtOnce(ProgressHook):
        def _on_progress(self, progress):
            return False

    trainer, summary, run_dir, _ = _train(tmp_path, "stop", ["run.backend=ray", "run.shards=1"], StopAtOnce())
    assert summary["interrupted"] and summary["steps"] == 128
    assert (run_dir / "checkpoints" / "rl_model_128_steps.zip").exists()
    assert all(_dead(a) for a in trainer.league_env.actors)


def test_backend_errors_are_one_line_and_name_the_key(tmp_path):
    with pytest.raises(ValueError, match=r"run.backend: Input should be 'local' or 'ray'"):
        build_config("smoke", None, ["run.backend=rau"])
    with pytest.raises(ValueError, match=r"run.shards \(9\) must be at most ppo.n_envs \(8\)"):
        build_config("smoke", None, TINY + ["run.backend=ray", "run.shards=9"])
    with pytest.raises(ValueError, match="run.address .* needs run.backend"):
        build_config("smoke", None, ["run.address=host:6379"])
    assert (
        build_config("smoke", None, ["ppo.n_envs=1", "ppo.batch_size=64"]).run.backend == "local"
    )  # shards unused
    from brawl_league.cli import app

    out = CliRunner().invoke(
        app, ["train", "--preset", "smoke", "--backend", "rau", "--runs-dir", str(tmp_path)]
    )
    assert (
        out.exit_code == 2
        and "error: bad training config: run.backend: Input should be 'local' or 'ray'" in out.output
        and "Traceback" not in out.output
    )
    assert not any(tmp_path.iterdir())  # nothing made
    out = CliRunner().invoke(app, ["bench", "train", "--backend", "rau"])
    assert out.exit_code == 2 and "error: --backend must be local or ray; got 'rau'" in out.output


def test_without_ray_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "ray", None)
    with pytest.raises(RayBackendError, match=r"pip install 'brawl-league\[ray\]'"):
        import_ray()
