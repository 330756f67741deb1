"""Agent specs (``league.agents``) as tournaments use them: bots, checkpoints, league snapshots, submission
folders; errors; checkpoints loaded through the trainer registry, weights without pickle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from tourney_helpers import (
    FAULTY_BOTS,
    TINY_MODEL,
    malicious_pt,
    malicious_zip,
    save_checkpoint_zip,
    save_snapshot,
    tiny_policy,
    write_bots,
)

from league.agents import AgentError, checkpoint_name, make_agent, parse_agents, read_bytes


def test_bot_specs_builtin_file_and_module(tmp_path):
    path = write_bots(tmp_path)
    agents = parse_agents(["BasedBot", f"{path}:Raiser", "brawl_env.bots.builtin:SpacerBot"])
    assert [a.name for a in agents] == ["BasedBot", "Raiser", "SpacerBot"]
    assert [a.source for a in agents] == ["builtin", "file", "module"]
    assert agents[1].path == str(path.resolve()) and len(agents[1].sha256) == 64
    assert all(a.kind == "bot" for a in agents)


@pytest.mark.parametrize(
    "specs, message",
    [
        (["BasedBot", "NoSuchBot"], "unknown bot 'NoSuchBot'"),
        (["BasedBot"], "at least two agents"),
        ([], "at least two agents"),
        (["BasedBot", "missing.zip"], "no checkpoint file"),
        (["BasedBot", "nowhere.py:Cls"], "no file"),
        (["BasedBot", "BasedBot"], "given twice"),
        (["BasedBot", "league:latest"], "need --league"),
        (["BasedBot", ""], "non-empty"),
    ],
)
def test_spec_errors_say_what_is_wrong(specs, message):
    with pytest.raises(AgentError, match=message):
        parse_agents(specs)


def test_same_name_different_agents_get_suffixes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = write_bots(tmp_path / "a")
    two = write_bots(tmp_path / "b", FAULTY_BOTS.replace("Raises on", "Also raises on"))
    agents = parse_agents([f"{one}:Raiser", f"{two}:Raiser", "BasedBot"])
    assert [a.name for a in agents] == ["Raiser", "Raiser-2", "BasedBot"]


def test_submission_directory(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "one.py").write_text("from brawl_env.bots import Bot\n\nclass One(Bot):\n    'One.'\n")
    (subs / "two.py").write_text(
        "from brawl_env.bots import Bot\n\nclass A(Bot):\n    pass\n\nclass B(Bot):\n    pass\n"
    )  # two bots: skipped with a warning
    (subs / "helper.py").write_text("X = 1\n")  # no bot: skipped
    save_snapshot(subs / "net.pt")
    agents = parse_agents([str(subs), "BasedBot"])
    assert [a.name for a in agents] == ["net", "One", "BasedBot"]
    assert agents[0].kind == "nn" and agents[1].source == "file"


def test_checkpoint_names():
    from pathlib import Path

    assert checkpoint_name(Path("runs/exp1/checkpoints/rl_model_5000_steps.zip")) == "exp1@5000"
    assert checkpoint_name(Path("subs/alice.pt")) == "alice"


def test_tiny_checkpoints_load_to_the_same_network(tmp_path):
    pt = save_snapshot(tmp_path / "a.pt", seed=3)
    zp = save_checkpoint_zip(tmp_path / "b.zip", seed=3)
    agents = parse_agents([str(pt), str(zp)])
    assert [a.kind for a in agents] == ["nn", "nn"]
    want = tiny_policy(3).state_dict()
    for agent in agents:
        got = make_agent(agent).policy.state_dict()  # through the trainer registry
        assert set(got) == set(want) and all(torch.equal(got[k], want[k]) for k in want)


def test_checkpoint_without_model_card_is_refused(tmp_path):
    zp = save_checkpoint_zip(tmp_path / "old.zip")
    import zipfile

    stripped = tmp_path / "nocard.zip"
    with zipfile.ZipFile(zp) as src, zipfile.ZipFile(stripped, "w") as dst:
        for name in src.namelist():
            if name != "brawl_model.json":
                dst.writestr(name, src.read(name))
    with pytest.raises(AgentError, match="no brawl_model.json"):
        parse_agents([str(stripped), "BasedBot"])


@pytest.mark.parametrize("kind", ["pt", "zip"])
def test_malicious_checkpoint_is_refused_and_nothing_runs(tmp_path, kind):
    marker = tmp_path / "pwned"
    path = tmp_path / f"evil.{kind}"
    (malicious_pt if kind == "pt" else malicious_zip)(path, marker)
    with pytest.raises(AgentError, match="refused: it holds pickled objects"):
        parse_agents([str(path), "BasedBot"])
    assert not marker.exists()
    # the file really is malicious: plain unpickling runs its command
    live = tmp_path / "live"
    (malicious_pt if kind == "pt" else malicious_zip)(tmp_path / f"copy.{kind}", live)
    if kind == "pt":
        torch.load(tmp_path / f"copy.{kind}", weights_only=False)
    else:
        import io
        import zipfile

        with zipfile.ZipFile(tmp_path / f"copy.{kind}") as zf:
            torch.load(io.BytesIO(zf.read("policy.pth")), weights_only=False)
    assert live.exists()


def test_league_selectors(tmp_path):
    from league.store import League

    with League.open(tmp_path / "lg", create=True) as lg:
        for step, seed in ((100, 1), (200, 2), (300, 3)):
            save_snapshot(tmp_path / f"s{step}.pt", seed=seed)
            lg.register_snapshot(tmp_path / f"s{step}.pt", step=step, run="exp")
        lg.record_match("exp@100", "BasedBot", "win", source="evaluation")
        lg.record_match("exp@100", "BasedBot", "win", source="evaluation")
        lg.record_match("exp@300", "BasedBot", "loss", source="evaluation")
    latest = parse_agents(["league:latest", "BasedBot"], league_dir=tmp_path / "lg")
    assert latest[0].name == "exp@300" and latest[0].source == "snapshot"
    top = parse_agents(["league:top2", "BasedBot"], league_dir=tmp_path / "lg")
    assert [a.name for a in top[:2]] == ["exp@100", "exp@200"]
    named = parse_agents(["league:exp@200", "BasedBot"], league_dir=tmp_path / "lg")
    assert named[0].league_player == "exp@200"
    with pytest.raises(AgentError, match="no snapshot named"):
        parse_agents(["league:exp@999", "BasedBot"], league_dir=tmp_path / "lg")


def test_changed_file_is_noticed(tmp_path):
    pt = save_snapshot(tmp_path / "a.pt")
    agent = parse_agents([str(pt), "BasedBot"])[0]
    shutil.copy(save_snapshot(tmp_path / "b.pt", seed=9), pt)
    with pytest.raises(AgentError, match="changed since the tournament started"):
        read_bytes(agent)


def test_league_spaced_selector_takes_first_last_and_evenly_spaced_steps(tmp_path):
    from league.store import League

    with League.open(tmp_path / "lg", create=True) as lg:
        for step in (0, 100, 200, 300, 400, 500, 600, 700, 800, 900):
            lg.register_snapshot(save_snapshot(tmp_path / f"s{step}.pt", seed=step), step=step, run="exp")
        lg.retire("exp@0")  # retired snapshots are still the run's history
    spaced = parse_agents(["league:spaced4", "BasedBot"], league_dir=tmp_path / "lg", check=False)
    assert [(a.name, a.step) for a in spaced[:4]] == [
        ("exp@0", 0),
        ("exp@300", 300),
        ("exp@600", 600),
        ("exp@900", 900),
    ]
    assert spaced[0].source == "snapshot"
    every = parse_agents(["league:spaced50"], league_dir=tmp_path / "lg", check=False)
    assert [a.step for a in every] == list(range(0, 1000, 100))
    with pytest.raises(AgentError, match="N >= 2"):
        parse_agents(["league:spaced1", "BasedBot"], league_dir=tmp_path / "lg", check=False)


def test_spaced_by_step_with_uneven_steps():
    from types import SimpleNamespace

    from league.agents import spaced_by_step

    players = [SimpleNamespace(id=i, step=s) for i, s in enumerate((0, 10, 20, 30, 500, 900, 1000))]
    assert [p.step for p in spaced_by_step(players, 3)] == [0, 500, 1000]
    assert [p.step for p in spaced_by_step(players, 2)] == [0, 1000]


def test_checkpoint_specs_carry_their_step(tmp_path):
    (tmp_path / "runs" / "r1" / "checkpoints").mkdir(parents=True)
    zip_path = save_checkpoint_zip(tmp_path / "runs" / "r1" / "checkpoints" / "rl_model_4096_steps.zip")
    agent = parse_agents([str(zip_path), "BasedBot"], check=False)[0]
    assert (agent.name, agent.step) == ("r1@4096", 4096)


# imports and one tiny network built before the measured part, so only loading the file is measured
WARM = f"""
import pathlib, sys, tempfile
sys.path.insert(0, {str(Path(__file__).parent)!r})
from league.agents import make_agent, parse_agents
from tourney_helpers import save_checkpoint_zip
with tempfile.TemporaryDirectory() as folder:
    make_agent(parse_agents([str(save_checkpoint_zip(pathlib.Path(folder) / "w.zip")), "BasedBot"])[0])
