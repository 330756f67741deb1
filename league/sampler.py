"""Choosing the learner's next opponent: a seeded mix of self-play and scripted bots.

Each draw first picks a category from the mix (default: self-play 0.80, BasedBot 0.15, ConstantBot 0.05,
as in the training guide; any bot spec can be added by name, e.g. ``{"my_bots.py:Sneaky": 0.1}``, and so
can any other agent spec of ``league.agents``: a checkpoint file or a named agent such as ``Champion``,
played frozen). A bot or agent category yields that opponent. Self-play picks one active snapshot from
the pool by the strategy:

- ``uniform``: every snapshot in the pool equally (fictitious self-play);
- ``recent``: uniformly among the newest ``recent_k`` snapshots;
- ``pfsp``: AlphaStar's prioritised fictitious self-play, "hard" weighting: snapshot *i* gets weight
  ``(1 - p_i) ** 2``, where ``p_i`` is the learner's estimated probability of beating it, so the
  learner mostly meets the opponents it still loses to, and rarely the ones it has mastered.

``p_i`` starts from the Elo expectation of the learner's rating against the snapshot's and moves toward the
learner's actual head-to-head score as games accumulate: ``(score + m * p_elo) / (games + m)`` with
``m = PFSP_PRIOR_GAMES``. Without a named learner, the newest snapshot stands in for it.

Before the first snapshot exists, self-play yields a **mirror** opponent: the learner's own current
weights, so the mix keeps its shape from the first episode instead of handing the share to a bot.

Draws come from one ``random.Random(seed)``, two numbers per self-play draw and one per bot draw, so a
seed and the same league contents give the same sequence.

**The league as the curriculum** (``curriculum = "pfsp"``): instead of fixed category shares, every bot
of the mix and every active snapshot of the run is one candidate of a single pool, drawn with weight
``prior * max((1 - p) ** pfsp_power, pfsp_floor)``, where ``p`` is the learner's score against that
candidate over its newest ``pfsp_window`` games (shrunk towards the Elo expectation as above) and the
prior is the category's mix weight (``self_play``'s weight is shared by its snapshots). The learner
meets the opponents it still loses to; a beaten bot fades to the floor weight (so it is not forgotten),
and as the bots are mastered the recent snapshots, which it beats about half the time, take over.
One number per draw.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass

from .config import SELF_PLAY, normalise_mix
from .ratings import expected_score
from .store import League, Player

STRATEGIES = ("uniform", "recent", "pfsp")
CURRICULA = ("mix", "pfsp")
PFSP_PRIOR_GAMES = 10.0
"""How many games' worth of weight the Elo estimate carries against the head-to-head record in pfsp."""


@dataclass(frozen=True)
class Opponent:
    """One draw. ``kind`` is ``snapshot`` (load it with ``league.load_snapshot(player)``), ``bot`` (build it
    with ``brawl_env.bots.load_bot(spec)``), ``agent`` (a frozen network named in the mix: build it with
    ``league.agents.make_agent(parse_agent(spec))``) or ``mirror`` (the learner's own current weights; no
    player)."""

    kind: str
    category: str
    player: Player | None = None
    spec: str | None = None

    @property
    def name(self) -> str:
        return self.player.name if self.player is not None else "mirror"


@dataclass(frozen=True)
class Candidate:
    """One entry of the pfsp curriculum: the opponent, the learner's recent record against it (games,
    score), its estimated chance of beating it, and the probability of drawing it next."""

    opponent: Opponent
    games: int
    score: float
    win_prob: float
    weight: float


def _mix_player(league: League, category: str) -> tuple[Player, str]:
    """A mix entry's league player and opponent kind. A bot spec is a ``bot`` (``League.add_bot``); any
    other spec the one agent parser takes (a checkpoint file, a trainer's named agent such as
    ``Champion``) is a frozen ``agent``: an external player named as the parser names it, its spec the
    parsed file. A spec that is neither raises the bot registry's error."""
    from .agents import AgentError, parse_agent

    if getattr(league, "read_only", False):  # only looking (league status): nothing is added
        known = {p.name: p for p in league.players()}
        if category in known:
            found = known[category]
            return found, "bot" if found.kind == "bot" else "agent"
        from brawl_env.bots import bot_class

        try:
            bot_class(category)
            kind = "bot"
        except ValueError:
            kind = "agent"
        # a player not in the league yet: no games, no id (never written)
        return Player(
            id=-1,
            kind="bot" if kind == "bot" else "external",
            name=category,
            spec=category,
            file_hash=None,
            step=None,
            parent_run=None,
            created_at="",
        ), kind
    try:
        return league.add_bot(category), "bot"
    except ValueError as bot_err:  # not a bot spec (BotSpecError), or a player that is not a bot
        try:
            agent = parse_agent(category, check=False)
        except AgentError:
            raise bot_err from None
    return league.add_player(agent.name, kind="external", spec=agent.spec), "agent"


