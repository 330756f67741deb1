"""Opponent sampling: the mix's frequencies, self-play strategies, the mirror fallback, seeding, errors."""

from __future__ import annotations

import logging
from collections import Counter

import pytest

from brawl_env.bots import BotSpecError
from league.config import LeagueConfig
from league.sampler import OpponentSampler
from league.store import League

N = 10_000
SNEAKY = '''
from brawl_env.bots import Bot


class Sneaky(Bot):
    """Waits."""
'''


@pytest.fixture
def league(tmp_path):
    lg = League.open(tmp_path / "lg", create=True)
    yield lg
    lg.close()


def snapshots(league, n, run="r"):
    return [league.register_snapshot(bytes([i]), step=i * 1000, run=run) for i in range(n)]


def frequencies(sampler, n=N):
    return Counter(sampler.sample().category for _ in range(n)), n


def test_default_mix_frequencies_within_two_percent(league):
    snapshots(league, 3)
    counts, n = frequencies(OpponentSampler(league, seed=0))
    for category, weight in LeagueConfig().mix.items():
        assert abs(counts[category] / n - weight) < 0.02, (category, counts)


def test_bot_added_by_file_spec_and_mix_normalised_with_notice(league, tmp_path, monkeypatch, caplog):
    (tmp_path / "my_bots.py").write_text(SNEAKY)
    monkeypatch.chdir(tmp_path)
    mix = {"self_play": 0.80, "BasedBot": 0.15, "ConstantBot": 0.05, "my_bots.py:Sneaky": 0.1}
    with caplog.at_level(logging.WARNING, logger="league.config"):
        sampler = OpponentSampler(league, mix=mix, seed=1)
    assert "summed to 1.1, normalised" in caplog.text
    assert sum(sampler.mix.values()) == pytest.approx(1.0)
    assert league.player("my_bots.py:Sneaky").kind == "bot"
    snapshots(league, 2)
    counts, n = frequencies(sampler)
    for category, weight in mix.items():
        assert abs(counts[category] / n - weight / 1.1) < 0.02, (category, counts)
    draw = next(o for o in (sampler.sample() for _ in range(100)) if o.category == "my_bots.py:Sneaky")
    assert draw.kind == "bot" and draw.spec == "my_bots.py:Sneaky" and draw.player.name == "my_bots.py:Sneaky"


def test_mirror_before_the_first_snapshot_then_snapshots(league):
    sampler = OpponentSampler(league, seed=2)
    draws = [sampler.sample() for _ in range(200)]
    self_play = [d for d in draws if d.category == "self_play"]
    assert self_play and all(d.kind == "mirror" and d.player is None for d in self_play)
    assert not any(d.kind == "bot" and d.category == "self_play" for d in draws)
    snap = league.register_snapshot(b"w", step=1000, run="r")
    later = [sampler.sample() for _ in range(200)]
    assert {d.player.name for d in later if d.category == "self_play"} == {snap.name}
    assert all(d.kind == "snapshot" for d in later if d.category == "self_play")


def test_same_seed_same_sequence_other_seed_other_sequence(league):
    snapshots(league, 6)

    def names(seed, strategy):
        sampler = OpponentSampler(league, strategy=strategy, seed=seed)
        return [sampler.sample().name for _ in range(300)]

    for strategy in ("uniform", "recent", "pfsp"):
        assert names(5, strategy) == names(5, strategy)
        assert names(5, strategy) != names(6, strategy)


def test_uniform_draws_every_snapshot_equally(league):
    snaps = snapshots(league, 4)
    sampler = OpponentSampler(league, mix={"self_play": 1}, strategy="uniform", seed=3)
    counts = Counter(sampler.sample().name for _ in range(N))
    for s in snaps:
        assert abs(counts[s.name] / N - 0.25) < 0.02


def test_recent_draws_only_the_last_k(league):
    snaps = snapshots(league, 8)
    sampler = OpponentSampler(league, mix={"self_play": 1}, strategy="recent", recent_k=3, seed=4)
    counts = Counter(sampler.sample().name for _ in range(3000))
    assert set(counts) == {s.name for s in snaps[-3:]}
    assert min(counts.values()) > 900


def test_pfsp_favours_opponents_the_learner_loses_to(league):
    learner = league.add_player("learner")
    hard, even, easy = snapshots(league, 3)
    games = []
    for _ in range(30):
        games += [
            dict(a=learner, b=hard, result="loss"),
            dict(a=learner, b=easy, result="win"),
            dict(a=learner, b=even, result="win"),
            dict(a=learner, b=even, result="loss"),
        ]
    league.record_matches(games)
    sampler = OpponentSampler(league, mix={"self_play": 1}, strategy="pfsp", learner=learner, seed=5)
    weights = {p.name: w for p, w in sampler.self_play_weights()}
    assert weights[hard.name] > weights[even.name] > weights[easy.name]
    counts = Counter(sampler.sample().name for _ in range(N))
    assert counts[hard.name] > counts[even.name] > counts[easy.name]
    assert counts[hard.name] / N > 0.6