"""


def test_hostile_checkpoints_are_refused_in_little_memory(tmp_path, measure_peak, zip_with_zeros):
    # the files: 1 MB whose policy.pth inflates to 1.06 GiB (3.4 GB before it was refused), and
    # a checkpoint whose model card asks for lstm=8192 (1.44 GB of network built before)
    card = {"format": 1, "trainer": "transformer-lstm-ppo", "model": dict(TINY_MODEL)}
    bomb = zip_with_zeros(
        tmp_path / "bomb.zip",
        {"policy.pth": (b"", 68 << 24), "brawl_model.json": (json.dumps(card).encode(), 0)},
    )
    assert bomb.stat().st_size < 2_000_000
    card = {"format": 1, "trainer": "transformer-lstm-ppo", "model": {**TINY_MODEL, "lstm": 8192}}
    huge = save_checkpoint_zip(tmp_path / "huge.zip", card=card)
    got = measure_peak(WARM, *(f"parse_agents([{str(p)!r}, 'BasedBot'])" for p in (bomb, huge)))
    for found, says in zip(got, ("policy.pth declares 1,140,850,688 bytes", "lstm")):
        assert found["error"] is not None and found["error"]["type"] == "AgentError", found
        assert says in found["error"]["message"], found
        assert found["peak_mb"] < 200, found
    # each size within its own bound, but too large together
    card["model"] = {**TINY_MODEL, "d_model": 4096, "heads": 8, "ffn": 16384, "layers": 48}
    with pytest.raises(AgentError, match="MiB of weights, more than the 256 MiB"):
        parse_agents([str(save_checkpoint_zip(tmp_path / "wide.zip", card=card)), "BasedBot"])


@pytest.mark.parametrize("suffix", [".zip", ".pt"])
def test_random_bytes_are_not_a_checkpoint(tmp_path, suffix):
    path = tmp_path / f"noise{suffix}"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(AgentError, match="not a checkpoint") as err:
        parse_agents([str(path), "BasedBot"])
    assert "pickled" not in str(err.value) and "\n" not in str(err.value)


def test_a_file_larger_than_any_checkpoint_is_not_read(tmp_path):
    from trainers.safe_files import CheckpointError
    from trainers.transformer_lstm_ppo.checkpoint import MAX_FILE_BYTES, read_file

    path = tmp_path / "huge.zip"
    with open(path, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    with pytest.raises(CheckpointError, match="larger than any checkpoint can be"):
        read_file(path)


def test_the_registry_reads_no_file_larger_than_its_trainer_loads(tmp_path):
    # the registry path (make_agent, and the bytes shipped to Ray workers) is bounded by the plugin's
    # max_checkpoint_bytes, the same bound as the trainer's own read_file
    from league.agents import AgentSpec
    from trainers.transformer_lstm_ppo.checkpoint import MAX_FILE_BYTES

    path = tmp_path / "huge.zip"
    with open(path, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    agent = AgentSpec(
        name="huge",
        kind="nn",
        spec=str(path),
        source="checkpoint",
        path=str(path),
        trainer="transformer-lstm-ppo",
    )
    for load in (make_agent, read_bytes, AgentSpec.with_payload):
        with pytest.raises(AgentError, match="larger than any checkpoint can be"):
            load(agent)
