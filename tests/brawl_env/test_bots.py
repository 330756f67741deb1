"""The built-in bots: strength on small seeded samples, determinism, reset, valid keys, the shared pilot
(survival, edges, pit crossing), and the ladder (``run_ladder`` and ``brawl-league bots ladder``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from brawl_env._actions import check_keys
from brawl_env.bots import bot_agent, bot_class, load_bot
from brawl_env.bots import tactics as T
from brawl_env.bots.ladder import pair, run_ladder, to_markdown
from brawl_env.bots.registry import BUILTIN
from brawl_env.config import make_config
from brawl_env.engine import layout as L
from brawl_env.engine import params as P
from brawl_env.engine.core import Engine
from brawl_env.engine.obs import bounds, write_obs
from brawl_env.match import run_match
from brawl_env.view import ObsView
from brawl_league.cli import app

NEW_BOTS = ("SpacerBot", "ArmoryBot", "EdgeGuardBot")
STRONGEST = "ArmoryBot"
runner = CliRunner()


class Plain:
    """A bot run without the guard, so that a loaded test machine cannot turn slowness into a forfeit
    (forfeits have their own tests); keys are still checked."""

    def __init__(self, bot):
        self.bot, self.name = bot, bot.name

    def reset(self, seed=None):
        self.bot.reset(seed)

    def act(self, obs):
        return check_keys(self.bot.act(ObsView(obs)), self.name)


def series(a: str, b: str, games: int, seed: int = 0) -> list[str]:
    """A's results over ``games`` seeded matches, sides swapped every game (as the ladder plays)."""
    out = []
    for k in range(games):
        agents = [None, None]
        agents[k % 2] = Plain(load_bot(a))
        agents[1 - k % 2] = Plain(load_bot(b))
        out.append(run_match(agents[0], agents[1], seed=seed + k).result_for(k % 2))
    return out


# -- the ladder's shape on small samples ------------------------------------------------------------


def test_based_beats_constant_every_game():
    assert series("BasedBot", "ConstantBot", 8) == ["win"] * 8


def test_based_beats_random_nearly_always():
    assert series("BasedBot", "RandomBot", 10).count("win") >= 8


def test_strongest_new_bot_beats_based():
    assert series(STRONGEST, "BasedBot", 10).count("win") >= 8


@pytest.mark.parametrize("name", [b for b in NEW_BOTS if b != STRONGEST])
def test_every_new_bot_beats_based(name):
    assert series(name, "BasedBot", 6).count("win") >= 5


def test_new_bots_rarely_lose_to_the_baselines():
    for name in NEW_BOTS:
        assert series(name, "RandomBot", 2, seed=40).count("win") == 2
        assert series(name, "ConstantBot", 2, seed=50).count("win") == 2


# -- determinism and reset ------------------------------------------------------------------------


@pytest.mark.parametrize("name", NEW_BOTS + ("BasedBot", "RandomBot"))
def test_same_seed_same_match(name):
    def play():
        return run_match(
            Plain(load_bot(name)), Plain(load_bot("SpacerBot")), seed=7, max_frames=600, record_keys=True
        )

    first, again = play(), play()
    assert (first.winner, first.frames, first.stats) == (again.winner, again.frames, again.stats)
    assert np.array_equal(first.keys, again.keys)


@pytest.mark.parametrize("name", list(BUILTIN))
def test_reset_clears_state(name):
    """A bot reused for a second match plays it exactly as a fresh bot would."""
    reused = load_bot(name)
    run_match(Plain(reused), Plain(load_bot("BasedBot")), seed=3, max_frames=400)
    second = run_match(Plain(reused), Plain(load_bot("BasedBot")), seed=4, max_frames=400, record_keys=True)
    fresh = run_match(
        Plain(load_bot(name)), Plain(load_bot("BasedBot")), seed=4, max_frames=400, record_keys=True
    )
    assert np.array_equal(second.keys, fresh.keys)


