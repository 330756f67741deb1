"""Bradley-Terry ratings: recovery of known strengths, the likelihood equations, a slow twin, anchoring,
unbeaten players, bootstrap intervals and LOS, and input errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tournament.ratings import Game, fit_bradley_terry, rating_table

ROW_KEYS = {
    "rank",
    "name",
    "rating",
    "ci_low",
    "ci_high",
    "games",
    "wins",
    "draws",
    "losses",
    "score",
    "los_next",
    "forfeits",
}


def expected(r_a: float, r_b: float) -> float:
    return 1.0 / (1.0 + 10.0 ** ((r_b - r_a) / 400.0))


def round_robin(
    true: dict[str, float], per_pair: int, rng: np.random.Generator, draw: float = 0.0
) -> list[Game]:
    """Games drawn from the Elo model: a draw with probability ``draw`` (capped so the expected score
    stays the model's), else a win with the probability that keeps the expected score on the Elo curve."""
    names = list(true)
    games = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            p = expected(true[a], true[b])
            d = min(draw, 2 * p, 2 * (1 - p))
            for k in range(per_pair):
                u = rng.random()
                score = 0.5 if u < d else 1.0 if u < d + p - d / 2 else 0.0
                # sides swapped half the time, as the runner does
                games.append(Game(a, b, score) if k % 2 == 0 else Game(b, a, 1.0 - score))
    return games


def spearman(x: list[float], y: list[float]) -> float:
    rx = np.argsort(np.argsort(x))
    ry = np.argsort(np.argsort(y))
    return float(np.corrcoef(rx, ry)[0, 1])


EIGHT = {"BasedBot": 1000.0, **{f"agent{k}": 1000.0 + 100.0 * k for k in range(1, 8)}}


# ------------------------------------------------------------------------------------------ recovery


def test_recovers_known_order_spacing_and_intervals():
    """Over several seeded tournaments: the order and the spacing come back, and the 95 % intervals cover
    the true ratings about 95 % of the time. Coverage is pooled over seeds because one tournament's
    intervals all lean the same way (they are relative to the anchor); pooled coverage below 80 % would
    mean intervals clearly too narrow (half-width intervals would cover about 68 %)."""
    names = list(EIGHT)
    truth = [EIGHT[n] for n in names]
    covered = 0
    intervals = 0
    for seed in range(11, 17):
        games = round_robin(EIGHT, 40, np.random.default_rng(seed), draw=0.1)
        table = rating_table(games, bootstrap=500, seed=seed)
        rows = {row["name"]: row for row in table.rows}
        assert set(rows) == set(EIGHT)
        est = [rows[n]["rating"] for n in names]
        assert spearman(est, truth) >= 0.95, (seed, est)
        # spacing: the slope of estimate on truth is near 1 (catches a wrong scale, such as ln for log10)
        slope = np.polyfit(truth, est, 1)[0]
        assert 0.85 < slope < 1.15, (seed, slope)
        for row in table.rows:
            assert row["ci_low"] <= row["rating"] <= row["ci_high"]
            assert row["los_next"] is None or 0.0 <= row["los_next"] <= 1.0
        assert table.warnings == []
        hits = sum(rows[n]["ci_low"] <= EIGHT[n] <= rows[n]["ci_high"] for n in names if n != "BasedBot")
        assert hits >= 4, (seed, hits)
        covered += hits
        intervals += len(names) - 1
    assert covered / intervals >= 0.8, (covered, intervals)


def test_normal_approximation_agrees_with_bootstrap():
    games = round_robin(EIGHT, 40, np.random.default_rng(5))
    boot = {r["name"]: r for r in rating_table(games, bootstrap=1000, seed=1).rows}
    normal = {r["name"]: r for r in rating_table(games, bootstrap=0).rows}
    for name in EIGHT:
        assert boot[name]["rating"] == pytest.approx(normal[name]["rating"], abs=1e-6)
        if name == "BasedBot":
            continue
        width_boot = boot[name]["ci_high"] - boot[name]["ci_low"]
        width_normal = normal[name]["ci_high"] - normal[name]["ci_low"]
        assert 0.7 < width_boot / width_normal < 1.4, (name, width_boot, width_normal)
    for name in EIGHT:
        if boot[name]["los_next"] is not None:
            assert boot[name]["los_next"] == pytest.approx(normal[name]["los_next"], abs=0.08)


# --------------------------------------------------------------------------------------- correctness

HAND = [
    *(Game("A", "B", s) for s in (1, 1, 1, 0.5, 0)),
    *(Game("B", "C", s) for s in (1, 0, 0.5, 1)),
    *(Game("C", "A", s) for s in (1, 0, 0, 0.5, 0, 0)),
    *(Game("D", "A", s) for s in (0.5, 0, 0)),
    *(Game("C", "D", s) for s in (1, 0.5, 0, 1)),
]


def test_fit_satisfies_the_likelihood_equations():
    ratings = fit_bradley_terry(HAND, prior=0.0, anchor=None)
    for player in ratings:
        actual = sum(g.score_a for g in HAND if g.a == player)
        actual += sum(1 - g.score_a for g in HAND if g.b == player)
        exp = sum(expected(ratings[g.a], ratings[g.b]) for g in HAND if g.a == player) + sum(
            expected(ratings[g.b], ratings[g.a]) for g in HAND if g.b == player
        )
        assert exp == pytest.approx(actual, abs=1e-6)


def mm_reference(games: list[Game], iterations: int = 20000) -> dict[str, float]:
    """The slow, obvious twin: Hunter's MM iterations for Bradley-Terry, half points for draws, prior 0."""
    names = sorted({n for g in games for n in (g.a, g.b)})
    gamma = {n: 1.0 for n in names}
    points = {n: 0.0 for n in names}
    for g in games:
        points[g.a] += g.score_a
        points[g.b] += 1 - g.score_a
    for _ in range(iterations):
        new = {}
        for n in names:
            denom = 0.0
            for g in games:
                if n in (g.a, g.b):
                    other = g.b if g.a == n else g.a
                    denom += 1.0 / (gamma[n] + gamma[other])
            new[n] = points[n] / denom
        scale = math.exp(sum(math.log(v) for v in new.values()) / len(new))
        gamma = {n: v / scale for n, v in new.items()}
    return {n: 400.0 * math.log10(v) for n, v in gamma.items()}


def test_fit_matches_the_mm_reference():
    fitted = fit_bradley_terry(HAND, prior=0.0, anchor="A", anchor_rating=0.0)
    reference = mm_reference(HAND, iterations=3000)
    for name in fitted:
        assert fitted[name] == pytest.approx(reference[name] - reference["A"], abs=1e-3)


@pytest.mark.parametrize("wins,draws,losses", [(7, 0, 3), (2, 2, 6), (10, 5, 1), (4, 2, 4)])
def test_two_players_closed_form(wins, draws, losses):
    games = [Game("A", "B", 1.0)] * wins + [Game("B", "A", 0.5)] * draws + [Game("B", "A", 1.0)] * losses
    p = (wins + 0.5 * draws) / (wins + draws + losses)
    ratings = fit_bradley_terry(games, prior=0.0)
    assert ratings["A"] - ratings["B"] == pytest.approx(400.0 * math.log10(p / (1 - p)), abs=1e-6)


def test_prior_shrinks_but_barely_with_many_games():
    games = round_robin(EIGHT, 40, np.random.default_rng(3))
    plain = fit_bradley_terry(games, prior=0.0)
    regular = fit_bradley_terry(games)
    spread_plain = max(plain.values()) - min(plain.values())
    spread_regular = max(regular.values()) - min(regular.values())
    assert spread_regular < spread_plain < spread_regular + 5.0


# ------------------------------------------------------------------------------------- edge results


def test_unbeaten_and_winless_players_get_finite_ratings_and_warnings():
    games = round_robin({"x": 1000.0, "y": 1050.0, "z": 1100.0}, 6, np.random.default_rng(0), draw=0.2)
    games += [Game("Champ", other, 1.0) for other in ("x", "y", "z", "x", "y", "z")]
    games += [Game(other, "Dud", 1.0) for other in ("x", "y", "z", "Champ")]
    table = rating_table(games, bootstrap=200)
    names = [row["name"] for row in table.rows]
    assert names[0] == "Champ" and names[-1] == "Dud"
    for row in table.rows:
        assert all(math.isfinite(row[k]) for k in ("rating", "ci_low", "ci_high"))
    assert any("Champ" in w and "won every game" in w for w in table.warnings)
    assert any("Dud" in w and "lost every game" in w for w in table.warnings)
    with pytest.raises(ValueError, match="prior"):
        fit_bradley_terry(games, prior=0.0)


def test_players_who_never_met_and_idle_players_are_warned_about():
    games = [Game("A", "B", 1.0), Game("B", "A", 0.5), Game("C", "D", 0.0), Game("D", "C", 0.5)]
    table = rating_table(games, players=["A", "B", "C", "D", "Idle"], bootstrap=50)
    assert [r["name"] for r in table.rows if r["name"] == "Idle"] == []
    assert any("Idle" in w and "no games" in w for w in table.warnings)
    assert any("never met" in w for w in table.warnings)
    h2h = table.head_to_head
    a, c = h2h["players"].index("A"), h2h["players"].index("C")
    assert h2h["score"][a][c] is None and h2h["games"][a][c] == 0


def test_one_game_and_no_games():
    table = rating_table([Game("A", "B", 0.0)], bootstrap=20)
    assert [r["name"] for r in table.rows] == ["B", "A"]
    assert table.rows[0]["los_next"] is not None and table.rows[1]["los_next"] is None
    empty = rating_table([], players=["A"], bootstrap=20)
    assert empty.rows == [] and empty.warnings
    assert fit_bradley_terry([]) == {}


# -------------------------------------------------------------------------------------------- anchor


def test_anchor_player_is_exact_and_mean_otherwise():
    games = round_robin(EIGHT, 10, np.random.default_rng(2), draw=0.1)
    table = rating_table(games, bootstrap=100)
    based = next(r for r in table.rows if r["name"] == "BasedBot")
    assert based["rating"] == 1000.0 and based["ci_low"] == 1000.0 and based["ci_high"] == 1000.0
    assert table.anchor == {"name": "BasedBot", "rating": 1000.0}
    assert fit_bradley_terry(games)["BasedBot"] == 1000.0
    assert fit_bradley_terry(games, anchor="agent3", anchor_rating=1500.0)["agent3"] == 1500.0

    without = [g for g in games if "BasedBot" not in (g.a, g.b)]
    table = rating_table(without, bootstrap=100)
    assert table.anchor == {"name": None, "mean": 1000.0}
    assert np.mean([r["rating"] for r in table.rows]) == pytest.approx(1000.0, abs=1e-9)
    assert np.mean(table.samples, axis=1) == pytest.approx(np.full(100, 1000.0), abs=1e-9)
    assert any("BasedBot" in w for w in table.warnings)
    # Differences do not depend on the anchoring.
    a = fit_bradley_terry(games, anchor=None)
    b = fit_bradley_terry(games, anchor="agent5", anchor_rating=0.0)
    assert a["agent7"] - a["agent1"] == pytest.approx(b["agent7"] - b["agent1"], abs=1e-9)


# ----------------------------------------------------------------------------------- LOS, bootstrap


def test_los_near_half_for_equals_and_near_one_for_a_big_gap():
    rng = np.random.default_rng(4)
    equal = [Game("P", "Q", float(s)) for s in rng.permutation([1.0] * 500 + [0.0] * 500)]
    table = rating_table(equal, bootstrap=1000, seed=0)
    assert 0.3 < table.rows[0]["los_next"] < 0.7
    gap = [Game("P", "Q", 1.0)] * 180 + [Game("P", "Q", 0.0)] * 20
    table = rating_table(gap, bootstrap=1000, seed=0)
    assert table.rows[0]["name"] == "P" and table.rows[0]["los_next"] > 0.999
    normal = rating_table(gap, bootstrap=0)
    assert normal.rows[0]["los_next"] > 0.999


def test_bootstrap_is_seeded():
    games = round_robin(EIGHT, 6, np.random.default_rng(9))
    first = rating_table(games, bootstrap=200, seed=7)
    again = rating_table(games, bootstrap=200, seed=7)
    other = rating_table(games, bootstrap=200, seed=8)
    assert first.rows == again.rows
    assert [r["ci_low"] for r in first.rows] != [r["ci_low"] for r in other.rows]


# ---------------------------------------------------------------------------------------- structure


def test_rows_head_to_head_and_dict_shape():
    games = round_robin(EIGHT, 4, np.random.default_rng(1), draw=0.3)
    games.append(Game("agent2", "agent7", 0.0))  # pretend agent2 forfeited one more
    table = rating_table(games, bootstrap=50, forfeits={"agent2": 1})
    rows = table.rows
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["rating"] for r in rows] == sorted((r["rating"] for r in rows), reverse=True)
    for row in rows:
        assert set(row) == ROW_KEYS
        assert row["wins"] + row["draws"] + row["losses"] == row["games"]
        assert row["score"] == pytest.approx((row["wins"] + 0.5 * row["draws"]) / row["games"])
        assert row["forfeits"] == (1 if row["name"] == "agent2" else 0)
    h2h = table.head_to_head
    order = h2h["players"]
    assert order == [r["name"] for r in rows]
    n = len(order)
    for a in range(n):
        assert h2h["score"][a][a] is None and h2h["games"][a][a] == 0
        assert sum(h2h["points"][a]) == pytest.approx(rows[a]["score"] * rows[a]["games"])
        for b in range(n):
            assert h2h["games"][a][b] == h2h["games"][b][a]
            assert h2h["points"][a][b] + h2h["points"][b][a] == pytest.approx(h2h["games"][a][b])
    d = table.to_dict()
    assert set(d) == {"format", "ratings", "anchor", "head_to_head", "warnings", "bootstrap"}
    assert d["format"] == 1 and d["bootstrap"] == 50 and d["ratings"] == rows


