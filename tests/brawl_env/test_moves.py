"""Move tests: the 33 moves on the real engine against their frame data, and the data against the original.

Two kinds of test, both parametrized over all 33 moves (ids like ``spear-ssig``):

* **engine == data**: first active frame, whiff duration (tap and, for charge moves, held), first-hit
  damage, knockback (or pull) velocity and stun, and reach (a dummy just inside the farthest hitbox edge is
  hit, one 0.4 beyond it is not). Expected values come from ``brawl_env/data/moves.toml`` through
  ``movelab``'s data side; measurements from ``movelab.run`` (see its docstring for the setups and how the
  knockback velocity is read). The dummy's place is computed from the data's hitboxes laid along the
  attacker's recorded path, never typed in.
* **data == original**: first-hit frame, whiff frames, damage of the best chain, stun, knockback and reach
  against the original's measured table (facts file section 3.5, ``movelab.ORIGINAL``). Deliberate
  differences are listed in ``DIFFERENCES`` with the reason (and in ``docs/moves.md``).

To see the engine tests fail, give only the engine a broken copy of the data:
``MOVELAB_ENGINE_DATA=/tmp/broken.toml pytest tests/brawl_env/test_moves.py``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import movelab as ML
from brawl_env.engine import layout as L
from brawl_env.engine import moves as MV
from brawl_env.engine import params as P

IDS = [m.id for m in ML.MOVES]
CHARGE_IDS = [m.id for m in ML.CHARGE_MOVES]
DOC = Path(__file__).resolve().parents[2] / "docs" / "moves.md"

# Where our moves deliberately differ from the original's table: move -> {figure: why} (movelab.DIFFERENCES).
DIFFERENCES = ML.DIFFERENCES

# The original's reach column was measured on a grid of dummy offsets (facts 3.5, "dx in {0.3 ... 3.2}");
# these are the offsets that appear in it. "<= X" means hit at X and missed at the next offset.
REACH_GRID = (0.3, 0.6, 1.0, 1.5, 2.0, 2.6, 3.2)


def _moves(ids):
    return [pytest.param(ML.move_by_id(i), id=i) for i in ids]


ALL = _moves(IDS)
CHARGES = _moves(CHARGE_IDS)
# every move tapped, and the charge moves also held to the cap
TAP_AND_HELD = [pytest.param(ML.move_by_id(i), False, id=i) for i in IDS] + [
    pytest.param(ML.move_by_id(i), True, id=f"{i}-held") for i in CHARGE_IDS
]


def _first_hit_run(move, held=False, d_damage=0.0):
    md = ML.move_data(move)
    d_start, sl = ML.place_first_active(move, held)
    r = ML.run(move, d_start, held=held, d_damage=d_damage)
    return md, sl, r


# ---------------------------------------------------------------------------------------------------------
# engine == data
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("move, held", TAP_AND_HELD)
def test_first_active_frame(move, held):
    """A dummy centred on the first live hitbox is hit on the data's first active frame, by that phase."""
    md, sl, r = _first_hit_run(move, held)
    assert r.frames[0].a_state == L.S_ATTACK, "the keys did not start an attack"
    assert ML.predicted_contacts(r, held)[:1] == [sl.k], "harness: the dummy is not on the hitbox"
    h = r.first_hit
    assert h is not None, f"no hit; data says frame {sl.k}"
    assert (h.k, h.phase) == (sl.k, sl.row), f"first hit on frame {h.k} (phase row {h.phase}); data: {sl}"


@pytest.mark.parametrize("move", ALL)
def test_whiff_duration_tap(move):
    md = ML.move_data(move)
    assert ML.probe(move).attack_frames == ML.whiff_frames(md)


@pytest.mark.parametrize("move", CHARGES)
def test_whiff_duration_held(move):
    """K held until the move ends: the charge runs to its cap, then the attack."""
    md = ML.move_data(move)
    want = ML.whiff_frames(md, held=True)
    assert want > ML.whiff_frames(md)
    assert ML.probe(move, held=True).attack_frames == want


@pytest.mark.parametrize("move, held", TAP_AND_HELD)
def test_first_hit_damage_and_stun(move, held):
    md, sl, r = _first_hit_run(move, held)
    h = r.first_hit
    assert h is not None
    ph = md.phase(sl.row)
    assert h.damage == pytest.approx(ML.hit_damage(ph, ML.charge_fraction(md, held)), abs=1e-9)
    assert h.stun == ph.stun
    if ph.stun:
        assert h.frame.d_state == L.S_STUN


