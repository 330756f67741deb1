"""Ratings for a round robin: Bradley-Terry maximum likelihood on the Elo scale, anchored, with bootstrap
95 % intervals, a likelihood-of-superiority column and the head-to-head matrix.

**Model.** Each player ``i`` has a rating ``R_i`` and ``P(i beats j) = 1 / (1 + 10 ** ((R_j - R_i) / 400))``,
the Elo curve, so a 100-point gap means the same here as in the league's online Elo table. A draw counts as
half a win for each side, the usual Elo/Ordo convention (it is the likelihood of a model with no draws,
fed half points; a draw model such as Davidson's would fit one more parameter for little gain here). The
online Elo of the league depends on the order of matches; this fit does not: it uses every game at once.

**Regularisation (the prior).** A player who won (or lost) every game has no finite maximum-likelihood
rating, and neither do groups of players who never dropped a point to the rest. So, by default, every
player is also credited with ``prior`` virtual *draws* (default 0.5, i.e. one virtual game scored 50 %)
against a virtual opponent who sits at the origin of the fitting scale. The fit then maximises the
likelihood of the real games times that of the virtual ones: it is the maximum-likelihood estimate of the
*regularised* model (equivalently a maximum a-posteriori estimate under a weak logistic prior), not of the
plain one. Because every player is tied to the same virtual opponent, the ratings' centre sits near it,
so in effect each player is pulled a little towards the field's centre; with hundreds of games the pull
is a fraction of an Elo point, with a handful of games it is what keeps an unbeaten player finite. The
virtual opponent also removes the free shift of the scale, which makes the fit strictly concave with a
single maximum. ``prior=0`` gives the plain maximum-likelihood fit, which exists only when every group
of players scored at least some points (a draw counts) against the others; otherwise it is an error.

**Anchoring.** Only differences are estimated; the scale is then shifted so that the ``anchor`` player
(BasedBot by default, a fixed scripted bot and so the same strength in every tournament) gets exactly
``anchor_rating``. If the anchor did not play (or ``anchor`` is None), the mean rating of the players
who played is ``anchor_rating`` instead, and the table says which was used.

**Players without games** have no information at all (with the prior they would sit at an arbitrary
centre), so they are left out of the ratings with a warning rather than shown with a made-up number.

**Intervals.** Bootstrap: all the games are resampled with replacement (one multinomial draw over the
(pair, outcome) cells per resample, so a resample is exactly "G games drawn from the G played"), the
model is refitted on each resample (same prior, same anchoring, warm-started) and the 2.5th and 97.5th
percentiles of each player's rating give the 95 % interval. Resampling within each pair instead would
respect the fixed schedule, but with one game per pair it could never change anything and would print
zero-width intervals; the plain resample is slightly conservative instead. With the anchor present,
the anchor's interval is a single point and the others' intervals are relative to it, as in Ordo.
``bootstrap=0`` uses the normal approximation instead (the inverse of the fit's Hessian).

**Repeated games.** Deterministic agents can play the same game again: a seed that does not change
what happens, two scripted bots, a network acting greedily. Twenty such games are not twenty samples.
A game may carry a ``key`` (the tournament uses its frames, sides, result, stocks and damage); games of a
pair with equal keys are one *distinct* game played several times. The table reports, per pair, how many
distinct games there were (``head_to_head["distinct"]``), warns where games repeated, and keeps the
intervals honest: the bootstrap then resamples distinct games (clusters), each carrying all its copies,
so a pair that played 2 distinct games 10 times each is resampled as the 2 samples it is; the normal
approximation counts each pair's games as its number of distinct games. Point ratings still use every
game. Without keys (or with no repeats) this is exactly the plain bootstrap above.

**Likelihood of superiority** (``los_next``) is the probability that a player is stronger than the next
one down the table. It is read off the bootstrap samples: the fraction of resamples in which the
player's rating is above the next one's (a tie counts half). With ``bootstrap=0`` it comes from the
normal approximation, ``Phi(diff / sd_diff)``.

All fits are Newton iterations with a backtracking line search, vectorised over the bootstrap resamples
(one batched n x n solve per iteration for all resamples, warm-started from the point estimate).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

ELO_SCALE = 400.0 / math.log(10.0)
"""Elo points per unit of the natural (logistic) scale the fit works on."""

DEFAULT_PRIOR = 0.5
"""Virtual draws each player is credited with against a virtual average player (see module docstring)."""

DEFAULT_ANCHOR = "BasedBot"
FORMAT_VERSION = 1
"""Version of the ``RatingTable.to_dict()`` shape (tournament.json); bump on any change."""

_ALLOWED_SCORES = (0.0, 0.5, 1.0)
_MAX_NEWTON_STEPS = 200
_TOLERANCE = 1e-11  # largest rating change (natural units) that counts as converged: ~4e-9 Elo
_LINE_SEARCH_ABOVE = 1e-3  # Newton steps smaller than this (~0.2 Elo) are taken without a line search


@dataclass(frozen=True)
class Game:
    """One finished match, from A's side: ``score_a`` is 1 for a win, 0.5 for a draw and 0 for a loss.

    A forfeit (a crashed or hung agent) is recorded as a loss for the side that forfeited, so it counts
    in the ratings like any lost game.
    """

    a: str
    b: str
    score_a: float
    key: Any = None
    """What makes the game itself (hashable): games of one pair with equal keys are the same game
    repeated (see the module docstring); None: a game of its own."""

    def __post_init__(self) -> None:
        for side in ("a", "b"):
            name = getattr(self, side)
            if not isinstance(name, str) or not name:
                raise ValueError(f"Game.{side} must be a non-empty player name (str), got {name!r}")
        if self.a == self.b:
            raise ValueError(f"a player cannot play itself: Game({self.a!r}, {self.b!r}, ...)")
        try:
            score = float(self.score_a)
        except (TypeError, ValueError):
            score = math.nan
        if score not in _ALLOWED_SCORES:
            raise ValueError(
                f"Game({self.a!r}, {self.b!r}): score_a must be one of {list(_ALLOWED_SCORES)} "
                f"(win, draw, loss from A's side), got {self.score_a!r}"
            )
        object.__setattr__(self, "score_a", score)


@dataclass(frozen=True)
class RatingTable:
    """A fitted rating table, ready to print, save or plot.

    ``rows`` are dicts sorted by rating, best first, with the keys ``rank, name, rating, ci_low, ci_high,
    games, wins, draws, losses, score, los_next, forfeits``; ``head_to_head`` holds the players in table
    order and the ``score`` / ``games`` / ``points`` / ``distinct`` (distinct games, see the module
    docstring) matrices (row's view against column); ``anchor`` says
    how the scale was fixed; ``bootstrap`` is the number of resamples (0: normal approximation).
    """

    rows: list[dict[str, Any]]
    head_to_head: dict[str, Any]
    warnings: list[str]
    anchor: dict[str, Any]
    bootstrap: int
    prior: float = DEFAULT_PRIOR
    samples: np.ndarray | None = field(default=None, repr=False, compare=False)
    """Bootstrap ratings, shape (bootstrap, players) in table order; None without bootstrap."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (the tournament.json contract, ``format`` 1); values are plain Python types."""
        return {
            "format": FORMAT_VERSION,
            "ratings": [dict(row) for row in self.rows],
            "anchor": dict(self.anchor),
            "head_to_head": {
                "players": list(self.head_to_head["players"]),
                "score": [list(r) for r in self.head_to_head["score"]],
                "games": [list(r) for r in self.head_to_head["games"]],
                "points": [list(r) for r in self.head_to_head["points"]],
                "distinct": [list(r) for r in self.head_to_head["distinct"]],
            },
            "warnings": list(self.warnings),
            "bootstrap": int(self.bootstrap),
        }


# ----------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _Results:
    """Games aggregated by pair: the form every fit works on."""

    listed: list[str]  # every player, given or seen, in order
    names: list[str]  # the players who played at least one game, in the same order
    pair_i: np.ndarray  # (P,) index into names, pair_i < pair_j, only pairs that met
    pair_j: np.ndarray
    counts: np.ndarray  # (P, 3) int: i's wins, draws, j's wins
    cluster_pair: np.ndarray  # (C,) the pair of each distinct game
    cluster_counts: np.ndarray  # (C, 3) int: its copies, as i's wins, draws, j's wins

    @property
    def distinct(self) -> np.ndarray:
        """(P,) distinct games of each pair."""
        return np.bincount(self.cluster_pair, minlength=len(self.pair_i))

    @property
    def repeated(self) -> bool:
        return len(self.cluster_pair) < int(self.counts.sum())

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def games(self) -> np.ndarray:
        return self.counts.sum(axis=1)

    @property
    def points_i(self) -> np.ndarray:
        return self.counts[:, 0] + 0.5 * self.counts[:, 1]


def _collect(games: Iterable[Game], players: Sequence[str] | None) -> _Results:
    """Validate the inputs and count wins, draws and losses per pair."""
    games = list(games)
    for k, game in enumerate(games):
        if not isinstance(game, Game):
            raise TypeError(f"games[{k}] is {type(game).__name__}, expected tournament.ratings.Game")
    if players is None:
        listed = list(dict.fromkeys(name for g in games for name in (g.a, g.b)))
    else:
        if isinstance(players, str):
            raise TypeError("players must be a sequence of names, not one string")
        listed = list(players)
        for name in listed:
            if not isinstance(name, str) or not name:
                raise ValueError(f"player names must be non-empty strings, got {name!r}")
        duplicates = sorted({p for p in listed if listed.count(p) > 1})
        if duplicates:
            raise ValueError(f"players listed more than once: {duplicates}")
        known = set(listed)
        unknown = sorted({name for g in games for name in (g.a, g.b)} - known)
        if unknown:
            raise ValueError(f"games name players not in `players`: {unknown}")
    played = {name for g in games for name in (g.a, g.b)}
    names = [p for p in listed if p in played]
    index = {p: k for k, p in enumerate(names)}
    tally: dict[tuple[int, int], list[int]] = {}
    clusters: dict[tuple, list[int]] = {}  # (i, j, key or a unique stand-in) -> copies
    for n, g in enumerate(games):
        i, j, s = index[g.a], index[g.b], g.score_a
        if i > j:
            i, j, s = j, i, 1.0 - s
        column = 0 if s == 1.0 else 1 if s == 0.5 else 2
        tally.setdefault((i, j), [0, 0, 0])[column] += 1
        key = ("game", n) if g.key is None else ("key", g.key)
        clusters.setdefault((i, j, key), [0, 0, 0])[column] += 1
    keys = sorted(tally)
    position = {k: p for p, k in enumerate(keys)}
    return _Results(
        listed=listed,
        names=names,
        pair_i=np.array([k[0] for k in keys], dtype=np.intp),
        pair_j=np.array([k[1] for k in keys], dtype=np.intp),
        counts=np.array([tally[k] for k in keys], dtype=np.int64).reshape(-1, 3),
        cluster_pair=np.array([position[c[:2]] for c in clusters], dtype=np.intp),
        cluster_counts=np.array(list(clusters.values()), dtype=np.int64).reshape(-1, 3),
    )


def _check_prior(prior: float) -> float:
    prior = float(prior)
    if not math.isfinite(prior) or prior < 0:
        raise ValueError(f"prior must be a finite number >= 0 (virtual draws per player), got {prior!r}")
    return prior


# ------------------------------------------------------------------------------------------------ fit


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, accurate in relative terms in both tails (1 - sigmoid(x) is sigmoid(-x), never a
    difference of numbers near 1), so a nearly unbeaten player's tiny gradient is still exact."""
    return np.exp(-np.logaddexp(0.0, -x))


def _log_likelihood(
    theta: np.ndarray, pi: np.ndarray, pj: np.ndarray, n_games: np.ndarray, points: np.ndarray, prior: float
) -> np.ndarray:
    """Regularised log-likelihood per data set, shape (B,)."""
    diff = theta[:, pi] - theta[:, pj]
    ll = (points * _log_sigmoid(diff) + (n_games - points) * _log_sigmoid(-diff)).sum(axis=1)
    if prior:
        ll = ll + 0.5 * prior * (_log_sigmoid(theta) + _log_sigmoid(-theta)).sum(axis=1)
    return ll


def _gradient_hessian(
    theta: np.ndarray,
    pi: np.ndarray,
    pj: np.ndarray,
    n_games: np.ndarray,
    points: np.ndarray,
    prior: float,
    incidence: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of the log-likelihood and the Hessian of its negative (a weighted graph Laplacian, plus
    the prior's diagonal), built by scattering each pair's weight rather than by dense products."""
    diff = theta[:, pi] - theta[:, pj]
    p, q = _sigmoid(diff), _sigmoid(-diff)
    grad = (points * q - (n_games - points) * p) @ incidence
    weight = n_games * p * q
    hess = np.zeros((theta.shape[0], theta.shape[1], theta.shape[1]))
    hess[:, pi, pj] = -weight  # pairs are unique, so plain fancy assignment is enough
    hess[:, pj, pi] = -weight
    idx = np.arange(theta.shape[1])
    hess[:, idx, idx] = weight @ np.abs(incidence)
    if prior:
        up, down = _sigmoid(theta), _sigmoid(-theta)
        grad = grad + 0.5 * prior * (down - up)
        hess[:, idx, idx] += prior * up * down
    return grad, hess


def _newton(
    n: int,
    pi: np.ndarray,
    pj: np.ndarray,
    n_games: np.ndarray,
    points: np.ndarray,
    prior: float,
    theta0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit B data sets at once: ``n_games``/``points`` are (B, P); returns theta (B, n) and the Hessian.

    Ratings are on the natural scale. Without a prior the scale's shift is free, so player 0 is pinned
    at 0 during the fit (only differences mean anything; anchoring happens later).
    """
    n_sets = n_games.shape[0]
    theta = np.zeros((n_sets, n)) if theta0 is None else np.array(theta0, dtype=float, copy=True)
    incidence = _incidence(n, pi, pj)
    pin = prior == 0.0
    if pin:
        theta -= theta[:, :1]
    for _ in range(_MAX_NEWTON_STEPS):
        grad, hess = _gradient_hessian(theta, pi, pj, n_games, points, prior, incidence)
        if pin:
            grad[:, 0] = 0.0
            hess[:, 0, :] = 0.0
            hess[:, :, 0] = 0.0
            hess[:, 0, 0] = 1.0
        step = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
        size = np.abs(step).max(axis=1)
        if size.max() < _TOLERANCE:
            theta += step
            break
        # Backtracking (Armijo): halve the step of each data set whose likelihood would not rise enough.
        # Data sets whose Newton step is already small are in Newton's quadratic region and take the full
        # step untested: there the likelihood changes by less than its rounding error, and testing it
        # would halve good steps and turn quadratic convergence into a crawl.
        t = np.ones(n_sets)
        rows = np.flatnonzero(size > _LINE_SEARCH_ABOVE)
        if rows.size:
            sub_games, sub_points, sub_theta, sub_step = n_games[rows], points[rows], theta[rows], step[rows]
            ll = _log_likelihood(sub_theta, pi, pj, sub_games, sub_points, prior)
            slope = (grad[rows] * sub_step).sum(axis=1)
            sub_t = np.ones(rows.size)
            for _ in range(60):
                trial = sub_theta + sub_t[:, None] * sub_step
                ll_trial = _log_likelihood(trial, pi, pj, sub_games, sub_points, prior)
                bad = ll_trial < ll + 1e-4 * sub_t * slope
                if not bad.any():
                    break
                sub_t = np.where(bad, 0.5 * sub_t, sub_t)
            t[rows] = sub_t
        theta = theta + t[:, None] * step
    else:
        log.warning("Bradley-Terry fit stopped after %d Newton steps without converging", _MAX_NEWTON_STEPS)
    return theta, _hessian(theta, pi, pj, n_games, points, prior)


def _incidence(n: int, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """(P, n): +1 at each pair's first player, -1 at its second."""
    incidence = np.zeros((len(pi), n))
    incidence[np.arange(len(pi)), pi] = 1.0
    incidence[np.arange(len(pi)), pj] = -1.0
    return incidence


def _hessian(theta, pi, pj, n_games, points, prior) -> np.ndarray:
    """The negative log-likelihood's Hessian at ``theta`` (B, n), player 0 pinned without a prior, as in
    the fit."""
    _, hess = _gradient_hessian(theta, pi, pj, n_games, points, prior, _incidence(theta.shape[1], pi, pj))
    if prior == 0.0:
        hess[:, 0, :] = 0.0
        hess[:, :, 0] = 0.0
        hess[:, 0, 0] = 1.0
    return hess


def _reachability(results: _Results) -> np.ndarray:
    """``reach[i, j]``: i reaches j by a chain of "scored at least a draw against" (i itself included)."""
    n = results.n
    reach = np.eye(n, dtype=bool)
    scored_i = results.counts[:, 0] + results.counts[:, 1] > 0
    scored_j = results.counts[:, 2] + results.counts[:, 1] > 0
    reach[results.pair_i[scored_i], results.pair_j[scored_i]] = True
    reach[results.pair_j[scored_j], results.pair_i[scored_j]] = True
    for _ in range(max(1, math.ceil(math.log2(max(n, 2))))):
        reach = reach | ((reach.astype(np.int64) @ reach.astype(np.int64)) > 0)
    return reach


def _groups(reach: np.ndarray) -> list[list[int]]:
    """Strongly connected groups: players who each reach the other by chains of points scored."""
    mutual = reach & reach.T
    seen: set[int] = set()
    groups = []
    for i in range(reach.shape[0]):
        if i not in seen:
            members = [int(j) for j in np.flatnonzero(mutual[i])]
            seen.update(members)
            groups.append(members)
    return groups


def _anchored(
    ratings: np.ndarray, names: Sequence[str], anchor: str | None, anchor_rating: float
) -> tuple[np.ndarray, dict[str, Any]]:
    """Shift (B, n) Elo ratings so the anchor, or else the mean, sits at ``anchor_rating``."""
    if anchor is not None and anchor in names:
        k = list(names).index(anchor)
        return ratings - ratings[:, k : k + 1] + anchor_rating, {"name": anchor, "rating": anchor_rating}
    shift = anchor_rating - ratings.mean(axis=1, keepdims=True)
    return ratings + shift, {"name": None, "mean": anchor_rating}


def _point_fit(results: _Results, prior: float) -> tuple[np.ndarray, np.ndarray]:
    if prior == 0.0 and len(_groups(_reachability(results))) > 1:
        raise ValueError(
            "no finite maximum-likelihood ratings: some players (or groups) won or lost every game against "
            "the rest, or never met them; use prior > 0 (virtual draws) to regularise"
        )
    theta, hess = _newton(
        results.n,
        results.pair_i,
        results.pair_j,
        results.games[None, :].astype(float),
        results.points_i[None, :],
        prior,
    )
    return theta[0], hess[0]


def fit_bradley_terry(
    games: Sequence[Game],
    players: Sequence[str] | None = None,
    *,
    anchor: str | None = DEFAULT_ANCHOR,
    anchor_rating: float = 1000.0,
    prior: float = DEFAULT_PRIOR,
) -> dict[str, float]:
    """Bradley-Terry ratings on the Elo scale, one per player who played, anchored (see module docstring).

    ``players`` fixes the player list (and rejects games naming anyone else); players in it who played
    no game are left out of the result. ``prior`` is the number of virtual draws each player is credited
    with against a virtual average player; 0 gives the plain maximum-likelihood fit and raises
    ``ValueError`` when that has no finite solution (someone won or lost everything).
    """
    prior = _check_prior(prior)
    anchor_rating = float(anchor_rating)
    if not math.isfinite(anchor_rating):
        raise ValueError(f"anchor_rating must be finite, got {anchor_rating!r}")
    results = _collect(games, players)
    if results.n == 0:
        return {}
    theta, _ = _point_fit(results, prior)
    ratings, _ = _anchored(theta[None, :] * ELO_SCALE, results.names, anchor, anchor_rating)
    return {name: float(r) for name, r in zip(results.names, ratings[0])}


# ---------------------------------------------------------------------------------------------- table


def _warnings(results: _Results, prior: float, anchor: str | None, forfeits: Mapping[str, int]) -> list[str]:
    out = []
    idle = [p for p in results.listed if p not in set(results.names)]
    for name in idle:
        out.append(f"{name} played no games and is left out of the ratings")
    if anchor is not None and anchor not in results.names and results.n:
        out.append(
            f"anchor {anchor} played no games: ratings are centred so that their mean is the anchor rating"
        )
    unknown = sorted(set(forfeits) - set(results.listed))
    if unknown:
        out.append(f"forfeits name players not in the tournament: {unknown}")
    if results.repeated:
        same = [
            (results.names[i], results.names[j], int(g), int(d))
            for i, j, g, d in zip(results.pair_i, results.pair_j, results.games, results.distinct)
            if d < g
        ]
        listing = "; ".join(f"{a} vs {b}: {d} distinct of {g}" for a, b, g, d in same[:6])
        more = f"; and {len(same) - 6} more" if len(same) > 6 else ""
        out.append(
            f"games repeated exactly in {len(same)} of {len(results.pair_i)} pairs ({listing}{more}): the "
            f"intervals count distinct games ({len(results.cluster_pair)} of {int(results.counts.sum())}), "
            "not games played"
        )
    if results.n < 2:
        return out
    n = results.n
    games = np.zeros(n)
    points = np.zeros(n)
    np.add.at(games, results.pair_i, results.games)
    np.add.at(games, results.pair_j, results.games)
    np.add.at(points, results.pair_i, results.points_i)
    np.add.at(points, results.pair_j, results.games - results.points_i)
    explained = set()
    for k, name in enumerate(results.names):
        if points[k] == games[k] or points[k] == 0:
            what = "won" if points[k] == games[k] else "lost"
            out.append(
                f"{name} {what} every game ({int(games[k])}): no finite maximum-likelihood rating exists; "
                f"its rating is kept finite by the prior ({prior:g} virtual draws against an average player) "
                f"and its interval is not meaningful"
            )
            explained.add(k)
    # Players who never met, even through others: the scale between their groups is not identified.
    linked = np.eye(n, dtype=bool)
    linked[results.pair_i, results.pair_j] = True
    linked[results.pair_j, results.pair_i] = True
    for _ in range(max(1, math.ceil(math.log2(n)))):
        linked = linked | ((linked.astype(np.int64) @ linked.astype(np.int64)) > 0)
    islands = _groups(linked)
    if len(islands) > 1:
        listing = " | ".join(", ".join(results.names[k] for k in group) for group in islands)
        out.append(
            f"some players never met, even through common opponents ({listing}): ratings between these "
            f"groups are not comparable (they rest on the prior alone)"
        )
        return out
    groups = [g for g in _groups(_reachability(results)) if not (len(g) == 1 and g[0] in explained)]
    if len(groups) > 1 and any(len(g) > 1 for g in groups):
        listing = " | ".join(", ".join(results.names[k] for k in group) for group in groups)
        out.append(
            f"the results split the players into groups where one never scored against another "
            f"({listing}): the gaps between these groups rest on the prior"
        )
    return out


def rating_table(
    games: Sequence[Game],
    players: Sequence[str] | None = None,
    *,
    anchor: str | None = DEFAULT_ANCHOR,
    anchor_rating: float = 1000.0,
    bootstrap: int = 1000,
    seed: int = 0,
    forfeits: Mapping[str, int] | None = None,
    prior: float = DEFAULT_PRIOR,
) -> RatingTable:
    """Fit, bootstrap and tabulate a round robin's results (see the module docstring for every choice).

    ``bootstrap`` resamples (seeded by ``seed``, so the same inputs give the same intervals) give the
    95 % intervals and the likelihood of superiority; ``bootstrap=0`` uses the normal approximation.
    ``forfeits`` maps a player to the number of matches it forfeited, shown in its row; those games
    must already be among ``games`` as losses. Problems that do not stop a table (an unbeaten player,
    players who never met, a player with no games) become ``warnings`` rather than errors.
    """
    prior = _check_prior(prior)
    anchor_rating = float(anchor_rating)
    if not math.isfinite(anchor_rating):
        raise ValueError(f"anchor_rating must be finite, got {anchor_rating!r}")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise ValueError(f"bootstrap must be an int >= 0 (number of resamples), got {bootstrap!r}")
    bootstrap = int(bootstrap)
    if bootstrap and prior == 0.0:
        raise ValueError(
            "bootstrap needs prior > 0: a resample can leave a player unbeaten, with no finite fit"
        )
    forfeits = dict(forfeits or {})
    for name, count in forfeits.items():
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
            raise ValueError(f"forfeits[{name!r}] must be an int >= 0, got {count!r}")
    results = _collect(games, players)
    warnings = _warnings(results, prior, anchor, forfeits)
    n = results.n
    if n == 0:
        warnings.append("no games were played: the table is empty")
        return RatingTable(
            rows=[],
            head_to_head={"players": [], "score": [], "games": [], "points": [], "distinct": []},
            warnings=warnings,
            anchor={"name": None, "mean": anchor_rating},
            bootstrap=bootstrap,
            prior=prior,
        )

    theta, hess = _point_fit(results, prior)
    ratings, anchor_info = _anchored(theta[None, :] * ELO_SCALE, results.names, anchor, anchor_rating)
    ratings = ratings[0]
    order = sorted(range(n), key=lambda k: (-ratings[k], results.names[k]))

    samples = None
    if bootstrap:
        rng = np.random.default_rng(seed)
        if not results.repeated:
            # Resampling G games with replacement is one multinomial draw over the (pair, outcome) cells.
            n_games = int(results.counts.sum())
            cells = rng.multinomial(n_games, results.counts.ravel() / n_games, size=bootstrap)
            cells = cells.reshape(bootstrap, -1, 3)
        else:
            # Games repeated: resample the C distinct games (clusters) with replacement, each with all
            # its copies; a pair's resampled record is the sum of its drawn clusters.
            n_clusters = len(results.cluster_pair)
            drawn = rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=bootstrap)
            one_hot = np.zeros((n_clusters, len(results.pair_i)))
            one_hot[np.arange(n_clusters), results.cluster_pair] = 1.0
            cells = np.einsum("bc,cp,ck->bpk", drawn, one_hot, results.cluster_counts)
            cells = cells.round().astype(np.int64)
        boot_theta, _ = _newton(
            n,
            results.pair_i,
            results.pair_j,
            cells.sum(axis=2).astype(float),
            cells[:, :, 0] + 0.5 * cells[:, :, 1],
            prior,
            theta0=np.broadcast_to(theta, (bootstrap, n)),
        )
        samples, _ = _anchored(boot_theta * ELO_SCALE, results.names, anchor, anchor_rating)
        ci_low, ci_high = np.percentile(samples, [2.5, 97.5], axis=0)

        def los(i: int, j: int) -> float:
            diff = samples[:, i] - samples[:, j]
            return float(np.mean(diff > 0) + 0.5 * np.mean(diff == 0))

    else:
        if results.repeated:  # each pair weighs as many games as it had distinct ones
            scale = results.distinct / results.games
            hess = _hessian(
                theta[None, :],
                results.pair_i,
                results.pair_j,
                (results.games * scale)[None, :],
                (results.points_i * scale)[None, :],
                prior,
            )[0]
        cov = np.linalg.inv(hess)
        if prior == 0.0:
            cov[0, :] = 0.0  # player 0 was pinned; differences are still right
            cov[:, 0] = 0.0
        if anchor_info["name"] is not None:
            shift = np.eye(n) - np.outer(np.ones(n), np.eye(n)[results.names.index(anchor_info["name"])])
        else:
            shift = np.eye(n) - np.full((n, n), 1.0 / n)
        sd = np.sqrt(np.clip(np.diag(shift @ cov @ shift.T), 0.0, None)) * ELO_SCALE
        ci_low, ci_high = ratings - 1.959963984540054 * sd, ratings + 1.959963984540054 * sd

        def los(i: int, j: int) -> float:
            var = (cov[i, i] + cov[j, j] - 2 * cov[i, j]) * ELO_SCALE**2
            diff = ratings[i] - ratings[j]
            if var <= 0:
                return 0.5 if diff == 0 else float(diff > 0)
            return 0.5 * (1.0 + math.erf(diff / math.sqrt(2.0 * var)))

    # Per-player totals and the head-to-head matrix, in table order.
    position = {k: r for r, k in enumerate(order)}
    h2h_games = [[0] * n for _ in range(n)]
    h2h_distinct = [[0] * n for _ in range(n)]
    h2h_points = [[0.0] * n for _ in range(n)]
    wins, draw_count, losses = [0] * n, [0] * n, [0] * n
    pairs = zip(results.pair_i, results.pair_j, results.counts, results.distinct)
    for i, j, (wi, d, wj), distinct in pairs:
        i, j, wi, d, wj = int(i), int(j), int(wi), int(d), int(wj)
        a, b = position[i], position[j]
        h2h_games[a][b] = h2h_games[b][a] = wi + d + wj
        h2h_distinct[a][b] = h2h_distinct[b][a] = int(distinct)
        h2h_points[a][b] = wi + 0.5 * d
        h2h_points[b][a] = wj + 0.5 * d
        wins[i] += wi
        wins[j] += wj
        draw_count[i] += d
        draw_count[j] += d
        losses[i] += wj
        losses[j] += wi
    h2h_score = [
        [None if a == b or h2h_games[a][b] == 0 else h2h_points[a][b] / h2h_games[a][b] for b in range(n)]
        for a in range(n)
    ]

    rows = []
    for rank, k in enumerate(order, start=1):
        played = wins[k] + draw_count[k] + losses[k]
        rows.append(
            {
                "rank": rank,
                "name": results.names[k],
                "rating": float(ratings[k]),
                "ci_low": float(ci_low[k]),
                "ci_high": float(ci_high[k]),
                "games": played,
                "wins": wins[k],
                "draws": draw_count[k],
                "losses": losses[k],
                "score": (wins[k] + 0.5 * draw_count[k]) / played,
                "los_next": los(k, order[rank]) if rank < n else None,
                "forfeits": int(forfeits.get(results.names[k], 0)),
            }
        )
    return RatingTable(
        rows=rows,
        head_to_head={
            "players": [results.names[k] for k in order],
            "score": h2h_score,
            "games": h2h_games,
            "points": h2h_points,
            "distinct": h2h_distinct,
        },
        warnings=warnings,
        anchor=anchor_info,
        bootstrap=bootstrap,
        prior=prior,
        samples=None if samples is None else samples[:, order],
    )