# -- valid keys and descriptions ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BUILTIN))
def test_valid_keys_on_random_observations(name):
    low, high = bounds()
    rng = np.random.default_rng(11)
    bot = load_bot(name)
    bot.reset(seed=5)
    obs = rng.uniform(low, high, size=(300, len(low))).astype(np.float32)
    obs[:100] = np.where(rng.random((100, len(low))) < 0.5, low, high)  # corners of the Box too
    for row in obs:
        keys = check_keys(bot.act(ObsView(row)), name)
        assert keys.shape == (L.N_KEYS,)
    agent = bot_agent(name)  # as a batched agent (one call for 16 matches)
    agent.reset_rows(np.arange(16), seeds=np.arange(16))
    batch = np.asarray(agent.act(obs[:16], np.arange(16)))
    assert batch.shape == (16, L.N_KEYS) and set(np.unique(batch)) <= {0, 1}


@pytest.mark.parametrize("name", list(BUILTIN))
def test_docstring_describes_and_plans(name):
    cls = bot_class(name)
    assert cls.describe() and cls.describe() != cls.__name__
    if name in NEW_BOTS or name == "BasedBot":
        assert "Plan" in cls.__doc__


# -- the pilot: survival, edges, the pit ----------------------------------------------------------------


def _engine(seed: int = 1) -> Engine:
    e = Engine(1, make_config(max_frames=100_000))
    e.reset(np.array([seed], np.uint64))
    return e


def _place(
    e: Engine,
    p: int,
    x: float,
    y: float,
    vx: float = 0.0,
    vy: float = 0.0,
    grounded: bool = False,
    support: int = L.SUP_NONE,
    invuln: bool = False,
) -> None:
    pf, pi = e.state.pf[0, p], e.state.pi[0, p]
    pf[L.PX], pf[L.PY], pf[L.VX], pf[L.VY], pf[L.DAMAGE] = x, y, vx, vy, 0.0
    for col in (
        L.TIMER,
        L.STATE_FRAMES,
        L.JUMP_COOLDOWN,
        L.DODGE_COOLDOWN,
        L.MOVE,
        L.MOVE_FRAME,
        L.PHASE_FRAME,
        L.PHASE_HIT,
        L.CHARGE_FRAMES,
        L.NO_GRAVITY,
        L.KEYS,
        L.PREV_KEYS,
        L.DROP_TIMER,
    ):
        pi[col] = 0
    pi[L.STATE] = L.S_STANDING if grounded else L.S_IN_AIR
    pi[L.SUPPORT] = support
    pi[L.FACING] = pi[L.LAST_HDIR] = 1 if vx >= 0 else -1
    pi[L.JUMPS_LEFT], pi[L.RECOVERIES_LEFT] = P.AIR_JUMPS, P.RECOVERIES
    pi[L.INVULN_TIMER] = 1_000_000 if invuln else 0
    pi[L.PHASE] = -1


def _fly(e: Engine, policy, frames: int) -> tuple[bool, list]:
    """Step with player 0 driven by ``policy(pilot, snapshot) -> keys``; player 1 idles far away.

    Returns (still alive, the snapshots of player 0)."""
    write_obs(e.state, e.cfg, 0)
    pilot = T.Pilot()
    seen = []
    for _ in range(frames):
        s = pilot.read(ObsView(e.state.obs[0, 0]))
        seen.append(s)
        e.keys[0, 0] = pilot.finish(s, policy(pilot, s))
        e.keys[0, 1] = 0
        e.step(auto_reset=False)
        if e.state.pi[0, 0, L.STATE] == L.S_KO:
            return False, seen
    return True, seen


LAUNCHES = [  # (x, y, vx, vy): knocked off in every direction, from both floors, into the pit
    (9.0, 2.0, 8.0, 4.0),
    (-9.5, 0.0, -7.0, 6.0),
    (12.0, 5.0, 0.0, -5.0),
    (-12.0, 3.0, 10.0, 0.0),
    (7.6, -3.0, 0.0, -6.0),
    (-7.6, -4.5, 0.0, -4.0),
    (0.0, -3.0, 0.0, -5.0),
    (1.2, -1.5, -3.0, 0.0),
    (-1.0, -4.0, 4.0, 2.0),
    (0.0, 3.0, 12.0, 10.0),
    (9.0, -5.5, -4.0, 0.0),
    (-10.0, 6.0, -6.0, 8.0),
]


