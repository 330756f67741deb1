"""The round-robin schedule and how it is cut into batches.

**Schedule.** Agents are taken in the order given. Every unordered pair ``(A, B)`` (A given before B)
plays ``K`` matches; pair ``p`` (in ``itertools.combinations`` order) game ``k`` has schedule index
``p * K + k``. A plays slot 0 (``player_0``) in even games and slot 1 in odd ones, so with ``K`` even
each side is played equally often; with ``K`` odd A has one more game as ``player_0`` in every pair.
Match ``i`` is played from base seed ``match_seed(tournament_seed, i)`` reduced to 63 bits (so it fits
the league database's integer column), exactly as ``run_match(..., seed=that)`` would play it: the
engine starts from ``match_seed(base, 0)`` and the two agents are reset with that plus their slot. The
same agents, ``K`` and seed therefore give the same schedule, and deterministic agents the same results.

**Batches.** A batch is a list of schedule entries stepped together in one engine by one worker.
Consecutive entries go together, so a batch holds whole pairs and each agent in it acts once per frame
for all of its matches there (a network runs one forward pass for all its lanes). With a network
agent in the tournament batches are as large as possible (one per worker, at most 256 matches), since
the forward pass is the cost; with bots only, four batches per worker (at most 64 matches each) keep
the workers evenly loaded to the end.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from brawl_env.engine.rng import match_seed

SEED_MASK = 0x7FFFFFFFFFFFFFFF


@dataclass(frozen=True)
class Entry:
    """One scheduled match: ``a`` plays slot ``a_slot``, ``b`` the other; ``seed`` is its base seed."""

    index: int
    a: str
    b: str
    a_slot: int
    seed: int

    @property
    def names(self) -> tuple[str, str]:
        """The two agents in slot order."""
        return (self.a, self.b) if self.a_slot == 0 else (self.b, self.a)

    def to_dict(self) -> dict:
        return asdict(self)


def entry_seed(tournament_seed: int, index: int) -> int:
    """Base seed of schedule entry ``index`` (63 bits)."""
    return match_seed(int(tournament_seed), int(index)) & SEED_MASK


def make_schedule(names: Sequence[str], games: int, seed: int) -> list[Entry]:
    """Every pair of ``names`` plays ``games`` matches (see the module docstring)."""
    names = list(names)
    if len(set(names)) != len(names):
        raise ValueError(f"agent names must be unique; got {names}")
    if len(names) < 2:
        raise ValueError(f"a round robin needs at least two agents; got {names}")
    if isinstance(games, bool) or not isinstance(games, int) or games < 1:
        raise ValueError(f"games per pair must be an int >= 1; got {games!r}")
    out = []
    for p, (a, b) in enumerate(itertools.combinations(names, 2)):
        for k in range(games):
            i = p * games + k
            out.append(Entry(index=i, a=a, b=b, a_slot=k % 2, seed=entry_seed(seed, i)))
    return out


def plan_batches(
    entries: Sequence[Entry], workers: int, has_network: bool, batch_size: int | None = None
) -> list[list[Entry]]:
    """Cut ``entries`` (in order) into batches (see the module docstring)."""
    entries = list(entries)
    if not entries:
        return []
    if batch_size is None:
        if has_network:
            batch_size = min(256, math.ceil(len(entries) / max(workers, 1)))
        else:
            batch_size = min(64, math.ceil(len(entries) / (4 * max(workers, 1))))
    batch_size = max(1, int(batch_size))
    n = math.ceil(len(entries) / batch_size)
    # equal sizes (differing by at most one) rather than full batches and a short tail
    q, r = divmod(len(entries), n)
    out, start = [], 0
    for k in range(n):
        size = q + (k < r)
        out.append(entries[start : start + size])
        start += size
    return out