@pytest.mark.parametrize("d_damage", [0.0, 150.0], ids=["0pct", "150pct"])
@pytest.mark.parametrize("move", ALL)
def test_first_hit_knockback(move, d_damage):
    """Knockback speed 0.096 (fixed + var (X/70 + X^2/12000)) within 1 %, along the hit angle; a pull
    phase's velocity is mult x (caster + offset - dummy) instead."""
    md, sl, r = _first_hit_run(move, d_damage=d_damage)
    h = r.first_hit
    assert h is not None
    ph = md.phase(sl.row)
    fr = h.frame
    grounded = fr.d_support0 != L.SUP_NONE
    want = ML.expected_velocity(ph, fr.a0, fr.d0, 1, d_damage, 0.0, grounded)
    if ph.pull is not None:
        assert h.v == pytest.approx(want, abs=1e-6)
        return
    assert not (grounded and math.sin(math.radians(ph.angle)) < 0), "setup: a grounded spike bounces"
    speed = ML.knockback_speed(ph.kb_fixed, ph.kb_var, d_damage + ph.damage)
    assert h.speed == pytest.approx(speed, rel=0.01)
    assert h.v == pytest.approx(want, abs=0.01 * speed)


@pytest.mark.parametrize("move", ALL)
def test_reach_inside_is_hit(move):
    """A dummy 0.1 inside the farthest edge any live hitbox reaches (along the move's axis) is hit."""
    d_start, edge = ML.place_reach(move, -ML.INSIDE)
    r = ML.run(move, d_start)
    predicted = ML.predicted_contacts(r)
    assert predicted, "harness: our geometry says the dummy is outside"
    h = r.first_hit
    assert h is not None, f"not hit at {ML.reach(move) - ML.INSIDE:.3f} ({move.axis}); reach box {edge}"
    assert h.k == predicted[0]


@pytest.mark.parametrize("move", ALL)
def test_reach_outside_is_missed(move):
    """A dummy 0.4 beyond the farthest edge (plus the hurtbox half size) is never hit."""
    d_start, edge = ML.place_reach(move, ML.OUTSIDE)
    r = ML.run(move, d_start)
    assert not ML.predicted_contacts(r), "harness: our geometry says the dummy is inside"
    assert not r.dummy_ko
    h = r.first_hit
    assert h is None, f"hit at {ML.reach(move) + ML.OUTSIDE:.3f} ({move.axis}) on frame {h.k}"
    assert r.attack_frames == ML.whiff_frames(ML.move_data(move))


@pytest.mark.parametrize("move", ALL)
def test_chain_lands_every_hit(move):
    """Against a dummy on the first hitbox, every phase of the on-hit chain that aims at it lands, and
    the damage adds up to the chain's data (moves whose later hits aim elsewhere stop earlier)."""
    md, sl, r = _first_hit_run(move)
    chain = ML.hit_chain(md)
    got = [h.phase for h in r.hits]
    assert got == [ph.row for ph in chain[: len(got)]], "hits out of the chain's order"
    if move.id == "punch-dsig":  # its second phase swings behind the attacker
        assert len(got) == 1
    else:
        assert len(got) == len(chain), f"{len(got)} of {len(chain)} hits landed"
    assert r.total_damage == pytest.approx(sum(ML.hit_damage(ph) for ph in chain[: len(got)]))


LANDING_IDS = ["punch-dair", "punch-groundpound", "spear-groundpound", "hammer-groundpound"]


@pytest.mark.parametrize("move", _moves(LANDING_IDS))
def test_on_land_phase_starts_on_a_real_landing(move):
    """A phase with ``on_land`` jumps to it on the frame after the caster touches a floor; the landing
    phase then runs its own frames (and its hitboxes, e.g. the ground-pound shockwave, hit a dummy that
    stands beside the landing spot, out of reach of the falling phase's box)."""
    md = ML.move_data(move)
    fall = md.phase(md.first)
    land = md.phase(fall.on_land)
    ax = 3.5
    if land.boxes:
        fall_reach = max(abs(b[0]) + b[2] / 2 for b in fall.boxes)
        land_reach = max(abs(b[0]) + b[2] / 2 for b in land.boxes)
        assert land_reach > fall_reach + 0.2
        dx = (fall_reach + land_reach) / 2 + P.HURT_HALF_W
    else:
        dx = 3.0
    r = ML.run(move, (ax + dx, ML.GROUND_Y), a_start=(ax, ML.GROUND_Y + 1.0))
    k_land = next(fr.k for fr in r.frames if fr.a_support != L.SUP_NONE)
    assert k_land < fall.total, "setup: the caster should land during the falling phase"
    assert r.attack_frames == k_land + land.total
    assert r.frames[k_land].a_phase == land.row
    if land.boxes:
        assert [(h.k, h.phase, h.damage) for h in r.hits] == [(k_land + 1, land.row, land.damage)]
    else:
        assert not r.hits