def test_pfsp_weight_is_one_minus_p_squared(league):
    from league.ratings import expected_score

    a = league.register_snapshot(b"a", step=1, initial=1200)
    b = league.register_snapshot(b"b", step=2, initial=900)
    c = league.register_snapshot(b"c", step=3, initial=1000)  # newest: stands in for the learner
    sampler = OpponentSampler(league, mix={"self_play": 1}, strategy="pfsp")
    raw = {s.name: (1 - expected_score(1000, r)) ** 2 for s, r in ((a, 1200), (b, 900), (c, 1000))}
    total = sum(raw.values())
    got = {p.name: w for p, w in sampler.self_play_weights()}
    assert got == pytest.approx({name: w / total for name, w in raw.items()})


def test_retired_snapshots_are_not_drawn(tmp_path):
    with League.open(tmp_path, create=True, config=LeagueConfig(pool_cap=2)) as lg:
        snaps = snapshots(lg, 4)
        sampler = OpponentSampler(lg, mix={"self_play": 1}, seed=0)
        assert {sampler.sample().name for _ in range(500)} == {s.name for s in snaps[2:]}
        sampler_run = OpponentSampler(lg, mix={"self_play": 1}, run="nobody")
        assert sampler_run.sample().kind == "mirror"


def test_sampler_follows_snapshots_registered_by_another_process(league):
    other = League.open(league.dir)
    sampler = OpponentSampler(league, mix={"self_play": 1})
    assert sampler.sample().kind == "mirror"
    other.register_snapshot(b"from elsewhere", step=1, run="r")
    assert sampler.sample().name == "r@1"
    other.close()


@pytest.mark.parametrize(
    ("mix", "error", "message"),
    [
        ({"self_play": 0.5, "NoSuchBot": 0.5}, BotSpecError, "opponent mix entry 'NoSuchBot'.*unknown bot"),
        ({"self_play": 0.5, "missing.py:Bot": 0.5}, BotSpecError, "'missing.py:Bot'.*no file"),
        ({"self_play": 0, "BasedBot": 0}, ValueError, "sum to a positive number"),
        ({"self_play": -0.2, "BasedBot": 1}, ValueError, "weight of 'self_play' must be finite and >= 0"),
        ({"self_play": "lots"}, ValueError, "weight of 'self_play' must be a number"),
        ({}, ValueError, "non-empty"),
    ],
)
def test_bad_mix_is_a_clear_error(league, mix, error, message):
    with pytest.raises(error, match=message):
        OpponentSampler(league, mix=mix)


def test_bad_strategy_and_recent_k(league):
    with pytest.raises(ValueError, match="unknown self-play strategy 'best'; allowed"):
        OpponentSampler(league, strategy="best")
    with pytest.raises(ValueError, match="recent_k"):
        OpponentSampler(league, recent_k=0)


# --- the league as the curriculum (curriculum = "pfsp") ----------------------------------------------------------
def _curriculum(league, learner, **kw):
    mix = kw.pop("mix", {"BasedBot": 0.25, "ArmoryBot": 0.25, "ConstantBot": 0.25, "self_play": 0.25})
    return OpponentSampler(league, mix=mix, curriculum="pfsp", learner=learner, seed=3, **kw)


def test_curriculum_prefers_the_opponents_the_learner_loses_to_bots_and_snapshots_alike(league):
    learner = league.add_player("learner")
    (snap,) = snapshots(league, 1)
    based, armory, constant = (league.add_bot(b) for b in ("BasedBot", "ArmoryBot", "ConstantBot"))
    games = []
    for _ in range(40):
        games += [
            dict(a=learner, b=armory, result="loss"),
            dict(a=learner, b=constant, result="win"),
            dict(a=learner, b=based, result="win"),
            dict(a=learner, b=based, result="loss"),
            dict(a=learner, b=snap, result="draw"),
        ]
    league.record_matches(games)
    sampler = _curriculum(league, learner)
    table = {
        c.opponent.name if c.opponent.kind == "snapshot" else c.opponent.category: c
        for c in sampler.curriculum_weights()
    }
    assert sum(c.weight for c in table.values()) == pytest.approx(1.0)
    assert table["ArmoryBot"].win_prob < table["BasedBot"].win_prob < table["ConstantBot"].win_prob
    assert table["ArmoryBot"].weight > table["BasedBot"].weight > table["ConstantBot"].weight
    assert table[snap.name].weight == pytest.approx(
        table["BasedBot"].weight, rel=0.01
    )  # both scored 0.5 (Elo priors differ)
    assert table["ArmoryBot"].games == 40 and table["ArmoryBot"].score == 0.0
    counts = Counter(o.category if o.kind == "bot" else o.name for o in (sampler.sample() for _ in range(N)))
    assert counts["ArmoryBot"] > counts["BasedBot"] > counts["ConstantBot"]
    assert counts["ArmoryBot"] / N == pytest.approx(table["ArmoryBot"].weight, abs=0.02)


