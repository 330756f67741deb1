"""The trainer registry: trainers are found through their entry points alone, so another installed
trainer's checkpoints play ``brawl-league match`` and tournaments, and the default trainer is never loaded
for them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from league.registry import DEFAULT, available, checkpoint_trainer, trainer_class

#: a trainer plugin of its own distribution: its "checkpoints" are JSON files naming the keys to hold
PLUGIN = textwrap.dedent('''
    import json
    from pathlib import Path

    import numpy as np

    from brawl_env.engine import layout as L
    from brawl_env.view import ME_BASE, OPP_BASE, PLAYER_OFFSETS
    from trainers.base import Progress, Trainer

    X = PLAYER_OFFSETS["x"]


    class Holder:
        """Holds the same keys every frame, for every row."""

        trusted_keys = True

        def __init__(self, keys, name):
            self.keys, self.name = np.asarray(keys, np.int8), name

        def reset_rows(self, rows, seeds=None):
            pass

        def act(self, obs, rows):
            return np.repeat(self.keys[None], len(rows), axis=0)


    class Chaser:
        """Walks at the opponent and taps light every `period` frames (0: stands still)."""

        trusted_keys = True

        def __init__(self, period, name="chaser"):
            self.period, self.name, self.t = int(period), name, np.zeros(0, np.int64)

        def reset_rows(self, rows, seeds=None):
            rows = np.asarray(rows)
            if len(rows) and rows.max() >= len(self.t):
                self.t = np.concatenate([self.t, np.zeros(rows.max() + 1 - len(self.t), np.int64)])
            self.t[rows] = 0

        def act(self, obs, rows):
            keys = np.zeros((len(rows), L.N_KEYS), np.int8)
            if self.period:
                right = obs[:, OPP_BASE + X] > obs[:, ME_BASE + X]
                keys[:, L.K_RIGHT], keys[:, L.K_LEFT] = right, ~right
                keys[:, L.K_LIGHT] = self.t[rows] % self.period == 0
            self.t[rows] += 1
            return keys


    class TinyConfig:
        preset, device, league = "tiny", None, {}

        def __init__(self, seed, frames):
            self.seed, self.frames = seed, frames


    class TinyTrainer(Trainer):
        """Learns by trial which tapping period hurts the idle bot most, and keeps it as its checkpoint."""

        name = "tiny"
        PERIODS = (0, 1, 2, 4, 8, 16)
        GAMES = 4

        @classmethod
        def load_config(cls, preset, config_file, overrides):
            kv = dict(item.split("=", 1) for item in overrides)
            unknown = set(kv) - {"seed", "frames", "device", "fail"}
            if unknown:
                raise ValueError(f"unknown tiny settings: {sorted(unknown)}")
            cfg = TinyConfig(int(kv.get("seed", 0)), int(kv.get("frames", 600)))
            cfg.fail = kv.get("fail") == "true"
            return cfg

        def train(self, resume=False):
            from brawl_env import BatchEnv

            cfg, k = self.config, self.GAMES
            n = len(self.PERIODS) * k
            self.hook.on_start(self.run_dir, cfg)
            env = BatchEnv(n, seed=cfg.seed, max_frames=cfg.frames)
            obs = env.reset(seed=cfg.seed)
            agents = [Chaser(p) for p in self.PERIODS]
            for a in agents:
                a.reset_rows(np.arange(k))
            score = np.zeros(n)
            dealt, kos = L.EVENT_NAMES.index("damage_dealt"), L.EVENT_NAMES.index("knockout_dealt")
            keys = np.zeros((n, 2, L.N_KEYS), np.int8)
            for _ in range(cfg.frames):
                for i, a in enumerate(agents):
                    keys[i * k:(i + 1) * k, 0] = a.act(obs[i * k:(i + 1) * k, 0], np.arange(k))
                obs, _, _, _, info = env.step(keys)
                score += info["events"][:, 0, dealt] + 100.0 * info["events"][:, 0, kos]
            by_period = score.reshape(len(self.PERIODS), k).mean(axis=1)
            best = self.PERIODS[int(np.argmax(by_period))]
            path = self.run_dir / "checkpoints" / "best.tiny"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"period": best, "scores": by_period.tolist()}))
            steps = n * cfg.frames
            self.hook.on_checkpoint(path, steps)
            if cfg.fail:
                raise RuntimeError("tiny: failing after its checkpoint, as asked")
            done = Progress(steps=steps, total_steps=steps, steps_per_s=0.0)
            self.hook.on_progress(done)
            self.hook.on_end(done)
            return {"steps": steps, "interrupted": False, "last_checkpoint": str(path),
                    "period": best, "scores": by_period.tolist()}

        @classmethod
        def is_checkpoint(cls, path):
            return Path(path).suffix == ".tiny"

        @classmethod
        def load_agent(cls, data, *, name, where, deterministic=False, device="cpu", path=None):
            card = json.loads(data)
            return Chaser(card["period"], name) if "period" in card else Holder(card["keys"], name)
''')


@pytest.fixture
def installed(tmp_path):
    """The plugin installed the way pip leaves a distribution: a module and a dist-info folder."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "tiny_trainer.py").write_text(PLUGIN)
    info = site / "tiny_trainer-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-trainer\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[brawl_league.trainers]\ntiny = tiny_trainer:TinyTrainer\n")
    walker = tmp_path / "walker.tiny"
    walker.write_text(
        json.dumps({"keys": [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]})
    )  # holds right: walks off the stage
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    return tmp_path, walker, env


