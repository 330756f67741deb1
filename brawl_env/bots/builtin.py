"""Built-in bots: the original's baselines, and a ladder of stronger styles to climb.

Each bot reads only the named view (``brawl_env.ObsView``) of its own observation.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from .._jit import helper, kernel
from ..engine import layout as L
from ..engine.obs import ME_BASE, OBS_DIM, OPP_BASE, PLAYER_FIELDS, PLAYER_OFFSETS
from ..view import ObsView
from . import tactics as T
from .base import NO_KEYS, Bot, FrameBot, key_index, press


class ConstantBot(FrameBot):
    """Idles: presses nothing, ever."""

    def act_batch(self, obs: np.ndarray, frames: np.ndarray) -> np.ndarray:
        return np.zeros((len(obs), L.N_KEYS), np.int8)


class RandomBot(Bot):
    """Presses each key with probability 1/2 every frame, from its own seeded generator."""

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, view: ObsView) -> np.ndarray:
        return self.rng.integers(0, 2, L.N_KEYS, dtype=np.int8)


class BasedBot(FrameBot):
    """The original's baseline: walks at the opponent, hops when below it or falling, jabs within 2 units.

    Plan, each frame (the original's, adapted to our stage):

    - horizontal: walk at the opponent, unless it is stunned or knocked out; turn back 0.8 units
      before a floor's outer end (the original used a stale edge of an older stage), or stand there
      when the opponent is within jab range;
    - hop (on even frames, so a held key becomes fresh presses) when the opponent is above, or when
      falling: off stage (not over a floor), coming down and less than 1.5 units above the floor it
      steers for -- the one the opponent stands on, or the nearer one -- instead of the opponent;
    - jab (J) when the opponent is within 2 units, but not while off stage.

    The plan is written once, as a compiled loop over matches (``act_batch``), so one match costs a few
    microseconds a frame and a batch of matches one call. Fields are decoded as ``ObsView`` decodes them
    (the observation's value times the field's scale, in the observation's precision) and then compared
    in float64.
    """

    EDGE = 0.8

    def __init__(self) -> None:
        _warm_up()  # compile the plan (or load it from numba's cache) now, not inside its first timed frame
        super().__init__()

    def act_batch(self, obs: np.ndarray, frames: np.ndarray) -> np.ndarray:
        keys = np.zeros((len(obs), L.N_KEYS), np.int8)
        _based_plan(np.ascontiguousarray(obs), np.ascontiguousarray(frames, np.int64), float(self.EDGE), keys)
        return keys


@functools.cache
def _warm_up() -> None:
    """Compile ``_based_plan`` for the observations matches hand it (float32) and tests' float64, once per
    process: a guarded bot's first frame has the same 0.05 s budget as any other, and a cold compile takes
    seconds (it forfeited BasedBot's first game after an install)."""
    for dtype in (np.float32, np.float64):
        _based_plan(
            np.zeros((1, OBS_DIM), dtype), np.zeros(1, np.int64), 0.8, np.zeros((1, L.N_KEYS), np.int8)
        )


def warm_up() -> None:
    """Compile (or load from numba's cache) every built-in bot's compiled code: BasedBot's plan and the
    pilots' flights. A process that will time bots (a tournament worker) calls it before the clock runs,
    so a cold cache after an install costs no bot its first match."""
    _warm_up()
    T.warm_up()


_PF = {f.name: f for f in PLAYER_FIELDS}
_MX, _MY, _MVY = (ME_BASE + PLAYER_OFFSETS[k] for k in ("x", "y", "vy"))
_OX, _OY = (OPP_BASE + PLAYER_OFFSETS[k] for k in ("x", "y"))
_SX, _SY, _SVY = (np.float32(_PF[k].scale) for k in ("x", "y", "vy"))
_ME_GROUNDED = ME_BASE + PLAYER_OFFSETS["grounded"]
_OPP_GROUNDED = OPP_BASE + PLAYER_OFFSETS["grounded"]
_OPP_STATE = OPP_BASE + PLAYER_OFFSETS["state"]
_FLOORS = np.array([[f.x0, f.x1, f.top] for f in T.FLOORS], np.float64)  # tactics.FLOORS, in its order
_RIGHT, _LEFT = T.FLOORS.index(T.RIGHT), T.FLOORS.index(T.LEFT)
_HALF_W, _HALF_H = float(T.HALF_W), float(T.HALF_H)


@helper
def _floor_under(x: float, y: float, slack: float) -> int:
    """``tactics.floor_under`` by row of ``_FLOORS``: the first floor the body overlaps and is above, or -1."""
    for f in range(_FLOORS.shape[0]):
        if (
            x + _HALF_W > _FLOORS[f, 0]
            and x - _HALF_W < _FLOORS[f, 1]
            and y - _HALF_H >= _FLOORS[f, 2] - slack
        ):
            return f
    return -1


@kernel
def _based_plan(obs, frames, edge, keys):
    """BasedBot's plan for every row of ``obs`` (see its docstring); writes ``keys``."""
    for i in range(obs.shape[0]):
        o = obs[i]
        mx, my = float(o[_MX] * _SX), float(o[_MY] * _SY)
        ox, oy = float(o[_OX] * _SX), float(o[_OY] * _SY)
        opp_state = 0
        for s in range(1, L.N_STATES):  # the one-hot's first largest entry, as argmax finds it
            if o[_OPP_STATE + s] > o[_OPP_STATE + opp_state]:
                opp_state = s
        over = _floor_under(mx, my, 0.3)
        off_stage = not o[_ME_GROUNDED] > 0.5 and (over < 0 or not _FLOORS[over, 0] < mx < _FLOORS[over, 1])
        near = (ox - mx) ** 2 + (oy - my) ** 2 < 4.0
        falling = False
        if off_stage:
            # steer for the opponent's floor (when it stands on one), else the nearer floor
            goal = _floor_under(ox, oy + 0.1, 0.05) if o[_OPP_GROUNDED] > 0.5 else -1
            if goal < 0:
                goal = _RIGHT if mx > 0 else _LEFT
            aim = min(max(mx, _FLOORS[goal, 0] + 1.0), _FLOORS[goal, 1] - 1.0)
            keys[i, L.K_RIGHT if aim > mx else L.K_LEFT] = 1
            falling = float(o[_MVY] * _SVY) < 0.0 and my < _FLOORS[goal, 2] + 1.5
        elif mx > _FLOORS[_RIGHT, 1] - edge or mx < _FLOORS[_LEFT, 0] + edge:
            if not near:  # near the opponent it stands at the end and jabs
                keys[i, L.K_LEFT if mx > 0 else L.K_RIGHT] = 1
        elif opp_state != L.S_STUN and opp_state != L.S_KO:
            keys[i, L.K_RIGHT if ox > mx else L.K_LEFT] = 1
        if (falling or oy > my + 0.1) and (frames[i] + 1) % 2 == 0:  # even frames, counting from 1
            keys[i, L.K_JUMP] = 1
        if not off_stage and near:
            keys[i, L.K_LIGHT] = 1


class ClockworkBot(FrameBot):
    """Plays a timed key sheet: a list of (frames, [key names]); after the sheet it idles.

    The default sheet is the original's: 10 frames left, a dash, 20 frames left, 3 frames left+light,
    15 frames jump. (The original kept its last entry pressed for ever; ours stops.)
    """

    DEFAULT_SHEET: Sequence[tuple[int, Sequence[str]]] = (
        (10, ("left",)),
        (1, ("dash",)),
        (20, ("left",)),
        (3, ("left", "light")),
        (15, ("jump",)),
    )

    def __init__(self, sheet: Sequence[tuple[int, Sequence[str]]] | None = None, loop: bool = False):
        sheet = self.DEFAULT_SHEET if sheet is None else sheet
        frames: list[np.ndarray] = []
        for entry in sheet:
            if not (
                isinstance(entry, (tuple, list))
                and len(entry) == 2
                and isinstance(entry[0], int)
                and entry[0] > 0
            ):
                raise ValueError(f"ClockworkBot: each sheet entry is (frames > 0, [keys]); got {entry!r}")
            keys = np.zeros(L.N_KEYS, np.int8)
            for name in entry[1]:
                keys[key_index(name)] = 1
            frames.extend([keys] * entry[0])
        # one row per frame of the sheet, then a row of no keys for every frame after it
        self.sheet = np.stack(frames + [NO_KEYS]).astype(np.int8)
        self.loop = loop
        super().__init__()

    def act_batch(self, obs: np.ndarray, frames: np.ndarray) -> np.ndarray:
        n = len(self.sheet) - 1
        if self.loop and n:
            return self.sheet[frames % n]
        return self.sheet[np.minimum(frames, n)]


# ---------------------------------------------------------------------------------------------------
# the ladder: bots that fly with the shared pilot (brawl_env/bots/tactics.py)
# ---------------------------------------------------------------------------------------------------


class _PilotBot(Bot):
    """Shared frame loop: stay alive first (the pilot's recovery), then the style's own ``plan``."""

    def reset(self, seed: int | None = None) -> None:
        self.pilot = T.Pilot()  # the styles are deterministic: no generator to seed
        self.setup()

    def setup(self) -> None:
        """Clear the style's own memory (called by reset)."""

    def act(self, view: ObsView) -> np.ndarray:
        p = self.pilot
        s = p.read(view)
        me = s.me
        if not me.alive:
            return p.finish(s, NO_KEYS)
        if not me.grounded and (me.state == L.S_STUN or p.in_danger(s)):
            return p.finish(s, p.air(s, self.home(s)))
        return p.finish(s, self.plan(s))

    def home(self, s: T.Snapshot) -> T.Floor | None:
        """The floor to recover to when either will do (None: the cheapest)."""
        return None

    def plan(self, s: T.Snapshot) -> np.ndarray:
        return NO_KEYS.copy()

    # helpers shared by the styles
    def chase(
        self, s: T.Snapshot, tx: float, ty: float, stop: float = 0.15, platform: bool = False
    ) -> np.ndarray:
        """Walk (or fly) to (tx, ty), on the moving platform if ``platform``; lands first when airborne."""
        return self.pilot.walk(s, tx, ty, stop, platform)

    def fly_to_opponent(self, s: T.Snapshot) -> np.ndarray:
        """In the air: land where the opponent is (its floor, or the platform it stands on)."""
        opp = s.opp
        if opp.on_platform:
            return self.pilot.air(s, T.PLATFORM, opp.x)
        return self.pilot.air(s, T.floor_under(opp.x, opp.y + 5.0), opp.x)

    def strike(self, s: T.Snapshot, slots, score=None, lead: float = 1.0) -> np.ndarray | None:
        atk = self.pilot.best_attack(s, slots, score, lead)
        if atk is None:
            return None
        return self.pilot.attack_keys(s, *atk)


def _same_level(s: T.Snapshot) -> bool:
    return abs(s.opp.y - s.me.y) < 0.8


class SpacerBot(_PilotBot):
    """Spaces and pokes: hovers just outside the opponent's reach and steps in with side attacks.

    Plan: stay alive with the shared pilot. Keep a distance a little beyond the opponent's ground
    reach for its weapon; when the opponent walks into the reach of this bot's own side attacks (led
    by its velocity), or whiffs a move that leaves it open, step in and poke (side light, side heavy,
    jab). Backs away while the opponent is too close, but never off a floor: cornered, it jumps over
    the opponent. Follows the opponent to the other floor or onto the moving platform. Fetches a
    Spear (more reach) lying on its own floor when it is nearer to it than the opponent is; never a
    Hammer.
    """

    SLOTS = (T.SLIGHT, T.SSIG, T.NLIGHT, T.DLIGHT, T.SAIR, T.NAIR)

    def plan(self, s: T.Snapshot) -> np.ndarray:
        p, me, opp = self.pilot, s.me, s.opp
        keys = np.zeros(L.N_KEYS, np.int8)
        if me.state not in T.CONTROL_STATES:
            return keys
        if not opp.alive:
            f = me.floor or T.nearest_floor(me.x)
            return self.chase(s, f.mid, f.stand)
        hit = self.strike(s, self.SLOTS)
        if hit is not None and not opp.invulnerable:
            return hit
        if not me.grounded:
            return self.fly_to_opponent(s)
        # a Spear on this floor, nearer to it than to the opponent, is worth the walk
        if me.weapon == L.W_PUNCH and me.floor is not None:
            for wx, wy, kind in s.spawners + s.loose:
                if kind != L.W_SPEAR or T.floor_under(wx, wy + 0.5) is not me.floor:
                    continue
                if abs(wx - me.x) < 1.0 and abs(wy - me.y) < 0.9:
                    p._press(keys, L.K_PICKUP)
                    return keys
                if abs(wx - me.x) + 1.0 < abs(wx - opp.x) + abs(wy - opp.y):
                    return self.chase(s, wx, wy + 0.5, stop=0.3)
        gap = opp.x - me.x
        side = 1 if gap >= 0 else -1
        dist = abs(gap)
        want = max(T.threat_reach(opp.weapon) + 0.45, 1.6)
        here = T.PLATFORM if me.on_platform else me.floor
        there = T.PLATFORM if opp.on_platform else T.floor_under(opp.x, opp.y + 0.1)
        if there is not None and there is not here:
            # another floor or the platform: go there (ground pokes do not reach it)
            return self.chase(s, opp.x - side * want, opp.y, platform=opp.on_platform)
        if not _same_level(s) and opp.y > me.y + 1.5 and dist < 1.5:
            # below an airborne opponent: get out from under it
            return self.chase(s, me.x - side * 2.0, me.y)
        # the opponent whiffed and is still in its move: step in
        if opp.attacking and opp.move > 0:
            left = T.MOVES[opp.weapon][opp.move].length - opp.move_frame
            if left > 8 and dist < T.reach(me.weapon) + 2.0:
                return self.chase(s, opp.x - side * 0.9, opp.y, platform=opp.on_platform)
        if dist < want - 0.3:
            back = me.x - side * 1.0
            if here is T.PLATFORM:
                cornered = abs(back - s.plat_x) > 0.5
            else:
                cornered = here is not None and not (here.x0 + 1.0 < back < here.x1 - 1.0)
            if cornered:
                # jump over the opponent toward open floor
                keys[L.K_RIGHT if side > 0 else L.K_LEFT] = 1
                p._press(keys, L.K_JUMP)
                return keys
            keys[L.K_LEFT if side > 0 else L.K_RIGHT] = 1
            return keys
        if dist > want + 0.3:
            return self.chase(s, opp.x - side * want, opp.y, platform=opp.on_platform)
        # in the pocket: face the opponent
        if me.facing != side:
            keys[L.K_RIGHT if side > 0 else L.K_LEFT] = 1
        return keys


class ArmoryBot(_PilotBot):
    """Arms itself at the spawners first, then presses with combos and heavy finishers.

    Plan: stay alive with the shared pilot. While it holds only its fists and a spawned or dropped
    weapon lies on the stage (and the opponent is not already on top of it), go for it and press H;
    a Hammer is worth a longer walk than a Spear. Armed or not, walk into the opponent and attack with
    whatever move of its weapon will hit (the hit is led by the opponent's velocity, so a stunned,
    flying opponent is followed up), preferring big damage early and knockback once the opponent's
    damage is high. Never drops its weapon.
    """

    SLOTS = tuple(range(1, 12))

    def _weapon_target(self, s: T.Snapshot):
        me, opp = s.me, s.opp
        best, best_cost = None, 1e9
        for wx, wy, kind in s.spawners + s.loose:
            f = T.floor_under(wx, wy + 0.5)
            if f is None:
                continue  # on the platform or falling: skip
            cost = abs(wx - me.x) + (4.0 if f is not (me.floor or T.nearest_floor(me.x)) else 0.0)
            cost -= 2.0 if kind == L.W_HAMMER else 0.0
            opp_cost = abs(wx - opp.x) + abs(wy - opp.y)
            if opp.alive and opp.weapon == L.W_PUNCH and opp_cost + 1.0 < cost * 0.5:
                continue
            if cost < best_cost:
                best, best_cost = (wx, wy, kind), cost
        return best

    def _score(self, s: T.Snapshot):
        dmg = s.opp.damage

        def score(mv: T.Move, slot: int) -> float:
            return mv.damage * (1.0 if dmg < 80 else 0.5) + mv.power * (dmg / 60.0) - 0.6 * mv.first

        return score

    def plan(self, s: T.Snapshot) -> np.ndarray:
        p, me, opp = self.pilot, s.me, s.opp
        keys = np.zeros(L.N_KEYS, np.int8)
        if me.state not in T.CONTROL_STATES:
            return keys
        if opp.alive and not opp.invulnerable:
            hit = self.strike(s, self.SLOTS, self._score(s))
            if hit is not None:
                return hit
        if me.weapon == L.W_PUNCH:
            tgt = self._weapon_target(s)
            if tgt is not None:
                wx, wy, _ = tgt
                if me.grounded and abs(wx - me.x) < 1.0 and abs(wy - me.y) < 0.9:
                    p._press(keys, L.K_PICKUP)
                    return keys
                return self.chase(s, wx, wy + 0.5, stop=0.3)
        if not opp.alive:
            f = me.floor or T.nearest_floor(me.x)
            return self.chase(s, f.mid, f.stand)
        if not me.grounded:
            return self.fly_to_opponent(s)
        side = 1 if opp.x >= me.x else -1
        return self.chase(s, opp.x - side * 0.9, opp.y, stop=0.2, platform=opp.on_platform)


class EdgeGuardBot(_PilotBot):
    """Holds centre stage and punishes an opponent that is off stage or recovering.

    Plan: stay alive with the shared pilot. On stage it keeps between the opponent and the middle of
    the opponent's floor, so its hits drive the opponent toward the blast line, and it attacks with
    quick, safe moves that will hit. When the opponent is off stage (its fall, if it pressed
    nothing, would not land on a floor: knocked away or stunned), it runs to the ledge the opponent
    must come back to and waits there, hitting it with outward side attacks as it comes within
    reach. It never chases off stage.
    """

    SLOTS = (T.NLIGHT, T.DLIGHT, T.SLIGHT, T.SSIG, T.DSIG, T.NSIG, T.NAIR, T.SAIR)
    GUARD = (T.SLIGHT, T.SSIG, T.DSIG, T.NLIGHT, T.DLIGHT, T.NSIG)

    def plan(self, s: T.Snapshot) -> np.ndarray:
        p, me, opp = self.pilot, s.me, s.opp
        keys = np.zeros(L.N_KEYS, np.int8)
        if me.state not in T.CONTROL_STATES:
            return keys
        if not opp.alive:
            f = T.nearest_floor(opp.x) if me.floor is None else me.floor
            return self.chase(s, f.mid, f.stand)
        off = False
        if not opp.grounded:
            land, _, _ = T.predict_landing(opp.x, opp.y, opp.vx, opp.vy, None, p.plat(s))
            off = land is None
        if off:
            hit = self.strike(s, self.GUARD, lead=1.0)
            if hit is not None and not opp.invulnerable:
                return hit
            f = T.nearest_floor(opp.x)
            ledge = f.clamp(opp.x, 0.7)
            return self.chase(s, ledge, f.stand, stop=0.1)
        hit = self.strike(s, self.SLOTS)
        if hit is not None and not opp.invulnerable:
            return hit
        if not me.grounded:
            return self.fly_to_opponent(s)
        f = T.floor_under(opp.x, opp.y + 0.1) or T.nearest_floor(opp.x)
        out = 1 if opp.x >= f.mid else -1
        return self.chase(s, opp.x - out * 1.0, opp.y, stop=0.2, platform=opp.on_platform)


__all__ = [
    "ConstantBot",
    "RandomBot",
    "BasedBot",
    "ClockworkBot",
    "SpacerBot",
    "ArmoryBot",
    "EdgeGuardBot",
    "press",
]