class OpponentSampler:
    """Draws opponents from a league by a mix and a self-play strategy.

    :param league: the league whose snapshots and bots are drawn; bots in the mix are added to it.
    :param mix: ``{category: weight}``, categories ``self_play`` or bot specs; default ``league.config.mix``.
        Weights are normalised (with a logged notice) if they do not sum to 1.
    :param strategy: ``uniform``, ``recent`` or ``pfsp``; default ``league.config.strategy``.
    :param seed: seed of the sampler's own random stream.
    :param recent_k: pool size for ``recent``; default ``league.config.recent_k``.
    :param learner: the player whose win probabilities pfsp uses (e.g. the live learner); default the
        newest snapshot.
    :param run: draw self-play snapshots of this run only; default every active snapshot.
    :param curriculum: ``mix`` or ``pfsp`` (module docstring); default ``league.config.curriculum``.
        ``pfsp_power``, ``pfsp_floor`` and ``pfsp_window`` default to the league config's too.
    """

    def __init__(
        self,
        league: League,
        mix: dict[str, float] | None = None,
        strategy: str | None = None,
        seed: int = 0,
        *,
        recent_k: int | None = None,
        learner: Player | str | None = None,
        run: str | None = None,
        curriculum: str | None = None,
        pfsp_power: float | None = None,
        pfsp_floor: float | None = None,
        pfsp_window: int | None = None,
    ) -> None:
        from brawl_env.bots import BotSpecError

        self.league = league
        self.mix = normalise_mix(dict(league.config.mix if mix is None else mix))
        self.strategy = league.config.strategy if strategy is None else strategy
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown self-play strategy {self.strategy!r}; allowed: {list(STRATEGIES)}")
        self.recent_k = league.config.recent_k if recent_k is None else recent_k
        if isinstance(self.recent_k, bool) or not isinstance(self.recent_k, int) or self.recent_k < 1:
            raise ValueError(f"recent_k is an int >= 1; got {self.recent_k!r}")
        cfg = league.config
        self.curriculum = cfg.curriculum if curriculum is None else curriculum
        if self.curriculum not in CURRICULA:
            raise ValueError(f"unknown curriculum {self.curriculum!r}; allowed: {list(CURRICULA)}")
        self.pfsp_power = float(cfg.pfsp_power if pfsp_power is None else pfsp_power)
        self.pfsp_floor = float(cfg.pfsp_floor if pfsp_floor is None else pfsp_floor)
        self.pfsp_window = int(cfg.pfsp_window if pfsp_window is None else pfsp_window)
        if not (self.pfsp_power > 0 and 0 <= self.pfsp_floor <= 1 and self.pfsp_window >= 1):
            raise ValueError(
                "pfsp_power must be > 0, pfsp_floor in [0, 1] and pfsp_window >= 1; got "
                f"{self.pfsp_power}, {self.pfsp_floor}, {self.pfsp_window}"
            )
        self.learner = league.player(learner) if learner is not None else None
        self.run = run
        self.seed = seed
        self._rng = random.Random(seed)
        self._bots: dict[str, Player] = {}  # every category but self_play: its league player
        self._kinds: dict[str, str] = {}  # ... and its opponent kind, "bot" or "agent"
        for category in self.mix:
            if category == SELF_PLAY:
                continue
            try:
                self._bots[category], self._kinds[category] = _mix_player(league, category)
            except BotSpecError as err:
                raise BotSpecError(f"opponent mix entry {category!r}: {err}") from None
        self._categories = [c for c, w in self.mix.items() if w > 0]
        cumulative, total = [], 0.0
        for category in self._categories:
            total += self.mix[category]
            cumulative.append(total)
        cumulative[-1] = float("inf")  # rounding can never push a draw past the last category
        self._cumulative = cumulative
        self._cache: tuple[tuple, list[tuple[Player, float]]] | None = None
        self._pfsp_cache: tuple[tuple, list[Candidate], list[float]] | None = None

    def self_play_weights(self) -> list[tuple[Player, float]]:
        """The self-play pool with each snapshot's probability of being drawn (summing to 1), oldest first;
        empty before the first snapshot."""
        token = self.league.state_token()
        if self._cache is not None and self._cache[0] == token:
            return self._cache[1]
        pool = self.league.pool(run=self.run)
        if not pool:
            weights: list[float] = []
        elif self.strategy == "uniform":
            weights = [1.0] * len(pool)
        elif self.strategy == "recent":
            cut = max(0, len(pool) - self.recent_k)
            weights = [0.0] * cut + [1.0] * (len(pool) - cut)
        else:
            weights = [(1.0 - p) ** 2 for _, _, p in self._win_probabilities(pool)]
            if not sum(weights) > 0:
                weights = [1.0] * len(pool)
        total = sum(weights)
        result = [(r.player, w / total) for r, w in zip(pool, weights, strict=True)]
        self._cache = (token, result)
        return result

    def _win_probabilities(self, pool, last: int | None = None) -> list[tuple[int, float, float]]:
        """``(games, score, p)`` of the learner against each rating in ``pool`` (see the module docstring)."""
        if self.learner is None:
            learner_rating, h2h = (pool[-1].rating if pool else self.league.config.anchor_rating), {}
        else:
            learner_rating = self.league.rating(self.learner).rating
            h2h = self.league.head_to_head(self.learner, last=last)
        out = []
        for r in pool:
            p = expected_score(learner_rating, r.rating)
            games, score = h2h.get(r.player.id, (0, 0.0))
            out.append((games, score, (score + PFSP_PRIOR_GAMES * p) / (games + PFSP_PRIOR_GAMES)))
        return out

    def _rating(self, player: Player):
        """The player's rating; one not in the league yet (a read-only look) is new: the anchor rating."""
        if player.id == -1:
            from types import SimpleNamespace

            return SimpleNamespace(player=player, rating=self.league.config.anchor_rating)
        return self.league.rating(player)

    def curriculum_weights(self) -> list[Candidate]:
        """The pfsp curriculum's pool (bots of the mix, then the run's snapshots oldest first, or the
        mirror before the first snapshot) with each candidate's record and draw probability."""
        token = self.league.state_token()
        if self._pfsp_cache is not None and self._pfsp_cache[0] == token:
            return self._pfsp_cache[1]
        entries: list[tuple[Opponent, float, object]] = []  # (opponent, prior, rating or None)
        for category in self._categories:
            prior = self.mix[category]
            if category != SELF_PLAY:
                player = self._bots[category]
                opponent = Opponent(self._kinds[category], category, player=player, spec=category)
                entries.append((opponent, prior, self._rating(player)))
                continue
            pool = self.league.pool(run=self.run)
            if not pool:
                entries.append((Opponent("mirror", SELF_PLAY), prior, None))
            for r in pool:
                entries.append((Opponent("snapshot", SELF_PLAY, player=r.player), prior / len(pool), r))
        rated = [r for _, _, r in entries if r is not None]
        records = iter(self._win_probabilities(rated, last=self.pfsp_window))
        candidates, weights = [], []
        for opponent, prior, rating in entries:
            games, score, p = next(records) if rating is not None else (0, 0.0, 0.5)
            w = prior * max((1.0 - p) ** self.pfsp_power, self.pfsp_floor)
            candidates.append((opponent, games, score, p, w))
            weights.append(w)
        total = sum(weights)
        if not total > 0:  # every prior zero cannot happen (the mix is positive); floor 0 and all beaten can
            weights = [1.0] * len(weights)
            total = float(len(weights))
        result = [
            Candidate(o, g, s, p, w / total) for (o, g, s, p, _), w in zip(candidates, weights, strict=True)
        ]
        cumulative, acc = [], 0.0
        for c in result:
            acc += c.weight
            cumulative.append(acc)
        cumulative[-1] = float("inf")
        self._pfsp_cache = (token, result, cumulative)
        return result

    def sample(self) -> Opponent:
        """The next opponent."""
        if self.curriculum == "pfsp":
            candidates = self.curriculum_weights()
            cumulative = self._pfsp_cache[2]
            return candidates[bisect.bisect_right(cumulative, self._rng.random())].opponent
        category = self._categories[bisect.bisect_right(self._cumulative, self._rng.random())]
        if category != SELF_PLAY:
            return Opponent(self._kinds[category], category, player=self._bots[category], spec=category)
        weighted = self.self_play_weights()
        if not weighted:
            return Opponent("mirror", SELF_PLAY)
        u, acc = self._rng.random(), 0.0
        for player, w in weighted:
            acc += w
            if u < acc:
                return Opponent("snapshot", SELF_PLAY, player=player)
        return Opponent("snapshot", SELF_PLAY, player=next(p for p, w in reversed(weighted) if w > 0))