@pytest.mark.parametrize("launch", LAUNCHES)
def test_pilot_recovers_from_launches(launch):
    e = _engine()
    _place(e, 0, *launch)
    _place(e, 1, 4.5, P.FLOOR_R_TOP + P.HALF_H, grounded=True, support=L.SUP_FLOOR_RIGHT, invuln=True)
    alive, seen = _fly(e, lambda pilot, s: pilot.air(s), 240)
    assert alive and seen[-1].me.grounded, f"launched {launch}: did not land"


def test_pilot_uses_fresh_jump_presses_and_the_recovery_last():
    e = _engine()
    _place(e, 0, 8.2, -3.6, 0.0, -2.0)
    _place(e, 1, 4.5, P.FLOOR_R_TOP + P.HALF_H, grounded=True, support=L.SUP_FLOOR_RIGHT, invuln=True)
    keys = []

    def policy(pilot, s):
        k = pilot.air(s)
        keys.append((k.copy(), s.me.jumps, pilot.recovery_move))
        return k

    alive, seen = _fly(e, policy, 240)
    assert alive and seen[-1].me.grounded
    jumps = [k[L.K_JUMP] for k, _, _ in keys]
    held_twice = any(a and b for a, b in zip(jumps, jumps[1:], strict=False))
    assert not held_twice, "jump held on consecutive frames"
    assert all(left == 0 for k, left, rec in keys if rec), "recovery move before the air jumps were spent"


def test_walking_at_an_edge_never_falls():
    """Holding toward a floor's outer end (and dashing) stops short of it."""
    for floor, toward in ((T.RIGHT, 1), (T.LEFT, -1)):
        e = _engine()
        sup = L.SUP_FLOOR_RIGHT if floor is T.RIGHT else L.SUP_FLOOR_LEFT
        _place(e, 0, floor.mid, floor.stand, grounded=True, support=sup)
        _place(e, 1, -floor.mid, 5.0, invuln=True)

        def policy(pilot, s, toward=toward):
            keys = np.zeros(L.N_KEYS, np.int8)
            keys[L.K_RIGHT if toward > 0 else L.K_LEFT] = 1
            keys[L.K_DASH] = pilot.t % 7 == 0
            return keys

        alive, seen = _fly(e, policy, 120)
        assert alive and all(s.me.grounded for s in seen[5:])
        assert abs(seen[-1].me.x - (floor.x1 if toward > 0 else floor.x0)) < 1.0


@pytest.mark.parametrize("start,goal", [(T.RIGHT, T.LEFT), (T.LEFT, T.RIGHT)])
def test_walk_crosses_the_pit(start, goal):
    e = _engine()
    sup = L.SUP_FLOOR_RIGHT if start is T.RIGHT else L.SUP_FLOOR_LEFT
    _place(e, 0, start.mid, start.stand, grounded=True, support=sup)
    _place(e, 1, 0.0, 6.0, invuln=True)
    target = goal.mid
    alive, seen = _fly(e, lambda pilot, s: pilot.walk(s, target, goal.stand), 200)
    assert alive
    end = seen[-1].me
    assert end.grounded and end.floor is goal and abs(end.x - target) < 0.5


def test_walk_gets_onto_the_platform():
    e = _engine()
    _place(e, 0, T.RIGHT.mid, T.RIGHT.stand, grounded=True, support=L.SUP_FLOOR_RIGHT)
    _place(e, 1, 0.0, 6.0, invuln=True)
    alive, seen = _fly(e, lambda pilot, s: pilot.walk(s, s.plat_x, platform=True), 450)
    assert alive and any(s.me.on_platform for s in seen)
    assert seen[-1].me.on_platform