def test_charge_min_and_charge_damage(tmp_path, monkeypatch):
    """The charge rules on a changed copy (every move today has charge_min 1 and charge_damage 0):
    a tap charges charge_min frames, a hold charge_max; damage scales by 1 + charge_damage x charge."""
    text = MV.default_path().read_text()
    old = (
        '[punch.nsig]\ndoc = "charged uppercut launcher at 90 deg"\n'
        '[[punch.nsig.phase]]\nname = "charge"\ncharge = true\ncharge_min = 1\n'
    )
    assert old in text
    hit = 'name = "hit"\nstartup = 9\nactive = 2\nrecovery = 5\ndamage = 20\n'
    assert text.count(hit) == 1
    text = text.replace(old, old.replace("charge_min = 1", "charge_min = 5"))
    text = text.replace(hit, hit + "charge_damage = 0.5\n")
    path = tmp_path / "moves.toml"
    path.write_text(text)
    monkeypatch.setenv("MOVELAB_DATA", str(path))
    monkeypatch.delenv("MOVELAB_ENGINE_DATA", raising=False)
    move = ML.Move("punch", "nsig")
    md = ML.move_data(move)
    assert ML.whiff_frames(md) == 5 + 16 and ML.whiff_frames(md, held=True) == 32 + 16
    for held, frac in ((False, 4 / 31), (True, 1.0)):
        assert ML.charge_fraction(md, held) == pytest.approx(frac)
        assert ML.probe(move, held).attack_frames == ML.whiff_frames(md, held)
        _, sl, r = _first_hit_run(move, held)
        assert sl.k == (5 if not held else 32) + 1 + 9
        assert r.first_hit.k == sl.k
        assert r.first_hit.damage == pytest.approx(20 * (1 + 0.5 * frac))


@pytest.mark.parametrize(
    "old, new, words",
    [
        ("startup = 3\n", "startup = -1\n", ["punch.nlight", "jab1", "startup"]),
        ('on_hit = "jab2"', 'on_hit = "nowhere"', ["punch.nlight", "on_hit", "nowhere"]),
        ('name = "jab1"\n', 'name = "jab1"\ncolour = 3\n', ["punch.nlight", "colour"]),
        (
            "hitboxes = [[0.35, 0.05, 0.45, 0.5]]",
            "hitboxes = [[0.35, 0.05, 0.0, 0.5]]",
            ["punch.nlight", "hitbox"],
        ),
        ('name = "jab1"\n', 'name = "jab1"\nvel_mode = "add"\n', ["punch.nlight", "vel_mode", "caster_vel"]),
    ],
    ids=["negative-frames", "bad-link", "unknown-field", "zero-width-box", "vel-mode-alone"],
)
def test_malformed_data_is_rejected_by_name(old, new, words):
    """The loader names the move, the phase and the field (docs/moves.md lists these errors)."""
    text = MV.default_path().read_text()
    at = text.index("[punch.nlight]")
    assert old in text[at:]
    bad = text[:at] + text[at:].replace(old, new, 1)
    with pytest.raises(MV.MoveDataError) as err:
        MV.parse(bad)
    for w in words:
        assert w in str(err.value)


# ---------------------------------------------------------------------------------------------------------
# engine and loader checks (these found bugs, now fixed)
# ---------------------------------------------------------------------------------------------------------


def test_charge_phase_with_hitboxes_is_rejected():
    text = MV.default_path().read_text()
    old = '[[punch.nsig.phase]]\nname = "charge"\ncharge = true\n'
    assert old in text
    with pytest.raises(MV.MoveDataError, match="charge"):
        MV.parse(text.replace(old, old + "hitboxes = [[0.5, 0.0, 0.5, 0.5]]\nactive = 1\n"))