# ----------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "args",
    [("A", "A", 1.0), ("A", "B", 0.7), ("A", "B", "win"), ("", "B", 1.0), ("A", 3, 0), ("A", "B", math.nan)],
)
def test_bad_games_are_refused(args):
    with pytest.raises(ValueError):
        Game(*args)


def test_bad_arguments_are_refused():
    games = [Game("A", "B", 1.0), Game("A", "B", 0.0)]
    with pytest.raises(ValueError, match="not in `players`"):
        rating_table(games, players=["A"])
    with pytest.raises(ValueError, match="more than once"):
        rating_table(games, players=["A", "B", "A"])
    with pytest.raises(ValueError, match="bootstrap"):
        rating_table(games, bootstrap=-1)
    with pytest.raises(ValueError, match="prior"):
        fit_bradley_terry(games, prior=-0.5)
    with pytest.raises(ValueError, match="prior > 0"):
        rating_table(games, prior=0.0, bootstrap=10)
    with pytest.raises(ValueError, match="forfeits"):
        rating_table(games, forfeits={"A": -1})
    with pytest.raises(TypeError, match="Game"):
        rating_table([("A", "B", 1.0)])


def test_fit_converges_for_nearly_unbeaten_players(caplog):
    """A tiny prior puts the optimum far out in the logistic tail, where a sloppy sigmoid or line search
    stalls; the fit must still converge (no warning) and the rating must grow as the prior shrinks."""
    games = [Game("A", "B", 1.0)] * 100 + [Game("B", "C", 0.5)] * 3
    gaps = []
    with caplog.at_level("WARNING", logger="tournament.ratings"):
        for prior in (1.0, 1e-2, 1e-6, 1e-9):
            ratings = fit_bradley_terry(games, prior=prior, anchor="C")
            rating_table(games, prior=prior, anchor="C", bootstrap=50)
            gaps.append(ratings["A"] - ratings["B"])
    assert not [r for r in caplog.records if "without converging" in r.getMessage()]
    assert all(math.isfinite(g) for g in gaps) and gaps == sorted(gaps)


