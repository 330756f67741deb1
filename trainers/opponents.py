"""The opponents of a :class:`trainers.envs.LeagueVecEnv`: specs, the objects built for them, and acting.

An *opponent spec* names an opponent (:class:`OpponentSpec`, or any hashable value, or anything with a
hashable ``.key``); :func:`spec_key` is what the cache keys on. An *opponent object* is an agent of the
one agent protocol (:class:`brawl_env.bots.Agent`: rows in, keys out, a per-row reset with seeds).

:class:`OpponentPool` holds the objects of one env:

- one object per spec key, built by ``make_opponent(spec)`` the first time the key is chosen and kept:
  nothing is rebuilt or reloaded per episode (the original reloaded a snapshot from disk, twice, every
  self-play episode). With a limit, the least recently chosen objects that play no match are dropped
  (and closed when they have a ``close``);
- when rows start an episode, each row's object is told so (``reset_rows``, with a seed per row when it
  takes seeds);
- every frame, each distinct object is called once with all the rows it plays, except that objects which
  can act together do so in one call: an object with a non-None ``fuse_key`` and a ``make_fuser()`` (the
  trainer's network opponents: snapshots and the mirror, whose weights stack into one batched forward)
  is grouped with the others of its type and key, and their fuser acts for all of them (``fuse=False``
  restores one call per object, for comparisons).
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from brawl_env._actions import check_values
from brawl_env.bots.agent import Agent
from brawl_env.engine import layout as L

__all__ = ["OpponentPool", "OpponentSpec", "spec_key"]


@dataclass(frozen=True)
class OpponentSpec:
    """A plain opponent spec: ``kind`` ("bot", "snapshot", "mirror" ...) and ``name`` for the logs;
    ``key`` groups specs that share one opponent object (default ``(kind, name)``)."""

    kind: str
    name: str
    key: Hashable = None

    def __post_init__(self):
        if self.key is None:
            object.__setattr__(self, "key", (self.kind, self.name))


def spec_key(spec: Any) -> Hashable:
    """The cache key of an opponent spec: its ``.key`` when it has one, else the spec itself."""
    key = getattr(spec, "key", None)
    if key is None:
        key = spec
    try:
        hash(key)
    except TypeError:
        raise TypeError(f"an opponent spec must be hashable or have a hashable .key; got {spec!r}") from None
    return key


def _accepts_seeds(method) -> bool:
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return "seeds" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


class _Group:
    """One opponent object and the rows it plays, with the precomputed indices it needs each step."""

    __slots__ = ("opponent", "rows", "flat")

    def __init__(self, opponent, rows: np.ndarray, flat: np.ndarray):
        # flat: row * 2 + opponent slot, an index into the (2n, ...) views of the batch arrays
        self.opponent, self.rows, self.flat = opponent, rows, flat


class _Fused:
    """Opponent objects that act together: their fuser's ``act`` takes (opponent, obs, rows) for each."""

    __slots__ = ("fuser", "groups")

    def __init__(self, fuser, groups: list[_Group]):
        self.fuser, self.groups = fuser, groups