def test_spike_keeps_its_speed_after_the_hit_frame():
    move = ML.Move("hammer", "recovery")
    md, sl, r = _first_hit_run(move)
    spike = r.hits[1]
    assert md.phase(spike.phase).name == "spike"
    assert spike.v[1] < -P.MAX_FALL_SPEED  # the hit itself sends the dummy down faster than 12 u/s
    nxt = r.frames[spike.k]  # the frame after the hit (frames are 0-based, k is 1-based)
    vy_next = (nxt.d[1] - nxt.d0[1]) / P.DT
    assert vy_next <= spike.v[1] + 1e-9, (
        f"moved down at {-vy_next:.2f} u/s after a {-spike.v[1]:.2f} u/s spike"
    )


# ---------------------------------------------------------------------------------------------------------
# data == original (facts 3.5)
# ---------------------------------------------------------------------------------------------------------


def _unless_different(move, figure):
    return [m for m in move if figure not in DIFFERENCES.get(m.values[0].id, {})]


@pytest.mark.parametrize("move", _unless_different(ALL, "first_hit"))
def test_first_hit_frame_matches_original(move):
    assert ML.first_active(ML.move_data(move)).k == ML.ORIGINAL[move.id].first_hit


@pytest.mark.parametrize("move", ALL)
def test_whiff_frames_match_original(move):
    md, o = ML.move_data(move), ML.ORIGINAL[move.id]
    assert ML.whiff_frames(md) == o.whiff
    if o.held is not None:
        assert ML.whiff_frames(md, held=True) == o.held


@pytest.mark.parametrize("move", _unless_different(ALL, "damage"))
def test_best_damage_matches_original(move):
    """Damage and hit count of the whole chain against a dummy on the first hitbox (the original's
    'best dmg')."""
    _, _, r = _first_hit_run(move)
    o = ML.ORIGINAL[move.id]
    assert (r.total_damage, len(r.hits)) == (o.dmg, o.hits)


@pytest.mark.parametrize("move", _unless_different(ALL, "stun"))
def test_stun_matches_original(move):
    _, _, r = _first_hit_run(move)
    stuns = sorted({h.stun for h in r.hits})
    lo, _, hi = ML.ORIGINAL[move.id].stun.partition("-")
    assert (stuns[0], stuns[-1]) == (int(lo), int(hi or lo))


@pytest.mark.parametrize("move", _unless_different(ALL, "kb"))
def test_knockback_roughly_matches_original(move):
    """The chain's last launch (non-pull hit) at 0 % within 10 % of the original's measured peak speed
    (the original lost about 0.3 u/s to friction inside its physics step, so exact is not the aim)."""
    md, _, r = _first_hit_run(move)
    launches = [h for h in r.hits if md.phase(h.phase).pull is None]
    assert launches
    assert launches[-1].speed == pytest.approx(ML.ORIGINAL[move.id].kb, rel=0.10)


def _grid_reach(text):
    """The original's reach '<=X', 'a-X', '<=X, ...' -> X (None for 'below', 'up-front' ...)."""
    m = re.match(r"(?:<=|[0-9.]+-)([0-9.]+)", text)
    return float(m.group(1)) if m else None


@pytest.mark.parametrize("move", [m for m in ALL if _grid_reach(ML.ORIGINAL[m.values[0].id].reach)])
def test_reach_matches_original_grid(move):
    """Our farthest hitting offset lies where the original's grid put it: hit at its X, and (below the grid's
    last offset) missed at the next grid offset. Down moves compare their sideways reach."""
    x = _grid_reach(ML.ORIGINAL[move.id].reach)
    ours = ML.reach(move) if move.axis == "forward" else ML.side_reach(move)
    assert ours >= x
    nxt = [g for g in REACH_GRID if g > x]
    if nxt:
        assert ours < nxt[0]


def test_differences_are_documented():
    """Every deliberate difference is named in docs/moves.md."""
    doc = DOC.read_text()
    for mid in DIFFERENCES:
        assert mid in doc


def test_docs_table_is_up_to_date():
    doc = DOC.read_text()
    m = re.search(r"<!-- movelab:table -->\n(.*?)<!-- /movelab:table -->", doc, re.S)
    assert m, "docs/moves.md lacks the generated table markers"
    assert m.group(1) == ML.comparison_table(), "regenerate with: python -m tests.brawl_env.movelab"
