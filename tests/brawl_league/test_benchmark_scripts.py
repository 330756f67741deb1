"""The benchmark scripts that the docs quote run on the present code (they import what they need lazily,
inside ``main``, so only running them shows that a moved function broke one)."""

from __future__ import annotations

import importlib.util
import json
import tomllib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_script_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_learning_benchmark_trains_and_plays_every_asked_bot(tmp_path):
    out = tmp_path / "learning.json"
    tiny = [
        "ppo.n_envs=8", "ppo.n_steps=64", "ppo.batch_size=256", "run.eval_every=512", "run.eval_games=2",
        "run.checkpoint_every=512", "run.snapshot_every=512",
    ]  # fmt: skip
    # the default preset, whose own run.max_minutes (15) must not cut the script's budget short
    args = ["--preset", "standard", "--steps", "1024", "--games", "2", "--bots", "ConstantBot", "BasedBot"]
    args += ["--runs-dir", str(tmp_path / "runs"), "--name", "t", "--json", str(out)]
    args += [a for kv in tiny for a in ("--set", kv)]
    assert _script("learning").main(args) == 0
    doc = json.loads(out.read_text())
    assert doc["steps"] == 1024 and doc["preset"] == "standard"
    run_config = tomllib.loads((tmp_path / "runs" / "t" / "config.toml").read_text())
    assert run_config["run"]["max_minutes"] == 0
    assert {bot: r["games"] for bot, r in doc["results"].items()} == {"ConstantBot": 2, "BasedBot": 2}
    assert all(0.0 <= r["win_rate"] <= 1.0 for r in doc["results"].values())


def test_ko_causes_counts_every_knockout_once(capsys):
    r = _script("ko_causes").ko_causes("BasedBot", "ConstantBot", games=2)
    assert r["games"] == 2 and r["wins"] == 2  # BasedBot beats the idle bot by knock-outs
    # the idle bot loses its 3 stocks in each game, each knock-out counted under one cause
    assert r["bot_ko_after_hit"] + r["bot_ko_self"] == 3.0
    assert r["agent_ko_after_hit"] + r["agent_ko_self"] == 0.0


def test_bot_repeat_asks_the_bot_only_on_decision_frames_and_holds_its_keys():
    held_cls = _script("bot_repeat").Held

    class Toggler:  # presses key 0 on every other call it gets, per row
        name = "toggler"

        def __init__(self):
            self.calls = np.zeros(3, int)

        def reset_rows(self, rows, seeds=None):
            self.calls[rows] = 0

        def act(self, obs, rows):
            keys = np.zeros((len(rows), 10), np.int8)
            keys[:, 0] = self.calls[rows] % 2 == 0
            self.calls[rows] += 1
            return keys

    inner = Toggler()
    held = held_cls(inner, 3, rows=3)
    held.reset_rows(np.arange(3))
    seen = [held.act(np.zeros((3, 4)), np.arange(3))[:, 0].tolist() for _ in range(7)]
    assert seen == [[1] * 3] * 3 + [[0] * 3] * 3 + [[1] * 3]  # a decision every 3rd frame, held between
    assert inner.calls.tolist() == [3, 3, 3]  # the bot was asked only on decision frames
    held.reset_rows(np.array([1]))  # a new game in row 1 decides on its first frame
    assert held.act(np.zeros((1, 4)), np.array([1]))[:, 0].tolist() == [1]


def test_bot_repeat_at_every_frame_is_the_bot_itself():
    # BasedBot beats the idle bot in both games whether or not it is wrapped at k = 1
    assert _script("bot_repeat").win_rate("BasedBot", 1, "ConstantBot", games=2) == 1.0