class OpponentPool:
    """The opponent objects of ``n`` matches and which rows each one plays (see the module docstring).

    :param n: number of matches (rows).
    :param make_opponent: ``spec -> Agent``, called once per distinct spec key (see :func:`spec_key`).
    :param max_cached: keep at most this many objects (``None``: keep all).
    :param fuse: let objects that can act together do so in one call per frame.

    ``specs[k]`` is the spec row ``k`` plays now; ``cache`` the objects by spec key; ``fused`` the groups
    that act together (read by tests and the opponents benchmark).
    """

    def __init__(
        self, n: int, make_opponent: Callable[[Any], Agent], max_cached: int | None = None, fuse: bool = True
    ):
        self.n = int(n)
        self.make_opponent = make_opponent
        self.max_cached = max_cached
        self.fuse = bool(fuse)
        self.specs: list[Any] = [None] * self.n
        self.row_keys: list[Hashable] = [None] * self.n
        self.cache: OrderedDict[Hashable, Any] = OrderedDict()
        self.groups: list[_Group] = []
        self.fused: list[_Fused] = []
        self._fusers: dict[Hashable, Any] = {}
        self._seeds_kw: dict[int, bool] = {}

    def clear_rows(self) -> None:
        """Forget which spec each row plays (the env is about to start every row afresh)."""
        self.specs = [None] * self.n
        self.row_keys = [None] * self.n

    def start_episodes(
        self,
        rows: np.ndarray,
        choose: Callable[[np.random.Generator], Any],
        rng: np.random.Generator,
        flat: np.ndarray,
    ) -> None:
        """``rows`` start new episodes: each gets an opponent from ``choose(rng)`` (its object built on
        first use), then one seed per row is drawn from ``rng`` and each object resets its rows; finally
        the cache is trimmed and the per-frame groups rebuilt. ``flat[k]`` is row ``k``'s opponent index
        (row * 2 + opponent slot) into the batch's (2n, ...) arrays."""
        touched: dict[Hashable, list[int]] = {}
        for k in rows.tolist():
            spec = choose(rng)
            key = spec_key(spec)
            if key not in self.cache:
                self.cache[key] = self.make_opponent(spec)
            else:
                self.cache.move_to_end(key)
            self.specs[k] = spec
            self.row_keys[k] = key
            touched.setdefault(key, []).append(k)
        seeds = rng.integers(0, 2**63, len(rows), dtype=np.int64)
        seed_of = dict(zip(rows.tolist(), seeds.tolist()))
        for key, ks in touched.items():
            opp = self.cache[key]
            r = np.asarray(ks, np.int64)
            wants = self._seeds_kw.get(id(opp))
            if wants is None:
                wants = self._seeds_kw[id(opp)] = _accepts_seeds(opp.reset_rows)
            if wants:
                opp.reset_rows(r, seeds=np.asarray([seed_of[k] for k in ks], np.int64))
            else:
                opp.reset_rows(r)
        self._evict()
        self._regroup(flat)

    def act(self, obs: np.ndarray, keys2: np.ndarray) -> None:
        """Every opponent's keys for this frame into ``keys2`` ((2n, keys), row * 2 + slot), each
        object seeing ``obs[rows]`` (its rows' observations from the opponent's slot)."""
        for g in self.groups:
            _put_keys(g, g.opponent.act(obs[g.rows], g.rows), keys2)
        for f in self.fused:
            outs = f.fuser.act([(g.opponent, obs[g.rows], g.rows) for g in f.groups])
            for g, out in zip(f.groups, outs):
                _put_keys(g, out, keys2)

    def close(self) -> None:
        """Close every cached object that has a ``close`` and forget them all."""
        for opp in self.cache.values():
            closer = getattr(opp, "close", None)
            if callable(closer):
                closer()
        self.cache.clear()
        self.groups = []
        self.fused = []
        self._fusers.clear()

    def _regroup(self, flat: np.ndarray) -> None:
        # grouped by object, not by key: an object that serves several keys is still called once
        by_obj: dict[int, tuple[Any, list[int]]] = {}
        for k, key in enumerate(self.row_keys):
            opp = self.cache[key]
            by_obj.setdefault(id(opp), (opp, []))[1].append(k)
        groups = []
        for opp, ks in by_obj.values():
            r = np.asarray(ks, np.int64)
            groups.append(_Group(opp, r, flat[r]))
        self.groups, self.fused = groups, []
        if not self.fuse:
            return
        together: dict[Hashable, list[_Group]] = {}
        for g in groups:
            key = getattr(g.opponent, "fuse_key", None)
            if key is not None and callable(getattr(g.opponent, "make_fuser", None)):
                together.setdefault((type(g.opponent), key), []).append(g)
        for key, gs in together.items():
            if len(gs) < 2:
                continue
            if key not in self._fusers:
                self._fusers[key] = gs[0].opponent.make_fuser()
            self.fused.append(_Fused(self._fusers[key], gs))
        fused = {id(g) for f in self.fused for g in f.groups}
        self.groups = [g for g in groups if id(g) not in fused]

    def _evict(self) -> None:
        limit = self.max_cached
        if limit is None or len(self.cache) <= limit:
            return
        in_use = set(self.row_keys)
        for key in list(self.cache):
            if len(self.cache) <= limit:
                break
            if key in in_use:
                continue
            opp = self.cache.pop(key)
            self._seeds_kw.pop(id(opp), None)
            closer = getattr(opp, "close", None)
            if callable(closer):
                closer()


def _put_keys(g: _Group, out: Any, keys2: np.ndarray) -> None:
    out = np.asarray(out)
    if out.shape != (len(g.rows), L.N_KEYS):
        raise ValueError(
            f"opponent {g.opponent!r} returned keys of shape {out.shape}; expected "
            f"({len(g.rows)}, {L.N_KEYS})"
        )
    if not getattr(g.opponent, "trusted_keys", False):
        check_values(out, f"opponent {g.opponent!r}")
    keys2[g.flat] = out
