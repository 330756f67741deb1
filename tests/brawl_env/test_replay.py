"""Replays: key packing, exact re-simulation, file size, version refusal, the golden replay, the CLI.

The golden replay (``data/golden.replay`` with ``data/golden.json``) is a committed recording with combat
and weapons. If it stops re-simulating to its recorded final state, the game's behaviour changed: bump
``RULES_VERSION`` in ``brawl_env/engine/version.py`` and regenerate it with

    python tests/brawl_env/test_replay.py --regenerate-golden
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from brawl_env import replay as rp
from brawl_env.bots import Bot
from brawl_env.bots.builtin import BasedBot, RandomBot
from brawl_env.engine import layout as L
from brawl_env.engine.version import GAME_VERSION, RULES_VERSION
from brawl_env.match import run_match, state_hash

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden.replay"
GOLDEN_INFO = DATA / "golden.json"
GOLDEN_SEED, GOLDEN_FRAMES, CHECK_EVERY = 26, 450, 50
REGENERATE = "python tests/brawl_env/test_replay.py --regenerate-golden"
runner = CliRunner()
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200", "NO_COLOR": "1"}


class Brawler(Bot):
    """Test bot: random keys biased to fight: fetches a spawned weapon when empty-handed (pressing H near
    it), otherwise walks at the opponent; presses light, heavy and pickup/drop often."""

    PROBS = np.array([0.08, 0.0, 0.08, 0.0, 0.06, 0.12, 0.04, 0.35, 0.15, 0.01])

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, view) -> np.ndarray:
        me, opp, w = view.me, view.opponent, view.world
        keys = (self.rng.random(L.N_KEYS) < self.PROBS).astype(np.int8)
        target = float(opp.x)
        if int(me.weapon) == L.W_PUNCH:
            spots = [float(getattr(w, f"spawner{i}_x")) for i in range(2) if getattr(w, f"spawner{i}_active")]
            if spots:
                target = min(spots, key=lambda x: abs(x - float(me.x)))
                keys[L.K_PICKUP] = abs(target - float(me.x)) < 1.0
        if abs(target - float(me.x)) > 0.3 and self.rng.random() < 0.85:
            keys[L.K_RIGHT if target > float(me.x) else L.K_LEFT] = 1
        if float(me.y) < -2.6:
            keys[L.K_JUMP] = self.rng.random() < 0.5
            keys[L.K_LIGHT] = keys[L.K_HEAVY] = 0
        return keys


def _played(seed: int, frames: int = 900, a=None, b=None, stocks: int = 3):
    return run_match(
        a or BasedBot(), b or Brawler(), seed=seed, max_frames=frames, stocks=stocks, record_keys=True
    )


# --- keys ---------------------------------------------------------------------------------------------------
def test_pack_unpack_round_trip() -> None:
    keys = np.random.default_rng(0).integers(0, 2, (500, 2, 10)).astype(np.uint8)
    packed = rp.pack_keys(keys)
    assert packed.dtype == np.uint16 and packed.shape == (500, 2)
    assert (packed < 1024).all()
    np.testing.assert_array_equal(rp.unpack_keys(packed), keys)
    one = np.zeros((1, 2, 10), np.uint8)
    one[0, 1, L.K_HEAVY] = 1
    assert rp.pack_keys(one)[0, 1] == 1 << L.K_HEAVY


def test_pack_rejects_bad_keys() -> None:
    with pytest.raises(ValueError, match="shape"):
        rp.pack_keys(np.zeros((3, 10), np.uint8))
    with pytest.raises(ValueError, match="0 or 1"):
        rp.pack_keys(np.full((3, 2, 10), 2, np.uint8))


# --- exact re-simulation --------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_replay_resimulates_exactly(seed: int, tmp_path: Path) -> None:
    res = _played(seed)
    path = rp.from_match(res).save(tmp_path / "m.replay")
    loaded = rp.load(path)
    np.testing.assert_array_equal(loaded.keys, res.keys)
    assert loaded.match_seed == res.match_seed and loaded.names == res.names
    sim = rp.simulate(loaded)
    assert sim.final_hash == res.final_hash
    assert (sim.winner, sim.ended_by, sim.frames) == (res.winner, res.ended_by, res.frames)
    assert sim.stats == res.stats
    assert sim.matches_recording is True


def test_replayed_matches_have_combat_and_weapons() -> None:
    """The seeds above are real fights: hits land and spawned weapons are picked up."""
    hits = pickups = 0
    for seed in (1, 2, 3, 4):
        res = _played(seed)
        hits += sum(s["hits_landed"] for s in res.stats)
        pickups += sum(s["weapon_pickups"] for s in res.stats)
    assert hits >= 20 and pickups >= 4, (hits, pickups)


def test_replay_of_random_bots_to_knockout(tmp_path: Path) -> None:
    res = _played(5, frames=2700, a=RandomBot(), b=Brawler())
    sim = rp.simulate(rp.load(rp.from_match(res).save(tmp_path / "r.replay")))
    assert sim.final_hash == res.final_hash and sim.winner == res.winner


def test_full_match_replay_is_small(tmp_path: Path) -> None:
    """A 90-second match of two random-key players (the least compressible keys) is far under 100 KB."""
    res = _played(6, frames=2700, a=RandomBot(), b=RandomBot(), stocks=99)
    assert res.frames == 2700
    path = rp.from_match(res).save(tmp_path / "full.replay")
    size = path.stat().st_size
    assert size < 100_000, size
    assert size < 20_000, f"{size} bytes: packing should keep a full match to a few KB"
    assert rp.simulate(rp.load(path)).final_hash == res.final_hash


def test_diverging_keys_are_detected(tmp_path: Path) -> None:
    res = _played(1, frames=300)
    rec = rp.from_match(res)
    keys = rec.keys.copy()
    keys[100:, 0, L.K_LIGHT] ^= 1
    path = rp.Replay(
        keys=keys,
        match_seed=rec.match_seed,
        config=rec.config,
        names=rec.names,
        seed=rec.seed,
        outcome=rec.outcome,
    ).save(tmp_path / "x.replay")
    assert rp.simulate(rp.load(path)).matches_recording is False
    result = runner.invoke(_app(), ["replay", str(path)], env=WIDE)
    assert result.exit_code == 1, result.output
    assert "differs" in result.output


def test_forfeit_replays_as_forfeit(tmp_path: Path) -> None:
    class Quitter(Bot):
        def reset(self, seed=None):
            self.t = 0

        def act(self, view):
            self.t += 1
            if self.t > 40:
                raise RuntimeError("gave up")
            return np.zeros(10, np.int8)

    res = _played(2, frames=300, b=Quitter())
    assert res.ended_by == "forfeit" and res.frames == 40
    sim = rp.simulate(rp.load(rp.from_match(res).save(tmp_path / "f.replay")))
    assert (sim.ended_by, sim.winner, sim.matches_recording) == ("forfeit", 0, True)


# --- files and versions -----------------------------------------------------------------------------------------
def test_other_rules_version_is_refused_naming_both(tmp_path: Path) -> None:
    res = _played(1, frames=100)
    old = rp.Replay(
        keys=res.keys,
        match_seed=res.match_seed,
        config=res.config,
        names=res.names,
        rules_version=RULES_VERSION + 1,
        game_version=f"brawl_v0-rules{RULES_VERSION + 1}",
    )
    path = old.save(tmp_path / "old.replay")
    with pytest.raises(rp.ReplayVersionError) as err:
        rp.load(path)
    msg = str(err.value)
    assert f"brawl_v0-rules{RULES_VERSION + 1}" in msg and GAME_VERSION in msg
    assert f"rules version {RULES_VERSION + 1}" in msg and f"rules version {RULES_VERSION}" in msg
    assert rp.load(path, check_version=False).rules_version == RULES_VERSION + 1
    result = runner.invoke(_app(), ["replay", str(path)], env=WIDE)
    assert result.exit_code == 2 and GAME_VERSION in result.output


def test_not_a_replay_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.replay"
    bad.write_bytes(b"hello")
    with pytest.raises(rp.ReplayError, match="not a replay"):
        rp.load(bad)
    with pytest.raises(FileNotFoundError):
        rp.load(tmp_path / "missing.replay")


def test_replay_without_recorded_keys_is_an_error() -> None:
    res = run_match(BasedBot(), BasedBot(), seed=0, max_frames=10)
    with pytest.raises(ValueError, match="record_keys"):
        rp.from_match(res)


def test_replay_meta_is_plain_json(tmp_path: Path) -> None:
    path = rp.from_match(_played(3, frames=60)).save(tmp_path / "m.replay")
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta"]).decode())
    assert meta["rules_version"] == RULES_VERSION and meta["game_version"] == GAME_VERSION
    assert meta["config"] == {"max_frames": 60, "stocks": 3, "damage_tiebreak": False}
    assert meta["names"] == ["BasedBot", "Brawler"] and meta["frames"] == 60
    assert set(meta["outcome"]) == {"winner", "ended_by", "frames", "final_hash", "forfeit"}


def _rewrite(path: Path, meta: dict, keys: np.ndarray | None = None) -> Path:
    """Write a replay archive with this header (and these packed keys, else the file's own)."""
    if keys is None:
        with np.load(path, allow_pickle=False) as data:
            keys = data["keys"]
    buf = io.BytesIO()
    np.savez_compressed(buf, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8), keys=keys)
    path.write_bytes(buf.getvalue())
    return path