def _two_games_ten_times(keyed: bool) -> list[Game]:
    """A and B: 20 games that were 2 distinct ones (A wins one, B the other), each played 10 times."""
    games = []
    for k in range(10):
        games.append(Game("A", "B", 1.0, key=("a-wins",) if keyed else None))
        games.append(Game("A", "B", 0.0, key=("b-wins",) if keyed else None))
    games += [Game("A", "C", s) for s in (1.0, 0.0, 0.5, 1.0)] + [Game("B", "C", s) for s in (0.0, 1.0, 0.5)]
    return games


@pytest.mark.parametrize("bootstrap", [500, 0])
def test_repeated_games_widen_the_intervals_and_are_reported(bootstrap):
    plain = rating_table(_two_games_ten_times(False), anchor=None, bootstrap=bootstrap, seed=3)
    honest = rating_table(_two_games_ten_times(True), anchor=None, bootstrap=bootstrap, seed=3)
    width = [{r["name"]: r["ci_high"] - r["ci_low"] for r in t.rows} for t in (plain, honest)]
    assert [r["rating"] for r in plain.rows] == pytest.approx([r["rating"] for r in honest.rows])
    for name in ("A", "B"):  # their 20-game pair is 2 samples: far less known than 20 would say
        assert width[1][name] > 1.5 * width[0][name], (name, width)
    h2h = honest.head_to_head
    a, b = h2h["players"].index("A"), h2h["players"].index("B")
    assert h2h["games"][a][b] == 20 and h2h["distinct"][a][b] == h2h["distinct"][b][a] == 2
    assert any("A vs B: 2 distinct of 20" in w for w in honest.warnings)
    assert not any("repeated" in w for w in plain.warnings)
    assert plain.head_to_head["distinct"] == plain.head_to_head["games"]


def test_keys_that_never_repeat_give_the_plain_bootstrap_exactly():
    games = [Game(g.a, g.b, g.score_a, key=k) for k, g in enumerate(_two_games_ten_times(False))]
    assert (
        rating_table(games, bootstrap=200, seed=1).rows
        == rating_table(_two_games_ten_times(False), bootstrap=200, seed=1).rows
    )
