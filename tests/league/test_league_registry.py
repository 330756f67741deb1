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


    class Holder:
        """Holds the same keys every frame, for every row."""

        trusted_keys = True

        def __init__(self, keys, name):
            self.keys, self.name = np.asarray(keys, np.int8), name

        def reset_rows(self, rows, seeds=None):
            pass

        def act(self, obs, rows):
            return np.repeat(self.keys[None], len(rows), axis=0)


    class TinyTrainer:
        name = "tiny"

        @classmethod
        def is_checkpoint(cls, path):
            return Path(path).suffix == ".tiny"

        @classmethod
        def load_agent(cls, data, *, name, where, deterministic=False, device="cpu", path=None):
            return Holder(json.loads(data)["keys"], name)
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
