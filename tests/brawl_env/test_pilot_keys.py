"""The pilot bots press the same keys as when their fingerprint was recorded, frame for frame.

``data/pilot_keys.json`` holds a fingerprint of the keys that SpacerBot, ArmoryBot and EdgeGuardBot
pressed before their speed-up (recorded at commit 6e02174): a hash of every frame's keys

- of 36 seeded matches among SpacerBot, ArmoryBot, EdgeGuardBot and BasedBot (every pair, four seeds,
  sides swapped on odd seeds);
- on observations of a ``BatchEnv`` rollout with random keys (16 matches x 625 frames x 2 players =
  20,000 observations; each player's sequence of observations is fed to its own bot instance);
- on observations drawn uniformly from the observation Box, corners included.

The tests replay a few of each; ``python tests/brawl_env/test_pilot_keys.py --check`` replays them all.
A change that is meant to keep the bots' behaviour must pass both. If a change is meant to alter it
(or the game's behaviour changed: ``RULES_VERSION``), regenerate the fingerprint with

    python tests/brawl_env/test_pilot_keys.py --regenerate
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from brawl_env.batch import BatchEnv
from brawl_env.bots import load_bot
from brawl_env.bots import tactics as T
from brawl_env.engine import layout as L
from brawl_env.engine.obs import bounds
from brawl_env.engine.version import GAME_VERSION
from brawl_env.match import run_match
from brawl_env.view import ObsView

DATA = Path(__file__).parent / "data" / "pilot_keys.json"
REGENERATE = "python tests/brawl_env/test_pilot_keys.py --regenerate"
PILOTS = ("SpacerBot", "ArmoryBot", "EdgeGuardBot")
CORPUS_BOTS = PILOTS + ("BasedBot",)
SEEDS = range(4)
ROLLOUT = dict(lanes=16, steps=625, seed=7)  # the whole rollout: 20,000 observations per bot
ROLLOUT_QUICK = dict(lanes=4, steps=250, seed=7)  # the tests' share of it: 2,000 observations
BOX = dict(rows=3000, seed=11)
BOX_QUICK = dict(rows=600, seed=11)
# the matches the tests replay: each pilot against each kind of opponent at least once
QUICK_MATCHES = (
    ("SpacerBot", "ArmoryBot", 0),
    ("EdgeGuardBot", "ArmoryBot", 1),
    ("SpacerBot", "BasedBot", 2),
    ("EdgeGuardBot", "EdgeGuardBot", 3),
)


def digest(keys: np.ndarray) -> str:
    """A short hash of a key array (its shape included)."""
    keys = np.ascontiguousarray(keys, dtype=np.uint8)
    h = hashlib.sha256(repr(keys.shape).encode())
    h.update(keys.tobytes())
    return h.hexdigest()[:20]


class _Unguarded:
    """A bot played without the match runner's guard: a loaded machine must not turn slowness into a
    forfeit here."""

    def __init__(self, bot):
        self.bot, self.name = bot, bot.name

    def reset(self, seed=None):
        self.bot.reset(seed)

    def act(self, obs):
        return self.bot.act(ObsView(obs))


def corpus_matches() -> list[tuple[str, str, int]]:
    """(left bot, right bot, seed) of every match in the fingerprint."""
    out = []
    for a, b in itertools.combinations_with_replacement(CORPUS_BOTS, 2):
        if a == b == "BasedBot":
            continue
        for seed in SEEDS:
            out.append((a, b, seed) if seed % 2 == 0 else (b, a, seed))
    return out


def match_keys(a: str, b: str, seed: int) -> tuple[int, str]:
    res = run_match(_Unguarded(load_bot(a)), _Unguarded(load_bot(b)), seed=seed, record_keys=True)
    return res.frames, digest(res.keys)


def rollout_observations(lanes: int, steps: int, seed: int) -> np.ndarray:
    """Observations ``(lanes, 2, steps, D)`` of a ``BatchEnv`` rollout with random keys; each lane presses
    keys with its own probability (from 0.1 to 0.5), so some stay on stage and some fly off."""
    env = BatchEnv(lanes, seed=seed)
    rng = np.random.default_rng(seed)
    press = np.linspace(0.1, 0.5, lanes)[:, None, None]
    obs = env.reset(seed=seed)
    out = np.empty((steps, lanes, 2, obs.shape[-1]), np.float32)
    for t in range(steps):
        out[t] = obs
        obs, *_ = env.step((rng.random((lanes, 2, L.N_KEYS)) < press).astype(np.int8))
    return out.transpose(1, 2, 0, 3).copy()


def box_observations(rows: int, seed: int) -> np.ndarray:
    """Observations drawn uniformly from the Box; the first third are its corners (every value at a bound)."""
    low, high = bounds()
    rng = np.random.default_rng(seed)
    obs = rng.uniform(low, high, size=(rows, len(low))).astype(np.float32)
    corners = rows // 3
    obs[:corners] = np.where(rng.random((corners, len(low))) < 0.5, low, high)
    return obs


def play_sequence(name: str, obs: np.ndarray) -> np.ndarray:
    """The keys one fresh bot presses for a sequence of observations ``(steps, D)``."""
    bot = load_bot(name)
    bot.reset(seed=0)
    return np.stack([bot.act(ObsView(row)) for row in obs])


def rollout_keys(name: str, obs: np.ndarray) -> np.ndarray:
    return np.stack([[play_sequence(name, obs[i, p]) for p in range(2)] for i in range(len(obs))])


def fingerprint() -> dict:
    """Everything in ``data/pilot_keys.json``, computed with the code as it is."""
    matches = []
    for a, b, seed in corpus_matches():
        frames, keys = match_keys(a, b, seed)
        matches.append({"a": a, "b": b, "seed": seed, "frames": frames, "keys": keys})
    out = {"game_version": GAME_VERSION, "matches": matches}
    for label, spec, make, play in (
        ("rollout", ROLLOUT, rollout_observations, rollout_keys),
        ("rollout_quick", ROLLOUT_QUICK, rollout_observations, rollout_keys),
        ("box", BOX, box_observations, play_sequence),
        ("box_quick", BOX_QUICK, box_observations, play_sequence),
    ):
        obs = make(**spec)
        out[label] = dict(spec, keys={name: digest(play(name, obs)) for name in PILOTS})
    return out


# --- the tests ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded() -> dict:
    info = json.loads(DATA.read_text())
    assert info["game_version"] == GAME_VERSION, (
        f"the pilot keys were recorded under {info['game_version']} but the game is now {GAME_VERSION}: "
        f"regenerate them with `{REGENERATE}`"
    )
    return info


def _recorded_match(info: dict, a: str, b: str, seed: int) -> dict:
    return next(m for m in info["matches"] if (m["a"], m["b"], m["seed"]) == (a, b, seed))


def test_fingerprint_covers_every_pair(recorded):
    pairs = {frozenset((m["a"], m["b"])) for m in recorded["matches"]}
    assert len(recorded["matches"]) == 36 and len(pairs) == 9
    assert all(m["frames"] > 300 for m in recorded["matches"])
    # the matches differ from each other: the seeds vary the games
    assert len({m["keys"] for m in recorded["matches"]}) == len(recorded["matches"])


@pytest.mark.parametrize("a,b,seed", QUICK_MATCHES)
def test_same_keys_every_frame_of_recorded_matches(recorded, a, b, seed):
    want = _recorded_match(recorded, a, b, seed)
    assert match_keys(a, b, seed) == (want["frames"], want["keys"]), (
        f"{a} vs {b} (seed {seed}) pressed other keys than recorded: a change altered the bots' behaviour"
    )


@pytest.mark.parametrize("name", PILOTS)
def test_same_keys_on_rollout_observations(recorded, name):
    spec = recorded["rollout_quick"]
    obs = rollout_observations(spec["lanes"], spec["steps"], spec["seed"])
    assert digest(rollout_keys(name, obs)) == spec["keys"][name]


@pytest.mark.parametrize("name", PILOTS)
def test_same_keys_on_observations_from_the_box(recorded, name):
    spec = recorded["box_quick"]
    assert digest(play_sequence(name, box_observations(spec["rows"], spec["seed"]))) == spec["keys"][name]


def test_a_perturbed_threshold_is_caught(recorded, monkeypatch):
    """The fingerprint is fine enough to notice one threshold moved by 5 cm (the margin a walking body
    keeps from a floor's end)."""
    a, b, seed = QUICK_MATCHES[0]
    want = _recorded_match(recorded, a, b, seed)
    monkeypatch.setattr(T, "EDGE_MARGIN", T.EDGE_MARGIN + 0.05)
    assert match_keys(a, b, seed) != (want["frames"], want["keys"])


def check_all() -> int:
    """Replay the whole fingerprint; print every difference; the number of differences."""
    info = json.loads(DATA.read_text())
    now = fingerprint()
    bad = 0
    for old, new in zip(info["matches"], now["matches"]):
        if old != new:
            bad += 1
            print(f"match {old['a']} vs {old['b']} seed {old['seed']}: recorded {old}, now {new}")
    for label in ("rollout", "rollout_quick", "box", "box_quick"):
        for name in PILOTS:
            if info[label]["keys"][name] != now[label]["keys"][name]:
                bad += 1
                print(f"{label}: {name} pressed other keys")
    n_obs = ROLLOUT["lanes"] * 2 * ROLLOUT["steps"]
    print(
        f"{len(now['matches'])} matches, {n_obs} rollout and {BOX['rows']} box observations per bot: "
        f"{bad} differences"
    )
    return bad


if __name__ == "__main__":
    if sys.argv[1:] == ["--regenerate"]:
        DATA.write_text(json.dumps(fingerprint(), indent=1) + "\n")
        print(f"wrote {DATA}")
    elif sys.argv[1:] == ["--check"]:
        raise SystemExit(1 if check_all() else 0)
    else:
        raise SystemExit(f"usage: {REGENERATE} | --check")