def test_no_aerials_off_stage():
    """An attack key in the air is dropped unless the fall lands on a floor under the body."""
    e = _engine()
    _place(e, 0, 10.0, 1.0, 0.0, 0.0)
    _place(e, 1, 4.5, P.FLOOR_R_TOP + P.HALF_H, grounded=True, support=L.SUP_FLOOR_RIGHT, invuln=True)
    write_obs(e.state, e.cfg, 0)
    pilot = T.Pilot()
    s = pilot.read(ObsView(e.state.obs[0, 0]))
    keys = pilot.finish(s, pilot.attack_keys(s, T.NAIR, -1))
    assert keys[L.K_LIGHT] == 0 and keys[L.K_HEAVY] == 0


# -- the ladder ----------------------------------------------------------------------------------------


def test_run_ladder_counts_and_orders():
    calls = []
    lad = run_ladder(
        ["ConstantBot", "BasedBot", "RandomBot"],
        games=2,
        seed=5,
        frames=1500,
        progress=lambda a, b, done: calls.append((a, b, done)),
    )
    assert len(calls) == 3 * 2
    assert calls[:2] == [("ConstantBot", "BasedBot", 1), ("ConstantBot", "BasedBot", 2)]
    assert set(lad["pairs"]) == {f"{a}|{b}" for a in lad["bots"] for b in lad["bots"] if a != b}
    for key, rec in lad["pairs"].items():
        a, b = key.split("|")
        back = pair(lad, b, a)
        assert rec["wins"] + rec["draws"] + rec["losses"] == 2
        assert (rec["wins"], rec["draws"], rec["losses"]) == (back["losses"], back["draws"], back["wins"])
        assert rec["win_rate"] == rec["wins"] / 2
    assert lad["overall"]["BasedBot"]["games"] == 4 and lad["ranking"][0] == "BasedBot"
    assert pair(lad, "BasedBot", "ConstantBot")["win_rate"] == 1.0
    md = to_markdown(lad)
    assert md.splitlines()[0] == "| bot | " + " | ".join(lad["ranking"]) + " | score |"
    assert "| BasedBot | - |" in md


def test_run_ladder_matches_play_series():
    """A ladder pair is exactly a ``brawl-league match A B`` series (same seeds and sides)."""
    from brawl_league.matches import play_series

    lad = run_ladder(["EdgeGuardBot", "BasedBot"], games=2, seed=9, frames=900)
    s = play_series("EdgeGuardBot", "BasedBot", games=2, seed=9, frames=900)["summary"]
    rec = pair(lad, "EdgeGuardBot", "BasedBot")
    assert (rec["wins"], rec["draws"], rec["losses"]) == (s["wins"], s["draws"], s["losses"])


def test_run_ladder_rejects_bad_input():
    with pytest.raises(ValueError, match="two"):
        run_ladder(["BasedBot"], games=1)
    with pytest.raises(ValueError, match="unknown bot"):
        run_ladder(["BasedBot", "NoSuchBot"], games=1)


LADDER = ["bots", "ladder", "ConstantBot", "BasedBot", "--frames", "900"]


