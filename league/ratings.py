"""Elo ratings: the online update the league applies after every recorded match, and a replay of it.

The update is the standard one. With ``E = 1 / (1 + 10 ** ((r_b - r_a) / 400))`` the score A was
expected to make against B, and ``s`` the score A made (1 win, 0.5 draw, 0 loss)::

    r_a' = r_a + K * (s - E)
    r_b' = r_b - K * (s - E)

**Anchoring.** One player, the anchor (BasedBot by default), never moves: when it plays, only the other
player's rating changes, by the same amount it would have changed anyway. The anchor is a fixed, scripted
bot, so its true strength is the same in every league, and pinning it at ``anchor_rating`` ties every
league's scale to it: 1200 means "expected to score about 76 % against BasedBot" in any run. (Shifting all
ratings after each update would also keep the anchor at 1000, but it rewrites every rating on every match
and makes each player's history depend on games it did not play.) Matches that never involve the anchor
are zero-sum as usual, so the scale can drift only through games against the anchor, which pull it back.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

SCORES = {"win": 1.0, "draw": 0.5, "loss": 0.0}
"""A's score for each result, as seen from A."""


def expected_score(r_a: float, r_b: float) -> float:
    """The score A is expected to make against B (its win probability, counting a draw as half)."""
    return 1.0 / (1.0 + 10.0 ** ((r_b - r_a) / 400.0))


def elo_update(
    r_a: float, r_b: float, score_a: float, k: float, *, a_fixed: bool = False, b_fixed: bool = False
) -> tuple[float, float]:
    """Both ratings after one game in which A scored ``score_a``; a fixed (anchor) player keeps its rating."""
    delta = k * (score_a - expected_score(r_a, r_b))
    return (r_a if a_fixed else r_a + delta), (r_b if b_fixed else r_b - delta)


def score_of(result: str) -> float:
    """A's score for ``"win"``, ``"draw"`` or ``"loss"``; anything else is an error naming those."""
    try:
        return SCORES[result]
    except (KeyError, TypeError):
        raise ValueError(f"unknown result {result!r}; allowed (from A's side): {sorted(SCORES)}") from None


def replay(
    games: Iterable[tuple[Hashable, Hashable, str]],
    k: float,
    initial: Mapping[Hashable, float],
    anchor: Hashable | None = None,
) -> dict[Hashable, float]:
    """Ratings after applying ``(a, b, result)`` games in order, from ``initial`` ratings.

    This is the serial twin of what the league does one transaction at a time; the league's live ratings
    must equal ``replay`` of its matches in recorded (id) order.
    """
    ratings = dict(initial)
    for a, b, result in games:
        ratings[a], ratings[b] = elo_update(
            ratings[a], ratings[b], score_of(result), k, a_fixed=a == anchor, b_fixed=b == anchor
        )
    return ratings
