"""The benchmark scripts that the docs quote run on the present code (they import what they need lazily,
inside ``main``, so only running them shows that a moved function broke one)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

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
    args = ["--preset", "smoke", "--steps", "1024", "--games", "2", "--bots", "ConstantBot", "BasedBot"]
    args += ["--runs-dir", str(tmp_path / "runs"), "--name", "t", "--json", str(out)]
    args += [a for kv in tiny for a in ("--set", kv)]
    assert _script("learning").main(args) == 0
    doc = json.loads(out.read_text())
    assert doc["steps"] == 1024 and doc["preset"] == "smoke"
    assert {bot: r["games"] for bot, r in doc["results"].items()} == {"ConstantBot": 2, "BasedBot": 2}
    assert all(0.0 <= r["win_rate"] <= 1.0 for r in doc["results"].values())


def test_ko_causes_counts_every_knockout_once(capsys):
    r = _script("ko_causes").ko_causes("BasedBot", "ConstantBot", games=2)
    assert r["games"] == 2 and r["wins"] == 2  # BasedBot beats the idle bot by knock-outs
    # the idle bot loses its 3 stocks in each game, each knock-out counted under one cause
    assert r["bot_ko_after_hit"] + r["bot_ko_self"] == 3.0
    assert r["agent_ko_after_hit"] + r["agent_ko_self"] == 0.0
