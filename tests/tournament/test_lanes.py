"""Lock-step batches: a match in a batch plays exactly as it plays alone; faults forfeit only their lane."""

from __future__ import annotations

import numpy as np
import pytest
from tourney_helpers import save_snapshot, write_bots

from brawl_env.bots import load_bot
from brawl_env.match import run_match
from brawl_env.replay import Replay, simulate, unpack_keys
from league.agents import parse_agents
from brawl_env.bots import FrameAgent
from tournament.config import BatchSettings
from tournament.lanes import LaneBots, make_player, run_batch
from tournament.schedule import make_schedule


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Small networks on a busy 2-core machine run ten times faster on one thread (as workers do)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _play(agent_specs, games, frames, seed=5, stocks=3, **settings):
    agents = {a.name: a for a in parse_agents(agent_specs)}
    sched = make_schedule(list(agents), games, seed)
    results = []
    run_batch(agents, sched, BatchSettings(frames=frames, stocks=stocks, **settings), results.append)
    return agents, sched, {r["index"]: r for r in results}


def test_batched_matches_equal_run_match_alone():
    bots = ["BasedBot", "RandomBot", "ConstantBot", "ClockworkBot", "SpacerBot", "EdgeGuardBot"]
    _, sched, results = _play(bots, 2, 450, stocks=1)
    assert sorted(results) == [e.index for e in sched]
    kinds = set()
    for e in sched:
        r = results[e.index]
        alone = run_match(load_bot(e.names[0]), load_bot(e.names[1]), seed=e.seed, max_frames=450, stocks=1)
        assert (r["winner"], r["frames"], r["ended_by"]) == (alone.winner, alone.frames, alone.ended_by), e
        assert r["final_hash"] == alone.final_hash, e  # the very same final state
        assert r["match_seed"] == alone.match_seed
        assert r["result_a"] == alone.result_for(e.a_slot)
        kinds.add(r["ended_by"])
    assert kinds == {"stocks", "time"}  # both kinds of ending are compared


def test_vectorised_and_per_lane_players_are_chosen_as_documented():
    agents = {a.name: a for a in parse_agents(["BasedBot", "ConstantBot", "RandomBot", "SpacerBot"])}
    lanes = np.arange(3)
    settings = BatchSettings(frames=60, stocks=3)
    kinds = {
        n: type(make_player(a, lanes, None, np.zeros(4, np.int64), 0, settings)) for n, a in agents.items()
    }
    assert kinds == {
        "BasedBot": FrameAgent,
        "ConstantBot": FrameAgent,
        "RandomBot": LaneBots,
        "SpacerBot": LaneBots,
    }


def test_recorded_keys_replay_to_the_same_match():
    _, _, results = _play(["BasedBot", "RandomBot", "SpacerBot"], 2, 300)
    for r in results.values():
        replay = Replay(
            keys=unpack_keys(r["keys"]),
            match_seed=r["match_seed"],
            config=r["config"],
            names=tuple(r["names"]),
            seed=r["seed"],
            outcome={
                "winner": r["winner"],
                "ended_by": r["ended_by"],
                "frames": r["frames"],
                "final_hash": r["final_hash"],
                "forfeit": None,
            },
        )
        assert simulate(replay).matches_recording is True


def test_a_fault_forfeits_only_its_own_lane(tmp_path):
    path = write_bots(tmp_path)
    specs = ["BasedBot", f"{path}:Raiser", f"{path}:BadKeys", f"{path}:Hanger", "SpacerBot"]
    _, sched, results = _play(specs, 2, 300, hang_limit=0.2)
    expected = {
        ("BasedBot", "SpacerBot"): None,
        ("Raiser", "BadKeys"): "BadKeys",
        ("Raiser", "Hanger"): "Hanger",
        ("BadKeys", "Hanger"): "Hanger",
    }
    for e in sched:
        r = results[e.index]
        pair = (e.a, e.b)
        culprit = expected.get(pair, next((x for x in pair if x in ("Raiser", "BadKeys", "Hanger")), None))
        if culprit is None:
            assert r["forfeit"] is None
            alone = run_match(load_bot(e.names[0]), load_bot(e.names[1]), seed=e.seed, max_frames=300)
            assert r["final_hash"] == alone.final_hash  # the healthy match is untouched by its neighbours
            continue
        f = r["forfeit"]
        assert r["ended_by"] == "forfeit" and f["name"] == culprit, (pair, f)
        assert r["winner"] == 1 - f["slot"] and e.names[f["slot"]] == culprit
        assert r["frames"] == {"Hanger": 2, "BadKeys": 4, "Raiser": 6}[culprit]
        assert {
            "Raiser": "act raised ZeroDivisionError",
            "BadKeys": "bad keys: every key must be exactly 0 or 1",
            "Hanger": "did not return within 0.2 s",
        }[culprit] in f["reason"]


def test_faults_match_run_match_on_the_same_frame(tmp_path):
    path = write_bots(tmp_path)
    _, sched, results = _play([f"{path}:Raiser", "BasedBot"], 2, 300)
    for e in sched:
        alone = run_match(
            *(load_bot("BasedBot") if n == "BasedBot" else load_bot(f"{path}:{n}") for n in e.names),
            seed=e.seed,
            max_frames=300,
        )
        r = results[e.index]
        assert (r["frames"], r["winner"], r["forfeit"]["slot"]) == (
            alone.frames,
            alone.winner,
            alone.forfeit["slot"],
        )
        assert r["final_hash"] == alone.final_hash


@pytest.mark.parametrize("deterministic", [False, True])
def test_network_lanes_batched_equal_alone(tmp_path, deterministic):
    net = save_snapshot(tmp_path / "net.pt", seed=1)
    agents = {a.name: a for a in parse_agents([str(net), "BasedBot", "RandomBot"])}
    sched = [e for e in make_schedule(list(agents), 3, 9) if "net" in (e.a, e.b)]
    settings = BatchSettings(frames=240, stocks=3, deterministic=deterministic)
    together: list[dict] = []
    run_batch(agents, sched, settings, together.append)
    together_by = {r["index"]: r for r in together}
    for e in sched:
        alone: list[dict] = []
        run_batch(agents, [e], settings, alone.append)
        assert alone[0]["final_hash"] == together_by[e.index]["final_hash"], e
    # the network really acts: not all its keys are the same
    r = together_by[sched[0].index]
    slot = sched[0].names.index("net")
    keys = unpack_keys(r["keys"])[:, slot]
    assert len({k.tobytes() for k in keys}) >= 3


def test_network_with_action_repeat_holds_its_keys_for_each_block(tmp_path):
    net = save_snapshot(tmp_path / "net.pt", seed=2, action_repeat=3)
    agents = {a.name: a for a in parse_agents([str(net), "RandomBot"])}
    sched = make_schedule(list(agents), 2, 1)
    settings = BatchSettings(frames=120, stocks=3)
    together: list[dict] = []
    run_batch(agents, sched, settings, together.append)
    changes_inside_blocks = changes_at_block_starts = 0
    for r in together:
        keys = unpack_keys(r["keys"])[:, r["names"].index("net")]
        changed = (keys[1:] != keys[:-1]).any(axis=1)  # changed[t-1]: keys at t differ from t-1
        starts = np.arange(1, len(keys)) % 3 == 0
        changes_inside_blocks += int(changed[~starts].sum())
        changes_at_block_starts += int(changed[starts].sum())
        alone: list[dict] = []
        run_batch(agents, [sched[r["index"]]], settings, alone.append)
        assert alone[0]["final_hash"] == r["final_hash"]
    assert changes_inside_blocks == 0 and changes_at_block_starts > 3
