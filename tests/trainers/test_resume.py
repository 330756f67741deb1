"""Resuming a run: only safe loading, run files that match the checkpoint, one trainer at a time, clear
refusals.

One run is killed (SIGKILL, in a subprocess, at a known step past a checkpoint) and resumed; the CSVs must
then equal an uninterrupted run's rows up to the resumed step and hold nothing of the lost stretch.
"""

from __future__ import annotations

import base64
import csv
import io
import os
import pickle
import signal
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from test_plugin import TINY
from typer.testing import CliRunner

from league.registry import trainer_class
from trainers.base import RunLockedError, run_lock
from trainers.evaluate import EVAL_BOTS

CADENCES = ["run.checkpoint_every=256", "run.snapshot_every=128", "run.eval_every=256"]
CSVS = ("monitor.csv", "behavior_metrics.csv", "reward_breakdown.csv", "evaluation_results.csv")
WALL_CLOCK = {"t", "wall_s"}  # columns that measure time, not training


def _trainer(run_dir: Path, steps: int, resume: bool = False, hook=None):
    from league.store import League

    cls = trainer_class("transformer-lstm-ppo")
    if resume:
        config = cls.load_config(None, str(run_dir / "config.toml"), [f"run.total_steps={steps}"])
    else:
        config = cls.load_config("smoke", None, TINY + CADENCES + [f"run.total_steps={steps}"])
    run_dir.mkdir(exist_ok=True)
    league = League.open(run_dir / "league_db", create=True)
    return cls(config, run_dir, league, hook), league


KILLED = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from test_resume import _trainer
from trainers.base import ProgressHook
from pathlib import Path

class KillAt(ProgressHook):
    def _on_progress(self, progress):
        if progress.steps >= {kill_at}:
            os.kill(os.getpid(), signal.SIGKILL)  # no clean-up at all: as a crash or an OOM kill

