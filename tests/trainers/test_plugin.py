"""The trainer plugin: presets, config errors, the run directory, checkpoints, resume, stop, CLI."""

import csv
import tomllib
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from trainers.base import ProgressHook
from trainers.evaluate import EVAL_BOTS
from league.registry import available, trainer_class
from trainers.transformer_lstm_ppo.config import PRESETS, build_config, to_toml

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
    "run.checkpoint_every=128",
    "run.snapshot_every=128",
    "run.eval_every=256",
    "run.eval_games=2",
    "device=cpu",
]


def test_test50k_and_full10m_differ_only_in_the_run_section():
    a, b = build_config("test50k"), build_config("full10m")
    assert a.hyper_parameters() == b.hyper_parameters()
    differ = {k for k, v in a.run.model_dump().items() if b.run.model_dump()[k] != v}
    assert differ <= {
        "total_steps",
        "checkpoint_every",
        "snapshot_every",
        "eval_every",
        "keep_checkpoints",
        "debug_logging",
    }
    assert a.run.total_steps == 50_000 and b.run.total_steps == 10_000_000
    assert a.run.total_steps // a.ppo.steps_per_update >= 10  # many updates, not one
    assert a.model.layers == 6 and a.model.heads == 8 and a.model.d_model == 256 and a.model.window == 90
    assert a.model.lstm == 512


def test_seed_guide_applies_the_guides_values():
    c = build_config("seed-guide")
    assert (c.ppo.learning_rate, c.ppo.batch_size, c.ppo.n_epochs, c.ppo.ent_coef, c.ppo.n_envs) == (
        2.5e-4,
        128,
        10,
        0.10,
        1,
    )


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_parses_and_round_trips(preset, tmp_path):
    c = build_config(preset)
    f = tmp_path / "c.toml"
    f.write_text(to_toml(c))
    assert build_config(None, str(f)) == c


def test_config_errors_name_the_key():
    with pytest.raises(ValueError, match=r"unknown key 'ppo.lr'; allowed: \['batch_size'"):
        build_config("smoke", None, ["ppo.lr=1e-3"])
    with pytest.raises(ValueError, match="heads"):
        build_config("smoke", None, ["model.heads=3"])
    with pytest.raises(ValueError, match="unknown reward term"):
        build_config("smoke", None, ["env.rewards={nope=1.0}"])
    with pytest.raises(ValueError, match="key=value"):
        build_config("smoke", None, ["ppo.n_envs"])
    assert build_config("smoke", None, ["ppo.learning_rate=1e-3"]).ppo.learning_rate == 1e-3


def test_env_and_league_are_typed_sections_and_overrides_reach_them():
    from brawl_env.config import EnvConfig
    from league.config import LeagueConfig
    from trainers.transformer_lstm_ppo.config import TrainConfig

    c = build_config("smoke", None, ["env.max_frames=600", 'league.mix={ "BasedBot" = 3, "self_play" = 1 }'])
    assert isinstance(c.env, EnvConfig) and isinstance(c.league, LeagueConfig)
    assert c.env.max_frames == 600 and c.env.damage_tiebreak and c.env.rewards["win"] == 20.0  # preset kept
    assert c.league.mix == {"BasedBot": 0.75, "self_play": 0.25} and c.league.strategy == "uniform"
    assert build_config("test50k").env.rewards == "guide"
    assert TrainConfig.model_fields["env"].default_factory().rewards == "guide"  # no [env] section at all


@pytest.mark.parametrize(
    "override, says",
    [
        (
            "env.stock=3",
            r"unknown key 'env.stock'; allowed: \['damage_tiebreak', 'max_frames', .*did you mean 'stocks'",
        ),
        ("league.mixx={ a = 1 }", r"unknown key 'league.mixx'; allowed: \['anchor', .*did you mean 'mix'"),
        ('league.strategy="pfsb"', r"league.strategy: Input should be 'uniform', 'recent' or 'pfsp'"),
        ('env.spawn="far"', r"env.spawn: Input should be 'apart' or 'same_floor'"),
        (
            'env.rewards="gide"',
            r"env.rewards: .*unknown reward preset 'gide'; presets: \['guide', 'sparse'\]",
        ),
        ("league.mix={ BasedBot = -1 }", r"league.mix: .*weight of 'BasedBot' must be finite and >= 0"),
    ],
)
def test_bad_env_and_league_keys_and_values_are_named(override, says):
    with pytest.raises(ValueError, match=says):
        build_config("smoke", None, [override])