def _run(code: str, env: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_another_trainers_checkpoint_plays_a_match_and_a_tournament(installed):
    tmp_path, walker, env = installed
    out = _run(
        f"""
        import json, sys
        from league.registry import available, checkpoint_trainer
        from brawl_league.matches import play_series
        from tournament.config import TournamentConfig
        from tournament.runner import run_tournament

        series = play_series({str(walker)!r}, "ConstantBot", games=2, frames=600)
        res = run_tournament([{str(walker)!r}, "ConstantBot"],
                             TournamentConfig(games=2, frames=600, workers=1, bootstrap=10, out={str(tmp_path / "t")!r}))
        print(json.dumps({{
            "trainers": list(available()), "claims": checkpoint_trainer({str(walker)!r}),
            "series": [g["result_a"] for g in series["games"]],
            "falls": [g["stats_a"]["knockouts_taken"] for g in series["games"]],
            "table": {{r["name"]: r["games"] for r in res.table.rows}},
            "default_loaded": any(m.startswith("trainers.transformer_lstm_ppo") for m in sys.modules),
            "torch": "torch" in sys.modules,
        }}))
    """,
        env,
    )
    assert "tiny" in out["trainers"] and DEFAULT in out["trainers"] and out["claims"] == "tiny"
    # the walker walks off the stage: it loses both games to the idle bot, by knockouts
    assert out["series"] == ["loss", "loss"] and all(k >= 1 for k in out["falls"])
    assert out["table"] == {"walker": 2, "ConstantBot": 2}
    assert not out["default_loaded"] and not out["torch"]


def test_the_default_trainer_is_registered_and_claims_its_files(tmp_path):
    assert next(iter(available())) == DEFAULT
    assert trainer_class(DEFAULT).name == DEFAULT
    assert checkpoint_trainer(tmp_path / "run.zip") == DEFAULT
    assert checkpoint_trainer(tmp_path / "bot.py") is None
    with pytest.raises(ValueError, match="unknown trainer 'nope'"):
        trainer_class("nope")


def test_another_trainer_trains_and_its_checkpoint_plays_match_and_tournament_by_command(installed):
    """The whole path through the registry for a plugin of its own: `brawl-league train --trainer tiny`
    learns (it keeps the tapping period that hurt the idle bot most), and the checkpoint it writes plays
    `brawl-league match` and `brawl-league tournament` by its file name."""
    tmp_path, _, env = installed
    cli = [sys.executable, "-m", "brawl_league.cli"]

    def run(*args):
        proc = subprocess.run([*cli, *args], capture_output=True, text=True, env=env, timeout=600)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        return proc.stdout

    out = run("train", "--trainer", "tiny", "--runs-dir", str(tmp_path / "runs"), "--name", "r", "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    ckpt = tmp_path / "runs" / "r" / "checkpoints" / "best.tiny"
    assert summary["last_checkpoint"] == str(ckpt) and ckpt.exists()
    scores = dict(zip((0, 1, 2, 4, 8, 16), summary["scores"]))
    # it learned something: the kept period beats standing still (which scores nothing) and is the best tried
    assert summary["period"] != 0 and scores[summary["period"]] == max(scores.values()) > scores[0] == 0
    assert json.loads(ckpt.read_text())["period"] == summary["period"]

    match = json.loads(run("match", str(ckpt), "ConstantBot", "--games", "2", "--frames", "600", "--json"))
    assert len(match["games"]) == 2 and match["names"][0] == "best"
    assert sum(g["stats_a"]["damage_dealt"] + g["stats_a"]["knockouts_dealt"] for g in match["games"]) > 0

    t = tmp_path / "t"
    table = json.loads(
        run(
            "tournament",
            str(ckpt),
            "ConstantBot",
            "--games",
            "2",
            "--frames",
            "600",
            "--workers",
            "1",
            "--out",
            str(t),
            "--json",
        )
    )
    assert {r["name"]: r["games"] for r in table["ratings"]} == {"best": 2, "ConstantBot": 2}


def test_a_plugin_run_that_fails_after_its_checkpoint_is_kept(installed):
    """A failed start is cleaned up, but a run that wrote one of its trainer's checkpoints (whatever
    the suffix: here `.tiny`, not `.zip`) is kept for `--resume`."""
    tmp_path, _, env = installed
    args = ["train", "--trainer", "tiny", "--runs-dir", str(tmp_path / "runs"), "--name", "r"]
    proc = subprocess.run(
        [sys.executable, "-m", "brawl_league.cli", *args, "--set", "frames=60", "--set", "fail=true"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode != 0 and "failing after its checkpoint" in proc.stderr
    assert (tmp_path / "runs" / "r" / "checkpoints" / "best.tiny").exists()
