"""The round-robin schedule: every pair K times, sides swapped in half, seeds from the tournament seed."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from brawl_env.engine.rng import match_seed
from tournament.schedule import make_schedule, plan_batches

NAMES = ["A", "B", "C", "D"]


def test_every_pair_k_times_with_sides_swapped_in_half():
    sched = make_schedule(NAMES, 4, seed=7)
    assert len(sched) == 6 * 4
    assert [e.index for e in sched] == list(range(24))
    pairs = Counter((e.a, e.b) for e in sched)
    assert pairs == {p: 4 for p in itertools.combinations(NAMES, 2)}
    for pair in pairs:
        slots = [e.a_slot for e in sched if (e.a, e.b) == pair]
        assert sorted(slots) == [0, 0, 1, 1]
    assert len({e.seed for e in sched}) == 24
    assert all(0 <= e.seed < 2**63 for e in sched)
    assert sched[5].seed == match_seed(7, 5) & (2**63 - 1)
    e = sched[1]
    assert e.names == (e.b, e.a) and e.a_slot == 1


def test_odd_k_gives_the_first_agent_one_more_game_as_player_0():
    sched = make_schedule(["A", "B"], 3, seed=0)
    assert [e.a_slot for e in sched] == [0, 1, 0]


def test_same_seed_same_schedule_other_seed_other_seeds():
    assert make_schedule(NAMES, 3, 11) == make_schedule(NAMES, 3, 11)
    other = make_schedule(NAMES, 3, 12)
    assert [e.seed for e in other] != [e.seed for e in make_schedule(NAMES, 3, 11)]
    assert [(e.a, e.b, e.a_slot) for e in other] == [
        (e.a, e.b, e.a_slot) for e in make_schedule(NAMES, 3, 11)
    ]


def test_schedule_errors():
    with pytest.raises(ValueError, match="unique"):
        make_schedule(["A", "A"], 1, 0)
    with pytest.raises(ValueError, match="at least two"):
        make_schedule(["A"], 1, 0)
    with pytest.raises(ValueError, match="games per pair"):
        make_schedule(["A", "B"], 0, 0)


@pytest.mark.parametrize(
    "workers, has_network, size", [(2, False, None), (2, True, None), (1, False, 5), (3, False, 1000)]
)
def test_batches_cover_the_schedule_once_in_order(workers, has_network, size):
    sched = make_schedule(["A", "B", "C", "D", "E", "F", "G", "H"], 20, 0)
    batches = plan_batches(sched, workers, has_network, size)
    assert [e for b in batches for e in b] == sched
    sizes = [len(b) for b in batches]
    assert max(sizes) - min(sizes) <= 1
    if size is not None:
        assert max(sizes) <= size
    elif has_network:
        assert len(batches) == max(workers, -(-len(sched) // 256))  # as large as possible, up to 256
    else:
        assert len(batches) >= 4 * workers