def test_cli_ladder_json_markdown_and_table():
    result = runner.invoke(app, [*LADDER, "--games", "2", "--json"])
    assert result.exit_code == 0, result.output
    lad = json.loads(result.stdout)
    assert lad["games"] == 2 and pair(lad, "BasedBot", "ConstantBot")["wins"] == 2
    result = runner.invoke(app, [*LADDER, "--games", "1", "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("| bot | BasedBot | ConstantBot | score |")
    assert "1 games per pair" in result.stdout
    result = runner.invoke(app, [*LADDER, "--games", "1"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "win rate" in result.stdout and "BasedBot" in result.stdout and "100 %" in result.stdout


def test_cli_ladder_unknown_bot_exits_2():
    result = runner.invoke(app, ["bots", "ladder", "BasedBot", "Nope", "--games", "1"])
    assert result.exit_code == 2
    assert "Nope" in result.stderr


# ---------------------------------------------------------------------------------- written from the docs


def test_a_reset_without_seed_plays_like_one_with_it(tmp_path) -> None:
    """docs/bots.md: ``def reset(self):`` works too; every caller (a match, a batch of rows, the guard) passes a
    seed, and the base class drops it for such a bot. A second positional parameter gets the seed."""
    from brawl_env.bots import BotAgent, GuardedBot
    from brawl_env.bots.base import Bot, press

    class NoSeed(Bot):
        """Counts frames; knows nothing of seeds."""

        def reset(self):
            self.t = 0

        def act(self, view):
            self.t += 1
            return press("right" if self.t % 20 < 10 else "left")

    class Positional(Bot):
        def reset(self, s):
            self.seen = s

    bot = NoSeed()
    bot.reset(seed=3)
    bot.reset(5)
    bot.reset()
    GuardedBot(NoSeed()).reset(7)
    res = run_match(NoSeed(), load_bot("ConstantBot"), seed=1, max_frames=60)
    assert res.forfeit is None and res.frames == 60
    BotAgent(NoSeed).reset_rows(np.array([0, 1]), np.array([1, 2]))
    p = Positional.__new__(Positional)
    p.reset(seed=9)
    assert p.seen == 9
    file_bot = tmp_path / "outsider.py"  # as an outsider writes it, played by file path from the CLI
    file_bot.write_text(
        "from brawl_env.bots import Bot, press\n\nclass Outsider(Bot):\n    'Walks right.'\n"
        "    def reset(self):\n        self.t = 0\n    def act(self, view):\n"
        "        self.t += 1\n        return press('right') if not view.opponent.attacking "
        "else press('dodge')\n"
    )
    result = runner.invoke(app, ["match", f"{file_bot}:Outsider", "BasedBot", "--frames", "90", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["games"][0]["forfeit"] is None


def test_view_helpers_read_what_their_names_say() -> None:
    e = Engine(2, make_config())
    e.reset(np.array([3, 4], np.uint64))
    obs = e.state.obs.copy()  # (2, 2, D)
    for _ in range(3):
        e.keys[:] = 0
        e.keys[0, 1, L.K_LIGHT] = 1  # player 1 of match 0 jabs
        e.step(auto_reset=False)
    pi = e.state.pi
    obs = e.state.obs
    v = ObsView(obs[0, 0])  # player 0's view of match 0
    assert bool(v.opponent.attacking) and bool(v.opponent.is_attacking) and pi[0, 1, L.MOVE] != 0
    assert bool(v.me.attacking) is False and v.me.move_name == "none"
    assert v.opponent.move_name == L.MOVE_NAMES[pi[0, 1, L.MOVE]]
    assert v.me.state_name == L.STATE_NAMES[pi[0, 0, L.STATE]] and v.me.weapon_name == "punch"
    grounded = bool(v.me.grounded)
    assert bool(v.me.in_air) == (not grounded and pi[0, 0, L.STATE] != L.S_KO)
    pf = e.state.pf
    toward = np.sign(pf[0, 0, L.PX] - pf[0, 1, L.PX])
    assert bool(v.opponent.facing_me) == (pi[0, 1, L.FACING] == toward)
    assert bool(v.me.facing_opponent) == (pi[0, 0, L.FACING] == -toward)
    assert not v.me.knocked_out and not v.me.dodging
    batch = ObsView(obs[:, 0])  # a batch: every helper is an array
    assert batch.opponent.attacking.shape == (2,) and batch.me.state_name.shape == (2,)
    assert {"attacking", "in_air", "facing_me"} <= set(dir(v.opponent))
    with pytest.raises(AttributeError, match="no observation field"):
        v.me.is_flying


def test_basedbot_compiles_its_plan_when_made_not_in_its_first_timed_frame() -> None:
    """A guarded bot's first frame has the 0.05 s budget of any other; on a cold numba cache BasedBot's first
    game after an install was a forfeit. Making the bot compiles (or loads) the plan; a fresh process shows it."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        from brawl_env.bots import builtin
        plan = builtin._based_plan
        if not hasattr(plan, "signatures"):
            print("nojit")
        else:
            before = len(plan.signatures)
            builtin.BasedBot()
            print(before, len(plan.signatures))
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    if out != ["nojit"]:
        assert out[0] == "0" and int(out[1]) >= 1