trainer, _ = _trainer(Path({run!r}), {steps}, hook=KillAt())
trainer.train()
"""


def _rows(path: Path) -> list[dict]:
    with open(path) as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def _timeless(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in WALL_CLOCK} for r in rows]


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """Run B: 1024 steps asked, SIGKILLed at 384 (checkpoint at 256, rows and a snapshot past it), then
    resumed with run.total_steps=512. Run A: the same run, uninterrupted, to the resumed step (256)."""
    root = tmp_path_factory.mktemp("resume")
    a, b = root / "A" / "run", root / "B" / "run"  # one run name: the same learner and snapshot names
    a.parent.mkdir()
    b.parent.mkdir()
    _trainer(a, 256)[0].train()
    script = KILLED.format(tests=str(Path(__file__).parent), kill_at=384, run=str(b), steps=1024)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    before = {name: _rows(b / name) for name in CSVS}
    trainer, league = _trainer(b, 512, resume=True)
    games = len(league.matches())
    summary = trainer.train(resume=True)
    assert len(league.matches()) > games  # the resumed run goes on recording into the same league
    return a, b, before, summary


def test_a_killed_run_resumes_with_csvs_equal_to_an_uninterrupted_run_up_to_its_checkpoint(
    killed_and_resumed,
):
    a, b, before, summary = killed_and_resumed
    assert summary["steps"] == 512
    assert max(int(r["step"]) for r in before["behavior_metrics.csv"]) > 256  # the kill lost a stretch
    for name in CSVS:
        mine, uninterrupted = _rows(b / name), _rows(a / name)
        assert _timeless(mine[: len(uninterrupted)]) == _timeless(uninterrupted), name
        if name != "monitor.csv":
            later = [int(r["step"]) for r in mine[len(uninterrupted) :]]
            assert later and min(later) > 256 and later == sorted(later), name  # the lost stretch is gone
    assert len(_rows(b / "monitor.csv")) == len(_rows(b / "behavior_metrics.csv"))
    assert [int(r["step"]) for r in _rows(b / "evaluation_results.csv")] == [256] * len(EVAL_BOTS) + [
        512
    ] * len(EVAL_BOTS)
    times = [float(r["t"]) for r in _rows(b / "monitor.csv")]
    assert times == sorted(times)  # t continues instead of restarting at 0
    text = (b / "monitor.csv").read_text()
    assert sum(line.startswith("#") for line in text.splitlines()) == 1


def test_resume_records_its_settings_and_the_league_keeps_the_lost_games_out_of_the_pool(killed_and_resumed):
    from league.store import League

    _, b, _, _ = killed_and_resumed
    assert tomllib.loads((b / "config.toml").read_text())["run"]["total_steps"] == 512  # was 1024
    with League.open(b / "league_db") as lg:
        snaps = {p.name: p for p in lg.snapshots(run="run", active=None)}
        assert lg.check() == []  # after the kill too: live ratings equal a replay of the matches, exactly
        assert lg.replay_ratings() == {r.player.name: r.rating for r in lg.ratings()}
    assert not snaps["run@384"].active  # trained in the lost stretch: kept, but out of the self-play pool
    assert snaps["run@384-2"].active and snaps["run@512"].active
    assert sorted(p.name for p in (b / "checkpoints").iterdir())[-1] == "rl_model_512_steps.zip"


def test_resume_of_a_finished_run_says_how_to_extend_it(killed_and_resumed):
    _, b, _, _ = killed_and_resumed
    trainer, _ = _trainer(b, 512, resume=True)
    with pytest.raises(ValueError, match=r"is finished.*512.*--resume .* --set run.total_steps=N"):
        trainer.train(resume=True)


def test_a_second_process_cannot_train_a_run_being_trained(killed_and_resumed):
    _, b, _, _ = killed_and_resumed
    trainer, _ = _trainer(b, 640, resume=True)
    with run_lock(b):  # as another process training it would hold it
        with pytest.raises(RunLockedError, match="is being trained by process"):
            trainer.train(resume=True)
    assert sorted(p.name for p in (b / "checkpoints").iterdir())[-1] == "rl_model_512_steps.zip"


class _Evil:
    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _replace_member(path: Path, name: str, data: bytes) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[name] = data
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)


def test_a_malicious_checkpoint_runs_nothing_on_resume(tmp_path):
    import json

    run = tmp_path / "run"
    _trainer(run, 128)[0].train()
    ckpt = run / "checkpoints" / "rl_model_128_steps.zip"
    marker = tmp_path / "pwned"
    # SB3's loader unpickles every ":serialized:" entry of the data member (cloudpickle)
    with zipfile.ZipFile(ckpt) as zf:
        data = json.loads(zf.read("data"))
    evil = base64.b64encode(pickle.dumps(_Evil(marker))).decode()
    data["evil"] = {":type:": "<class 'x'>", ":serialized:": evil}
    _replace_member(ckpt, "data", json.dumps(data).encode())
    summary = _trainer(run, 256, resume=True)[0].train(resume=True)
    assert summary["steps"] == 256 and not marker.exists()  # resumed from weights and our own state only
    # code in the optimizer member (the one pickle a resume does read) is refused, not run
    ckpt = run / "checkpoints" / "rl_model_256_steps.zip"
    buf = io.BytesIO()
    import torch

    torch.save({"state": {0: _Evil(marker)}, "param_groups": []}, buf)
    _replace_member(ckpt, "policy.optimizer.pth", buf.getvalue())
    with pytest.raises(ValueError, match="refused: it holds pickled objects"):
        _trainer(run, 384, resume=True)[0].train(resume=True)
    assert not marker.exists()


def test_a_checkpoint_without_training_state_is_refused_for_resume(tmp_path):
    run = tmp_path / "run"
    _trainer(run, 128)[0].train()
    ckpt = run / "checkpoints" / "rl_model_128_steps.zip"
    with zipfile.ZipFile(ckpt) as zf:
        members = {n: zf.read(n) for n in zf.namelist() if n != "brawl_train_state.json"}
    with zipfile.ZipFile(ckpt, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    with pytest.raises(ValueError, match="written before brawl-league saved its training state"):
        _trainer(run, 256, resume=True)[0].train(resume=True)
    from league.agents import make_agent, parse_agents

    make_agent(parse_agents([str(ckpt), "BasedBot"])[0])  # it still plays


def test_an_evaluation_cut_short_is_redone_on_resume(tmp_path, monkeypatch):
    from trainers.transformer_lstm_ppo.run_callback import RunCallback

    real = RunCallback._evaluate

    def interrupted(self, steps):
        raise KeyboardInterrupt  # Ctrl-C in the middle of the evaluation at step 256

    monkeypatch.setattr(RunCallback, "_evaluate", interrupted)
    run = tmp_path / "run"
    summary = _trainer(run, 256)[0].train()  # the run's last step: its final evaluation is cut short
    assert summary["interrupted"] and summary["steps"] == 256
    assert _rows(run / "evaluation_results.csv") == []
    monkeypatch.setattr(RunCallback, "_evaluate", real)
    _trainer(run, 256, resume=True)[0].train(resume=True)  # not "finished" while that evaluation is missing
    assert [int(r["step"]) for r in _rows(run / "evaluation_results.csv")] == [256] * len(EVAL_BOTS)
    with pytest.raises(ValueError, match="is finished"):
        _trainer(run, 256, resume=True)[0].train(resume=True)


def test_a_failed_start_leaves_nothing_behind(tmp_path):
    from brawl_league.cli import app

    runs = tmp_path / "runs"
    out = CliRunner().invoke(
        app,
        [
            "train",
            "--device",
            "cuda",
            "--runs-dir",
            str(runs),
            "--name",
            "r",
            *sum((["--set", s] for s in TINY if not s.startswith("device")), []),
        ],
    )
    assert out.exit_code == 2 and "CUDA" in out.output
    assert not runs.exists()  # a retry with the same --name is not blocked


def test_a_failure_inside_the_trainer_removes_the_new_run(tmp_path, monkeypatch):
    from brawl_league.cli import app
    from trainers.transformer_lstm_ppo import plugin

    def broken(self, resume):
        raise ValueError("broken on purpose")

    monkeypatch.setattr(plugin.TransformerLstmPPOTrainer, "_train", broken)
    runs = tmp_path / "runs"
    runs.mkdir()
    out = CliRunner().invoke(app, ["train", "--runs-dir", str(runs), "--name", "r", "--set", "device=cpu"])
    assert out.exit_code == 2 and "broken on purpose" in out.output
    assert list(runs.iterdir()) == []  # the runs folder was there before: only the run goes


def test_an_unwritable_runs_folder_is_one_line_before_anything_is_made(shared_tmp, read_only):
    from brawl_league.cli import app

    (shared_tmp / "a-file").write_text("")  # as ourselves first: the same path up to the check (imports)
    warm = CliRunner().invoke(app, ["train", "--runs-dir", str(shared_tmp / "a-file"), "--set", "device=cpu"])
    assert warm.exit_code == 2 and "is not a folder" in warm.output
    runs = shared_tmp / "runs"
    runs.mkdir()
    args = ["train", "--runs-dir", str(runs), "--name", "r", "--set", "device=cpu"]
    with read_only(runs):
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output  # was: a PermissionError traceback
    assert "--runs-dir: cannot write into" in result.output
    assert list(runs.iterdir()) == []