def _meta_of(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as data:
        return json.loads(bytes(data["meta"]).decode())


@pytest.mark.parametrize(
    "field, value, says",
    [
        ("match_seed", -1, "match_seed must be an integer in [0, 2**64)"),
        ("match_seed", 2**70, "match_seed must be an integer in [0, 2**64)"),
        ("match_seed", "7", "match_seed must be an integer"),
        ("match_seed", None, "match_seed must be an integer"),
        ("seed", -5, "seed must be an integer in [0, 2**64)"),
        ("outcome", "win", "outcome must be null or an object"),
        (
            "outcome",
            {"winner": 2, "ended_by": "time", "frames": 60, "final_hash": None, "forfeit": None},
            "outcome.winner",
        ),
        ("frames", True, "frames must be an integer"),
        ("frames", 61, "frames must be an integer from 0 to the config's max_frames (60)"),
        ("names", ["a"], "names must be two strings"),
        ("config", {"max_frames": True, "stocks": 3, "damage_tiebreak": False}, "max_frames"),
        ("config", {"max_frames": 60, "stocks": 3, "damage_tiebreak": "no"}, "damage_tiebreak"),
        ("format", "1", "unknown replay format"),
        ("rules_version", None, "rules_version must be an integer"),
    ],
)
def test_crafted_headers_are_refused_field_by_field(tmp_path: Path, field, value, says) -> None:
    path = rp.from_match(_played(3, frames=60)).save(tmp_path / "m.replay")
    meta = _meta_of(path)
    meta[field] = value
    _rewrite(path, meta)
    with pytest.raises(rp.ReplayFormatError) as err:
        rp.load(path)
    assert says in str(err.value) and str(path) in str(err.value)
    result = runner.invoke(_app(), ["replay", str(path)], env=WIDE)
    assert result.exit_code == 3, result.output  # not 1 ("differs from the recording") nor a traceback
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.count("\n") == 1 and says in result.output


def test_a_missing_header_field_is_named(tmp_path: Path) -> None:
    path = rp.from_match(_played(3, frames=60)).save(tmp_path / "m.replay")
    meta = _meta_of(path)
    del meta["match_seed"]
    _rewrite(path, meta)
    with pytest.raises(rp.ReplayFormatError, match="no 'match_seed'"):
        rp.load(path)


def test_keys_that_disagree_with_the_header_are_refused(tmp_path: Path) -> None:
    path = rp.from_match(_played(3, frames=60)).save(tmp_path / "m.replay")
    meta = _meta_of(path)
    _rewrite(path, meta, keys=np.zeros((59, 2), np.uint16))
    with pytest.raises(rp.ReplayFormatError, match=r"keys must be \(60, 2\) uint16.*got \(59, 2\)"):
        rp.load(path)


def _bomb(zip_with_zeros, path: Path, frames: int, max_frames: int) -> Path:
    """A replay whose keys (zeros) inflate to 4 bytes x ``frames``."""
    meta = {
        "format": rp.REPLAY_FORMAT,
        "rules_version": RULES_VERSION,
        "game_version": GAME_VERSION,
        "config": {"max_frames": max_frames, "stocks": 3, "damage_tiebreak": False},
        "match_seed": 1,
        "seed": 0,
        "names": ["a", "b"],
        "frames": frames,
        "outcome": None,
    }
    meta_npy, keys_head = io.BytesIO(), io.BytesIO()
    np.lib.format.write_array(meta_npy, np.frombuffer(json.dumps(meta).encode(), np.uint8))
    np.lib.format.write_array_header_1_0(
        keys_head, {"descr": "<u2", "fortran_order": False, "shape": (frames, 2)}
    )
    return zip_with_zeros(
        path, {"meta.npy": (meta_npy.getvalue(), 0), "keys.npy": (keys_head.getvalue(), 4 * frames)}
    )


def test_a_small_file_declaring_100m_frames_is_refused_in_little_memory(
    tmp_path: Path, measure_peak, zip_with_zeros
) -> None:
    # the file: 389 KB declaring 100 M frames (6.3 GB and still running after 150 s, before); once
    # against the match's frame limit, once with a config claiming 100 M frames itself
    paths = [_bomb(zip_with_zeros, tmp_path / f"bomb{m}.replay", 100_000_000, m) for m in (2700, 100_000_000)]
    assert all(p.stat().st_size < 500_000 for p in paths)
    got = measure_peak("from brawl_env import replay as rp", *(f"rp.load({str(p)!r})" for p in paths))
    for found in got:
        assert found["error"] is not None and found["error"]["type"] == "ReplayFormatError", found
        assert "frames" in found["error"]["message"], found
        assert found["peak_mb"] < 200, found


def test_a_lying_zip_entry_is_refused_from_its_declared_size(
    tmp_path: Path, measure_peak, zip_with_zeros
) -> None:
    # header and config agree (a legal 10 M-frame match), but keys.npy inflates past what 10 M frames need
    import zipfile

    path = _bomb(zip_with_zeros, tmp_path / "big.replay", 10_000_000, 10_000_000)
    meta = _meta_of(path)
    meta["frames"] = 1000
    with zipfile.ZipFile(path) as zf:
        keys = zf.read("keys.npy")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("meta.npy", "w") as fh:
            np.lib.format.write_array(fh, np.frombuffer(json.dumps(meta).encode(), np.uint8))
        zf.writestr("keys.npy", keys)
    got = measure_peak("from brawl_env import replay as rp", f"rp.load({str(path)!r})")
    assert got["error"]["type"] == "ReplayFormatError" and "declares" in got["error"]["message"], got
    assert got["peak_mb"] < 200, got


# --- the golden replay --------------------------------------------------------------------------------------------
def _checkpoints(rec: rp.Replay) -> dict[str, str]:
    out = {}
    for engine in rp.iter_frames(rec):
        f = int(engine.state.mi[0, L.FRAME])
        if f % CHECK_EVERY == 0:
            out[str(f)] = state_hash(engine.state)
    return out


def test_golden_replay_resimulates_to_its_recorded_state() -> None:
    info = json.loads(GOLDEN_INFO.read_text())
    rec = rp.load(GOLDEN, check_version=False)
    assert rec.rules_version == RULES_VERSION, (
        f"the golden replay was recorded under rules version {rec.rules_version} but the game is now rules "
        f"version {RULES_VERSION}: regenerate it with `{REGENERATE}`"
    )
    sim = rp.simulate(rec)
    if sim.final_hash != info["final_hash"]:
        got = _checkpoints(rec)
        first = next((f for f, h in info["checkpoints"].items() if got.get(f) != h), "the last frame")
        pytest.fail(
            f"the golden replay no longer re-simulates to its recorded final state (first difference by frame "
            f"{first}): the game's behaviour changed. If that was intended, bump RULES_VERSION in "
            f"brawl_env/engine/version.py (now {RULES_VERSION}) so old replays are refused, and regenerate the "
            f"golden replay with `{REGENERATE}`. If not, a change meant to keep behaviour did not."
        )
    assert sim.matches_recording is True
    assert (sim.winner, sim.ended_by, sim.frames) == (info["winner"], info["ended_by"], info["frames"])


def test_golden_replay_has_combat_and_weapons() -> None:
    info = json.loads(GOLDEN_INFO.read_text())
    assert info["frames"] >= 300
    assert sum(s["hits_landed"] for s in info["stats"]) >= 8
    assert sum(s["weapon_pickups"] for s in info["stats"]) >= 2
    assert sum(s["knockouts_dealt"] for s in info["stats"]) >= 1
    assert GOLDEN.stat().st_size < 5_000


def regenerate_golden() -> None:
    """Record the golden replay: BasedBot against the Brawler, a fight with hits and weapon pickups."""
    res = _played(GOLDEN_SEED, frames=GOLDEN_FRAMES)
    hits = sum(s["hits_landed"] for s in res.stats)
    pickups = sum(s["weapon_pickups"] for s in res.stats)
    if hits < 8 or pickups < 2:
        raise SystemExit(
            f"seed {GOLDEN_SEED} has {hits} hits and {pickups} pickups: choose another GOLDEN_SEED"
        )
    rec = rp.from_match(res)
    DATA.mkdir(exist_ok=True)
    rec.save(GOLDEN)
    info = {
        "game_version": GAME_VERSION,
        "rules_version": RULES_VERSION,
        "seed": GOLDEN_SEED,
        "frames": res.frames,
        "winner": res.winner,
        "ended_by": res.ended_by,
        "final_hash": res.final_hash,
        "checkpoints": _checkpoints(rec),
        "stats": list(res.stats),
    }
    GOLDEN_INFO.write_text(json.dumps(info, indent=1) + "\n")
    print(
        f"wrote {GOLDEN} ({GOLDEN.stat().st_size} bytes): {hits} hits, {pickups} pickups, final {res.final_hash}"
    )


# --- command line ---------------------------------------------------------------------------------------------------
def _app():
    from brawl_league.cli import app

    return app


def test_cli_replay_prints_result_and_checks(tmp_path: Path) -> None:
    result = runner.invoke(
        _app(),
        [
            "match",
            "BasedBot",
            "RandomBot",
            "--games",
            "2",
            "--frames",
            "200",
            "--replay-dir",
            str(tmp_path),
            "--json",
        ],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    series = json.loads(result.stdout)
    files = sorted(tmp_path.glob("*.replay"))
    assert [Path(g["replay"]) for g in series["games"]] == files and len(files) == 2
    assert files[0].name == "game000-seed0-BasedBot-vs-RandomBot.replay"
    assert files[1].name == "game001-seed1-RandomBot-vs-BasedBot.replay"
    out = runner.invoke(_app(), ["replay", str(files[1]), "--json"], env=WIDE)
    assert out.exit_code == 0, out.output
    got = json.loads(out.stdout)
    game = series["games"][1]
    assert got["matches_recording"] is True and got["frames"] == game["frames"]
    assert got["results"][game["a_slot"]] == game["result_a"]
    text = runner.invoke(_app(), ["replay", str(files[0])], env=WIDE)
    assert text.exit_code == 0 and "re-simulated exactly" in text.output


if __name__ == "__main__":
    if sys.argv[1:] == ["--regenerate-golden"]:
        regenerate_golden()
    else:
        raise SystemExit(f"usage: {REGENERATE}")