def test_a_config_toml_written_by_older_code_still_loads(tmp_path):
    """Before the sections were typed, config.toml held only the [env] and [league] keys a preset gave."""
    c = build_config("test50k")
    text = to_toml(c)
    head, _, rest = text.partition("[env]")
    _, _, tail = rest.partition("[run]")
    old = (
        head + '[env]\nrewards = "guide"\nmax_frames = 2700\n\n[league]\n'
        'mix = { "self_play" = 0.8, "BasedBot" = 0.15, "ConstantBot" = 0.05 }\nstrategy = "uniform"\n\n[run]'
        + tail
    )
    f = tmp_path / "config.toml"
    f.write_text(old)
    assert build_config(None, str(f)) == c
    f.write_text(head + "[env]\n\n[league]\n\n[run]" + tail)  # empty sections: the defaults
    bare = build_config(None, str(f))
    assert bare.env.rewards == "sparse" and bare.league.mix == {
        "self_play": 0.8,
        "BasedBot": 0.15,
        "ConstantBot": 0.05,
    }


def test_registry_lists_the_default_trainer_lazily():
    assert "transformer-lstm-ppo" in available()
    with pytest.raises(ValueError, match="unknown trainer"):
        trainer_class("nope")


def _run(tmp_path, steps, name="run", hook=None, extra=()):
    from league.store import League

    cls = trainer_class("transformer-lstm-ppo")
    run_dir = tmp_path / name
    config = cls.load_config("smoke", None, TINY + [f"run.total_steps={steps}", *extra])
    run_dir.mkdir(exist_ok=True)
    league = League.open(run_dir / "league_db", create=True)
    return cls(config, run_dir, league, hook).train(), run_dir, league


def _rows(path: Path) -> list[dict]:
    with open(path) as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    return list(csv.DictReader(lines))


def test_a_run_writes_every_file_with_real_rows(tmp_path):
    from sb3_contrib import RecurrentPPO

    summary, run_dir, league = _run(tmp_path, 512)
    assert summary["steps"] == 512
    assert tomllib.loads((run_dir / "config.toml").read_text())["train"]["preset"] == "smoke"
    names = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert names == [f"rl_model_{s}_steps.zip" for s in (128, 256, 384, 512)]
    model = RecurrentPPO.load(run_dir / "checkpoints" / "rl_model_512_steps.zip", device="cpu")
    assert model.num_timesteps == 512
    monitor = _rows(run_dir / "monitor.csv")
    assert len(monitor) >= 8 and all(int(r["l"]) <= 40 for r in monitor)
    behavior = _rows(run_dir / "behavior_metrics.csv")
    assert len(behavior) == len(monitor)
    assert {r["result"] for r in behavior} <= {"win", "loss", "draw"}
    rewards = _rows(run_dir / "reward_breakdown.csv")
    assert len(rewards) == len(monitor)
    for r, m in zip(rewards, monitor):
        terms = [k for k in r if k not in ("episode", "step", "opponent", "total")]
        assert sum(float(r[k]) for k in terms) == pytest.approx(float(r["total"]), abs=1e-3)
        assert float(r["total"]) == pytest.approx(float(m["r"]), abs=1e-3)
    evals = _rows(run_dir / "evaluation_results.csv")
    bots = list(EVAL_BOTS)
    assert [(int(e["step"]), e["opponent"]) for e in evals] == [(s, b) for s in (256, 512) for b in bots]
    assert all(0.0 <= float(e["win_rate"]) <= 1.0 and float(e["learner_elo"]) > 0 for e in evals)
    assert len(league.snapshots()) == 4
    assert len(league.matches()) > 0
    spent = summary["time"]  # where the wall time went: the parts add up to the whole
    assert {"startup", "rollouts", "updates", "evaluation", "checkpoints", "snapshots"} <= set(spent)
    assert all(v >= 0 for v in spent.values()) and spent["evaluation"] > 0 and spent["updates"] > 0
    assert sum(v for k, v in spent.items() if k != "total") == pytest.approx(spent["total"], abs=0.05)


def test_a_stop_request_saves_a_checkpoint_and_exits_cleanly(tmp_path):
    class StopAtOnce(ProgressHook):
        def _on_progress(self, progress):
            return False

    summary, run_dir, _ = _run(tmp_path, 100_000, hook=StopAtOnce())
    assert summary["interrupted"] and summary["steps"] < 100_000
    assert (run_dir / "checkpoints" / f"rl_model_{summary['steps']}_steps.zip").exists()