def test_curriculum_weight_formula_floor_and_priors(league):
    from league.ratings import expected_score
    from league.sampler import PFSP_PRIOR_GAMES

    learner = league.add_player("learner")
    constant = league.add_bot("ConstantBot")
    league.record_matches([dict(a=learner, b=constant, result="win")] * 300)  # mastered: the floor
    sampler = _curriculum(
        league, learner, mix={"ConstantBot": 0.5, "BasedBot": 0.5}, pfsp_floor=0.1, pfsp_window=100
    )
    table = {c.opponent.category: c for c in sampler.curriculum_weights()}
    lr, cr, br = (league.rating(x).rating for x in (learner, constant, league.player("BasedBot")))
    p_c = (100 + PFSP_PRIOR_GAMES * expected_score(lr, cr)) / (
        100 + PFSP_PRIOR_GAMES
    )  # the last 100 games only
    p_b = expected_score(lr, br)
    raw = {"ConstantBot": 0.5 * max((1 - p_c) ** 2, 0.1), "BasedBot": 0.5 * max((1 - p_b) ** 2, 0.1)}
    assert table["ConstantBot"].games == 100
    assert table["ConstantBot"].win_prob == pytest.approx(p_c)
    total = sum(raw.values())
    assert {k: c.weight for k, c in table.items()} == pytest.approx({k: v / total for k, v in raw.items()})
    assert raw["ConstantBot"] == 0.5 * 0.1  # held at the floor, not forgotten


def test_curriculum_self_play_takes_over_as_the_bots_are_mastered(league):
    learner = league.add_player("learner")
    bots = [league.add_bot(b) for b in ("BasedBot", "ArmoryBot")]
    mix = {"BasedBot": 0.35, "ArmoryBot": 0.35, "self_play": 0.3}
    early = _curriculum(league, learner, mix=mix)
    assert [c.opponent.kind for c in early.curriculum_weights()] == ["bot", "bot", "mirror"]
    league.record_matches([dict(a=learner, b=b, result="loss") for b in bots] * 50)
    losing = sum(
        c.weight
        for c in _curriculum(league, learner, mix=mix).curriculum_weights()
        if c.opponent.kind == "bot"
    )
    league.record_matches([dict(a=learner, b=b, result="win") for b in bots] * 200)
    # the learner's recent snapshots start at its rating and play it about even
    snaps = [league.register_snapshot(bytes([i]), step=i, run="r", initial=learner) for i in range(4)]
    league.record_matches([dict(a=learner, b=sn, result=r) for sn in snaps for r in ("win", "loss")] * 10)
    mastered = _curriculum(league, learner, mix=mix).curriculum_weights()
    bot_share = sum(c.weight for c in mastered if c.opponent.kind == "bot")
    assert losing > 0.8 and bot_share < 0.5
    assert {c.opponent.kind for c in mastered} == {"bot", "snapshot"}


def test_head_to_head_over_the_last_games(league):
    a, b = league.add_player("a"), league.add_player("b")
    league.record_matches([dict(a=a, b=b, result="loss")] * 5 + [dict(a=b, b=a, result="loss")] * 3)
    assert league.head_to_head(a) == {b.id: (8, 3.0)}
    assert league.head_to_head(a, last=3) == {b.id: (3, 3.0)}  # the newest three: all wins of a
    assert league.head_to_head(b, last=4) == {a.id: (4, 1.0)}
    with pytest.raises(ValueError, match="last"):
        league.head_to_head(a, last=0)


def test_bad_curriculum_settings(league):
    with pytest.raises(ValueError, match="curriculum"):
        OpponentSampler(league, curriculum="league")
    with pytest.raises(ValueError, match="pfsp_floor"):
        OpponentSampler(league, curriculum="pfsp", pfsp_floor=2.0)


@pytest.mark.parametrize("curriculum", ["mix", "pfsp"])
def test_a_mix_entry_may_be_any_agent_spec(league, curriculum):
    """A network named in the mix (here the default trainer's shipped Champion) is a frozen ``agent``
    opponent: an external player named as the agent parser names it, drawn like a bot."""
    sampler = OpponentSampler(league, mix={"Champion": 0.5, "BasedBot": 0.5}, seed=1, curriculum=curriculum)
    drawn = Counter((o.kind, o.name, o.spec) for o in (sampler.sample() for _ in range(400)))
    assert set(drawn) == {("agent", "Champion", "Champion"), ("bot", "BasedBot", "BasedBot")}
    assert league.player("Champion").kind == "external"
    again = OpponentSampler(league, mix={"Champion": 1.0})  # the player is found, not added twice
    assert again.sample().player == league.player("Champion")
