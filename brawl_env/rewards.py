"""Reward terms: named, weighted, summed for both agents, each from its own point of view.

A term is a function of one frame's :class:`RewardContext` that returns an ``(n, 2)`` array: one value
per match and per player, where ``[:, p]`` is player p's view. ``RewTerm(fn, weight, params)`` weights
it; a :class:`RewardManager` sums its terms and keeps the per-term breakdown, which the envs put in
``infos[agent]["reward_terms"]`` (the sum of the breakdown is the reward).

Two kinds of term:

- **event** terms fire on the frame something happens (a hit, a knockout, a pickup); their value is
  per event, so the weight is "reward per event".
- **per-second** terms hold while a condition lasts (standing low over the blast line, attacking);
  their value is ``dt = 1/30`` per frame, so the weight is "reward per second" of the condition. The
  training guide's code multiplied these by dt while its docs called the weights "per frame"; here the
  docs and the numbers agree: ``danger_zone = -0.5`` costs 0.5 per second, 1/60 per frame.

Configure by name, e.g. from TOML ``[rewards]``: ``damage_interaction = 1.0`` or
``danger_zone = { weight = -0.5, height = -4.2 }``. Unknown names are rejected with the list of known
ones. Register your own term with :func:`reward_term`.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np

from .engine import layout as L
from .engine import params as P

DT = P.DT


@dataclasses.dataclass(frozen=True)
class RewardContext:
    """What one frame of N matches looks like to a reward term (arrays are read-only by convention).

    ``pf``, ``pi``: the players' state at the end of the frame (for a match that just ended, its final
    state, not the restarted one); ``ev``: the frame's events, ``[:, p]`` from player p's view;
    ``keys``: the keys both players held this frame.
    """

    pf: np.ndarray  # (n, 2, N_PF)
    pi: np.ndarray  # (n, 2, N_PI)
    ev: np.ndarray  # (n, 2, N_EV)
    keys: np.ndarray  # (n, 2, 10)

    def event(self, name: str) -> np.ndarray:
        """Event ``name`` as an ``(n, 2)`` float array."""
        return self.ev[:, :, L.EVENT_NAMES.index(name)].astype(np.float64)


def frame_context(state, out, keys: np.ndarray) -> RewardContext:
    """The context of the frame an engine just stepped (``state``, its ``StepOut`` and the keys).

    Matches that ended this frame have already restarted; their final state is taken from ``out``.
    """
    done = out.terminated | out.truncated
    pf, pi = state.pf, state.pi
    if done.any():
        pf = np.where(done[:, None, None], out.final_pf, pf)
        pi = np.where(done[:, None, None], out.final_pi, pi)
    return RewardContext(pf=pf, pi=pi, ev=state.ev, keys=keys)


TermFn = Callable[..., np.ndarray]


@dataclasses.dataclass(frozen=True)
class TermInfo:
    """A registered term: its function, kind (``event`` or ``per_second``) and one line of doc."""

    name: str
    fn: TermFn
    kind: str
    doc: str
    default_weight: float
    events: tuple[str, ...] = ()


_REGISTRY: dict[str, TermInfo] = {}


def reward_term(name: str, kind: str, doc: str = "", default_weight: float = 0.0, events: Sequence[str] = ()):
    """Register ``fn(ctx, **params) -> (n, 2) array`` as a reward term called ``name``.

    :param kind: ``"event"`` (value per event) or ``"per_second"`` (value ``dt`` per frame while true).
    :param events: for an event term, the events (``layout.EVENT_NAMES``) that make it pay. Declaring
        them is a promise, for any params and any other state: in a row where all of them are 0 the term
        is exactly ``+0.0``. The manager then skips the term on frames where none of them fired (see the
        module docstring); a term that declares none is computed every frame.
    """
    if kind not in ("event", "per_second"):
        raise ValueError(f"kind must be 'event' or 'per_second'; got {kind!r}")
    events = tuple(events)
    if events and kind != "event":
        raise ValueError(f"reward term {name!r}: only event terms declare events; this one is {kind!r}")
    unknown = sorted(set(events) - set(L.EVENT_NAMES))
    if unknown:
        raise ValueError(
            f"reward term {name!r}: unknown event(s) {unknown}; events are {list(L.EVENT_NAMES)}"
        )

    def register(fn: TermFn) -> TermFn:
        if name in _REGISTRY and _REGISTRY[name].fn is not fn:
            raise ValueError(f"a reward term named {name!r} is already registered")
        _REGISTRY[name] = TermInfo(
            name, fn, kind, doc or (fn.__doc__ or "").strip().splitlines()[0], default_weight, events
        )
        return fn

    return register


def known_terms() -> dict[str, TermInfo]:
    """Every registered term by name."""
    return dict(_REGISTRY)


@dataclasses.dataclass(frozen=True)
class RewTerm:
    """A term function with its weight and keyword parameters."""

    fn: TermFn
    weight: float = 1.0
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)


class RewardManager:
    """Sums weighted terms for both agents; ``zero_sum`` turns each reward into (mine - theirs) / 2.

    :param terms: ``{name: RewTerm}``; terms with weight 0 are kept in the breakdown (as zeros) but
        not computed.

    Cost at one match: most frames fire none of the events the event terms pay for, so an event term that
    declares its events (``reward_term(..., events=(...))``) is skipped on a frame where the caller says
    none of them fired (``compute(ctx, fired=...)``; the PettingZoo door does, from the events it reports
    anyway). Its share is then the exact value computing it gives (``weight * 0.0``), so skipping changes
    no bit; with the default ``sparse`` table most frames compute nothing at all.
    """

    def __init__(self, terms: Mapping[str, RewTerm], zero_sum: bool = False):
        self.names = tuple(terms)
        self.terms = tuple(terms[n] for n in self.names)
        self.zero_sum = bool(zero_sum)
        # The plan, made once: (slot, term, gate) for every term with a weight, where gate is the set of
        # event indices a registered event term declared (None: compute it every frame). The base row
        # holds each share as it is when not computed: 0.0 for a zero weight, weight * 0.0 for a skipped
        # event term (the sign of a zero included, so skipping changes no bit).
        declared = {
            info.fn: info.events for info in _REGISTRY.values() if info.kind == "event" and info.events
        }
        self._plan: list[tuple[int, RewTerm, frozenset[int] | None]] = []
        base = np.zeros((2, len(self.terms)), np.float64)
        for k, term in enumerate(self.terms):
            if term.weight == 0.0:
                continue
            events = declared.get(term.fn)
            gate = frozenset(L.EVENT_NAMES.index(e) for e in events) if events else None
            self._plan.append((k, term, gate))
            if gate is not None:
                base[:, k] = term.weight * 0.0
        self._base = base
        # A frame is quiet when every term with a weight is gated and none of their events fired: its
        # result is then always the same, worked out here once by the same arithmetic.
        gates = [g for _, _, g in self._plan]
        self._quiet_gate = frozenset().union(*gates) if None not in gates else None
        self._quiet = self._finish(base[None].copy())
        self._quiet_one = (
            tuple(self._quiet[0][0].tolist()),
            tuple(tuple(r) for r in self._quiet[1][0].tolist()),
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any], zero_sum: bool = False) -> RewardManager:
        """Build from ``{name: weight}`` or ``{name: {"weight": w, **params}}`` (a TOML ``[rewards]`` table)."""
        return cls({name: _term_from_entry(name, entry) for name, entry in config.items()}, zero_sum=zero_sum)

    def compute(
        self, ctx: RewardContext, fired: Collection[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rewards ``(n, 2)`` float32 and the breakdown ``(n, 2, terms)`` float32 for one frame.

        :param fired: the indices (``layout.EVENT_NAMES``) of the events non-zero in any row this frame, if
            the caller knows them: event terms that declared their events and saw none fire are skipped
            (their shares are exactly what computing them gives). None computes every term.
        """
        n = ctx.ev.shape[0]
        if fired is not None and self._quiet_gate is not None and self._quiet_gate.isdisjoint(fired):
            reward, parts = self._quiet
            return np.repeat(reward, n, axis=0), np.repeat(parts, n, axis=0)
        parts = np.empty((n, 2, len(self.terms)), np.float64)
        parts[:] = self._base
        for k, term, gate in self._plan:
            if gate is None or fired is None or not gate.isdisjoint(fired):
                parts[:, :, k] = term.weight * np.asarray(term.fn(ctx, **term.params), np.float64)
        return self._finish(parts)

    def compute_one(
        self, ctx: RewardContext, fired: Collection[int]
    ) -> tuple[Sequence[float], Sequence[Sequence[float]]]:
        """:meth:`compute` for one match (``n == 1``) as Python floats, the form the PettingZoo door hands
        out: the two rewards and each player's shares. A quiet frame returns one shared pair of tuples
        made at construction (no arrays, no conversion), so the door pays nothing for terms that did not fire.
        """
        if self._quiet_gate is not None and self._quiet_gate.isdisjoint(fired):
            return self._quiet_one
        reward, parts = self.compute(ctx, fired)
        return reward[0].tolist(), parts[0].tolist()

    def _finish(self, parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The zero-sum transform, float32 shares and their sum: the same arithmetic for every path."""
        if self.zero_sum:
            parts = 0.5 * (parts - parts[:, ::-1, :])
        parts = parts.astype(np.float32)
        return parts.sum(axis=2, dtype=np.float32), parts


def _term_from_entry(name: str, entry: Any) -> RewTerm:
    if name not in _REGISTRY:
        from .names import did_you_mean

        hint = did_you_mean(name, list(_REGISTRY))
        raise ValueError(
            f"unknown reward term {name!r}; known terms: {sorted(_REGISTRY)}" + (f" ({hint})" if hint else "")
        )
    info = _REGISTRY[name]
    if isinstance(entry, bool) or not isinstance(entry, (int, float, Mapping)):
        raise ValueError(
            f"reward term {name!r}: give a weight (number) or a table with 'weight'; got {entry!r}"
        )
    if isinstance(entry, Mapping):
        params = dict(entry)
        weight = params.pop("weight", info.default_weight)
        allowed = [p for p in inspect.signature(info.fn).parameters if p != "ctx"]
        bad = sorted(set(params) - set(allowed))
        if bad:
            raise ValueError(f"reward term {name!r}: unknown parameter(s) {bad}; allowed: {allowed}")
    else:
        weight, params = entry, {}
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not np.isfinite(weight):
        raise ValueError(f"reward term {name!r}: weight must be a finite number; got {weight!r}")
    return RewTerm(info.fn, float(weight), params)


# --- built-in terms ------------------------------------------------------------------------------------


@reward_term(
    "win",
    "event",
    "+1 on the frame the match is won, -1 when lost, 0 on a draw",
    50.0,
    events=("won", "lost"),
)
def win(ctx: RewardContext) -> np.ndarray:
    return ctx.event("won") - ctx.event("lost")


@reward_term(
    "damage_interaction",
    "event",
    "(damage dealt - damage taken) / 140 this frame",
    1.0,
    events=("damage_dealt", "damage_taken"),
)
def damage_interaction(ctx: RewardContext) -> np.ndarray:
    return (ctx.event("damage_dealt") - ctx.event("damage_taken")) / 140.0


@reward_term(
    "knockout",
    "event",
    "+1 when the opponent is knocked out, -1 when you are",
    8.0,
    events=("knockout_dealt", "knocked_out"),
)
def knockout(ctx: RewardContext) -> np.ndarray:
    return ctx.event("knockout_dealt") - ctx.event("knocked_out")


@reward_term(
    "combo",
    "event",
    "+1 per hit landed on a stunned opponent, -1 per such hit taken",
    5.0,
    events=("combo_landed", "combo_taken"),
)
def combo(ctx: RewardContext) -> np.ndarray:
    return ctx.event("combo_landed") - ctx.event("combo_taken")


@reward_term(
    "weapon_pickup",
    "event",
    "a weapon taken from a spawner: `hammer` (1.0) or `spear` (0.5); dropped weapons pay nothing",
    10.0,
    events=("weapon_pickup",),
)
def weapon_pickup(ctx: RewardContext, hammer: float = 1.0, spear: float = 0.5) -> np.ndarray:
    weapon = ctx.event("weapon_pickup")
    from_spawner = ctx.event("pickup_source") == 1.0
    value = np.where(weapon == L.W_HAMMER, hammer, np.where(weapon == L.W_SPEAR, spear, 0.0))
    return np.where(from_spawner, value, 0.0)


@reward_term("weapon_drop", "event", "1 on the frame a weapon is dropped", -15.0, events=("weapon_drop",))
def weapon_drop(ctx: RewardContext) -> np.ndarray:
    return ctx.event("weapon_drop")


@reward_term(
    "danger_zone", "per_second", "dt while your centre is below `height` (near the bottom blast line)", -0.5
)
def danger_zone(ctx: RewardContext, height: float = -4.2) -> np.ndarray:
    alive = ctx.pi[:, :, L.STATE] != L.S_KO
    return DT * ((ctx.pf[:, :, L.PY] < height) & alive)


@reward_term("attack_state", "per_second", "dt while in the Attack state", -0.04)
def attack_state(ctx: RewardContext) -> np.ndarray:
    return DT * (ctx.pi[:, :, L.STATE] == L.S_ATTACK)


@reward_term("more_than_3_keys", "per_second", "dt while more than 3 keys are held", -0.01)
def more_than_3_keys(ctx: RewardContext) -> np.ndarray:
    return DT * (ctx.keys.sum(axis=2) > 3)


@reward_term(
    "distance_to_opponent",
    "per_second",
    "dt x the distance to the opponent in units (weight < 0 pulls together)",
)
def distance_to_opponent(ctx: RewardContext) -> np.ndarray:
    d = np.hypot(ctx.pf[:, 0, L.PX] - ctx.pf[:, 1, L.PX], ctx.pf[:, 0, L.PY] - ctx.pf[:, 1, L.PY])
    return DT * np.stack([d, d], axis=1)


@reward_term(
    "stage_centre", "per_second", "dt x your horizontal distance from the stage centre (weight < 0 pulls in)"
)
def stage_centre(ctx: RewardContext) -> np.ndarray:
    return DT * np.abs(ctx.pf[:, :, L.PX])


SPARSE = {"win": 1.0}
"""The default: +1 / -1 / 0 on win / loss / draw."""

GUIDE = {
    "damage_interaction": 1.0,
    "danger_zone": -0.5,
    "attack_state": -0.04,
    "more_than_3_keys": -0.01,
    "win": 50.0,
    "knockout": 8.0,
    "combo": 5.0,
    "weapon_pickup": 10.0,
    "weapon_drop": -15.0,
}
"""The training guide's reward shaping, with its weights, per event or per second as documented."""

PRESETS = {"sparse": SPARSE, "guide": GUIDE}