def test_a_checkpoint_from_another_device_loads_on_the_cpu(tmp_path, monkeypatch):
    from sb3_contrib import RecurrentPPO

    _, run_dir, _ = _run(tmp_path, 128)
    path = run_dir / "checkpoints" / "rl_model_128_steps.zip"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    model = RecurrentPPO.load(path, device="auto")  # a CUDA-trained file maps onto the CPU here
    assert model.device.type == "cpu"
    assert all(p.device.type == "cpu" for p in model.policy.parameters())


def test_cli_train_list_and_errors():
    from brawl_league.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["train", "--list"])
    assert out.exit_code == 0 and "transformer-lstm-ppo" in out.output
    out = runner.invoke(app, ["train", "--preset", "nope"])
    assert out.exit_code == 2 and "unknown preset" in out.output


def test_max_minutes_stops_a_run_with_a_final_checkpoint(tmp_path):
    import time

    t0 = time.perf_counter()
    summary, run_dir, _ = _run(tmp_path, 1_000_000, extra=["run.max_minutes=0.02"])
    assert summary["out_of_time"] and not summary["interrupted"]
    assert 0 < summary["steps"] < 1_000_000 and time.perf_counter() - t0 < 60
    assert (run_dir / "checkpoints" / f"rl_model_{summary['steps']}_steps.zip").exists()


def test_a_checkpoint_in_the_mix_is_a_frozen_opponent(tmp_path):
    from trainers.transformer_lstm_ppo.plugin import checkpoints

    _, first, _ = _run(tmp_path, 128, name="first")
    path = checkpoints(first)[-1][1]
    summary, run_dir, league = _run(tmp_path, 128, name="second", extra=[f'league.mix={{ "{path}" = 1.0 }}'])
    opponents = {r["opponent"] for r in _rows(run_dir / "behavior_metrics.csv")}
    assert opponents == {"first@128"} and league.player("first@128").kind == "external"


@pytest.mark.parametrize(
    "override, says",
    [
        ("seed=-1", "seed"),
        (f"seed={2**64}", "seed"),
        ("run.debug_logging=yes", "run.debug_logging"),
        ("run.total_steps=1e6", "run.total_steps"),
        ("env.max_frames=true", "max_frames"),
        ('env.damage_tiebreak="no"', "damage_tiebreak"),
    ],
)
def test_config_types_are_strict_and_seeds_are_64_bit(override, says):
    with pytest.raises(ValueError, match=says):
        build_config("smoke", None, [override])


def test_cli_extends_a_finished_run_as_docs_trainer_md_says(tmp_path):
    """docs/trainer.md, "Extending a run": --resume RUN --set run.total_steps=N trains on to N in the same
    run and config.toml records N; a later --resume without a larger total says the run is finished."""
    import json

    from brawl_league.cli import app

    runner = CliRunner()
    sets = [a for s in TINY for a in ("--set", s)]
    first = runner.invoke(
        app,
        [
            "train",
            "--preset",
            "smoke",
            *sets,
            "--set",
            "run.total_steps=128",
            "--runs-dir",
            str(tmp_path),
            "--name",
            "r",
            "--json",
        ],
    )
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout.splitlines()[-1])["steps"] == 128
    more = runner.invoke(
        app, ["train", "--resume", str(tmp_path / "r"), "--set", "run.total_steps=256", "--json"]
    )
    assert more.exit_code == 0, more.output
    assert json.loads(more.stdout.splitlines()[-1])["steps"] == 256
    assert tomllib.loads((tmp_path / "r" / "config.toml").read_text())["run"]["total_steps"] == 256
    again = runner.invoke(app, ["train", "--resume", str(tmp_path / "r"), "--json"])
    assert again.exit_code != 0 and "is finished" in again.output and "run.total_steps=N" in again.output
    assert (tmp_path / "r" / "checkpoints" / "rl_model_256_steps.zip").exists()


@pytest.fixture
def torch_threads_restored():
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_training_on_the_cpu_uses_one_torch_thread_unless_asked(tmp_path, torch_threads_restored):
    import torch

    torch.set_num_threads(2)  # what torch picks by itself on the 2-core machine
    summary, run_dir, _ = _run(tmp_path, 128, name="auto")
    assert summary["device"] == "cpu" and summary["torch_threads"] == torch.get_num_threads() == 1
    assert tomllib.loads((run_dir / "config.toml").read_text())["train"]["torch_threads"] == 0
    summary, run_dir, _ = _run(tmp_path, 128, name="two", extra=["torch_threads=2"])
    assert summary["torch_threads"] == torch.get_num_threads() == 2
    assert tomllib.loads((run_dir / "config.toml").read_text())["train"]["torch_threads"] == 2
    with pytest.raises(ValueError, match="torch_threads"):
        trainer_class("transformer-lstm-ppo").load_config("smoke", None, ["torch_threads=-1"])
