"""Elo: the update against hand-computed values, the fixed anchor, and convergence on synthetic results."""

from __future__ import annotations

import random

import pytest

from league.ratings import elo_update, expected_score, replay, score_of
from league.store import League


def test_expected_score_hand_values():
    assert expected_score(1000, 1000) == 0.5
    # 400 points apart: 1 / (1 + 10) and 10 / 11
    assert expected_score(1000, 1400) == pytest.approx(1 / 11)
    assert expected_score(1400, 1000) == pytest.approx(10 / 11)
    # 200 points: 1 / (1 + 10 ** 0.5) = 0.240253...
    assert expected_score(1000, 1200) == pytest.approx(0.2402530733520421)


@pytest.mark.parametrize(
    ("ra", "rb", "score", "k", "want_a", "want_b"),
    [
        (1000, 1000, 1.0, 32, 1016.0, 984.0),  # equal players: K * (1 - 0.5)
        (1000, 1000, 0.5, 32, 1000.0, 1000.0),  # a draw between equals moves nothing
        (1000, 1400, 1.0, 32, 1000 + 32 * 10 / 11, 1400 - 32 * 10 / 11),  # upset: 29.0909...
        (1400, 1000, 1.0, 32, 1400 + 32 / 11, 1000 - 32 / 11),  # expected win: 2.909...
        (1200, 1000, 0.0, 20, 1200 - 20 * 0.7597469266479579, 1000 + 20 * 0.7597469266479579),
        (1000, 1200, 0.5, 10, 1000 + 10 * (0.5 - 0.2402530733520421), 1200 - 10 * (0.5 - 0.2402530733520421)),
    ],
)
def test_update_matches_hand_computed_values(ra, rb, score, k, want_a, want_b):
    a, b = elo_update(ra, rb, score, k)
    assert a == pytest.approx(want_a, abs=1e-9)
    assert b == pytest.approx(want_b, abs=1e-9)
    assert a + b == pytest.approx(ra + rb)  # zero-sum without an anchor


def test_fixed_player_does_not_move_and_the_other_moves_as_usual():
    a, b = elo_update(1000, 1000, 0.0, 32, a_fixed=True)
    assert (a, b) == (1000, 1016.0)
    a, b = elo_update(1100, 1000, 1.0, 32, b_fixed=True)
    assert b == 1000 and a == pytest.approx(1100 + 32 * (1 - expected_score(1100, 1000)))


def test_score_of_names_allowed_results():
    assert [score_of(r) for r in ("win", "draw", "loss")] == [1.0, 0.5, 0.0]
    with pytest.raises(ValueError, match="'tie'.*allowed"):
        score_of("tie")


def test_league_applies_the_hand_computed_update(tmp_path):
    with League.open(tmp_path, create=True) as league:
        league.add_player("x")
        league.add_player("y", initial=1400)
        league.record_match("x", "y", "win")
        assert league.rating("x").rating == pytest.approx(1000 + 32 * 10 / 11)
        assert league.rating("y").rating == pytest.approx(1400 - 32 * 10 / 11)
        hist = league.history("y")
        assert hist[0]["rating_before"] == 1400 and hist[0]["result"] == "loss"


def test_anchor_stays_fixed_while_everyone_else_moves(tmp_path):
    rng = random.Random(0)
    with League.open(tmp_path, create=True) as league:
        names = ["p1", "p2", "p3"]
        for n in names:
            league.add_player(n)
        games = []
        for _ in range(300):
            a, b = rng.sample(names + ["BasedBot"], 2)
            games.append(dict(a=a, b=b, result=rng.choice(["win", "draw", "loss"])))
        league.record_matches(games[:100])  # one transaction for many matches ...
        for game in games[100:]:
            league.record_match(**game)  # ... or one each: the same updates
        based = league.rating("BasedBot")
        assert based.rating == 1000.0 and based.games > 50
        assert based.wins + based.draws + based.losses == based.games
        assert {h["rating_after"] for h in league.history("BasedBot")} == {1000.0}
        assert len({league.rating(n).rating for n in names}) == 3


def test_anchor_rating_is_configurable(tmp_path):
    from league.config import LeagueConfig

    with League.open(tmp_path, create=True, config=LeagueConfig(anchor_rating=1500, k=16)) as league:
        league.add_player("p")
        league.record_match("p", "BasedBot", "loss")
        assert league.rating("BasedBot").rating == 1500
        assert league.rating("p").rating == pytest.approx(1500 - 8)


def test_strong_player_converges_above_weak_one(tmp_path):
    """Synthetic results from true strengths: strong beats the anchor 80 %, weak 20 %, and strong beats weak
    90 %. A few hundred games put strong well above 1000 and weak well below, near the true Elo gaps."""
    rng = random.Random(7)
    true = {"strong": 1000 + 240.8, "weak": 1000 - 240.8, "BasedBot": 1000.0}  # 80 % / 20 % against 1000
    with League.open(tmp_path, create=True) as league:
        league.add_player("strong")
        league.add_player("weak")
        games = []
        for _ in range(400):
            a, b = rng.sample(list(true), 2)
            p = expected_score(true[a], true[b])
            games.append(dict(a=a, b=b, result="win" if rng.random() < p else "loss"))
        league.record_matches(games)
        strong, weak = league.rating("strong").rating, league.rating("weak").rating
    assert strong > 1100 > 900 > weak
    assert strong - weak > 300
    assert abs(strong - true["strong"]) < 120 and abs(weak - true["weak"]) < 120


def test_replay_equals_online_ratings(tmp_path):
    rng = random.Random(3)
    with League.open(tmp_path, create=True) as league:
        for n in ("a", "b", "c"):
            league.add_player(n, initial=rng.uniform(800, 1200))
        games = []
        for _ in range(100):
            x, y = rng.sample(["a", "b", "c", "BasedBot"], 2)
            res = rng.choice(["win", "draw", "loss"])
            games.append((x, y, res))
            league.record_match(x, y, res)
        initial = {r.player.name: r.initial for r in league.ratings()}
        want = replay(games, 32, initial, anchor="BasedBot")
        assert {r.player.name: r.rating for r in league.ratings()} == want
