"""Dropping bots in (file path, module path, entry point) and bots that break the rules (forfeits)."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from brawl_env.bots import Bot, BotSpecError, bot_class, entries, load_bot, press
from brawl_env.bots.builtin import ConstantBot
from brawl_env.match import run_match
from brawl_league.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "my_bot.py"
runner = CliRunner()

PLUGIN_SOURCE = textwrap.dedent('''
    from brawl_env.bots import Bot, press


    class Jumper(Bot):
        """Jumps every other frame (a test plug-in)."""

        def reset(self, seed=None):
            self.t = 0

        def act(self, view):
            self.t += 1
            return press("jump") if self.t % 2 else press()


    class NotABot:
        """Has act and reset, but is not a Bot subclass."""

        def reset(self, seed=None):
            pass

        def act(self, view):
            return press()
''')


# -- the example, by file path -------------------------------------------------------------------


def test_example_bot_is_short_and_complete():
    lines = EXAMPLE.read_text().splitlines()
    assert len(lines) <= 20
    cls = bot_class(f"{EXAMPLE}:Stalker")
    assert issubclass(cls, Bot)
    assert cls.describe() == (cls.__doc__ or "").strip().splitlines()[0]
    assert cls.describe().startswith("Keeps to the stage")


def test_example_bot_loads_by_relative_file_path(monkeypatch):
    monkeypatch.chdir(ROOT)
    bot = load_bot("examples/my_bot.py:Stalker")
    assert bot.name == "Stalker"
    res = run_match(bot, ConstantBot(), seed=0, max_frames=300)
    assert res.forfeit is None and res.frames > 0


def test_example_bot_plays_through_the_cli(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(
        app,
        ["match", "examples/my_bot.py:Stalker", "ConstantBot", "--games", "2", "--frames", "300", "--json"],
    )
    assert result.exit_code == 0, result.output
    series = json.loads(result.stdout)
    assert series["a"] == "examples/my_bot.py:Stalker"
    assert [g["a_slot"] for g in series["games"]] == [0, 1]
    assert all(g["forfeit"] is None for g in series["games"])


# -- plug-ins by module path and by entry point ----------------------------------------------------


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    """A directory on sys.path with a package ``brawltest_plugins`` and an installed-looking
    distribution ``brawl-test-plugins`` whose ``brawl_league.bots`` entry points name its bots."""
    pkg = tmp_path / "brawltest_plugins"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bots.py").write_text(PLUGIN_SOURCE)
    dist = tmp_path / "brawl_test_plugins-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: brawl-test-plugins\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent("""
        [brawl_league.bots]
        Jumper = brawltest_plugins.bots:Jumper
        NotABot = brawltest_plugins.bots:NotABot
        Missing = brawltest_plugins.nowhere:Ghost
        BasedBot = brawltest_plugins.bots:Jumper
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("brawltest_plugins")]:
        del sys.modules[name]


def test_module_spec_loads(plugin_dir):
    bot = load_bot("brawltest_plugins.bots:Jumper")
    assert type(bot).__name__ == "Jumper"
    bot.reset(seed=0)
    assert bot.act(None).tolist() == press("jump").tolist()


def test_entry_point_is_listed_and_loads(plugin_dir):
    found = {e.name: e for e in entries()}
    assert found["Jumper"].source == "entry point (brawl-test-plugins)"
    assert found["Jumper"].target == "brawltest_plugins.bots:Jumper"
    assert type(load_bot("Jumper")).__name__ == "Jumper"
    # an entry point may not shadow a built-in
    assert found["BasedBot"].source == "built-in"
    assert type(load_bot("BasedBot")).__module__ == "brawl_env.bots.builtin"


def test_entry_point_bot_in_bots_list_and_match(plugin_dir):
    result = runner.invoke(app, ["bots", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["Jumper"] == {
        "name": "Jumper",
        "description": "Jumps every other frame (a test plug-in).",
        "source": "entry point (brawl-test-plugins)",
    }
    assert rows["Missing"]["description"].startswith("(cannot load:")  # listed, not fatal
    result = runner.invoke(app, ["match", "Jumper", "ConstantBot", "--frames", "60", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["games"][0]["frames"] == 60


@pytest.mark.parametrize(
    "spec, words",
    [
        ("Missing", "cannot import module 'brawltest_plugins.nowhere'"),
        ("NotABot", "is not a subclass"),
        ("brawltest_plugins.bots:NotABot", "is not a subclass"),
        ("brawltest_plugins.bots:Nobody", "has no 'Nobody'"),
    ],
)
def test_broken_plugin_specs_name_the_spec(plugin_dir, spec, words):
    with pytest.raises(BotSpecError) as err:
        load_bot(spec)
    assert repr(spec) in str(err.value) and words in str(err.value)


@pytest.mark.parametrize(
    "spec, words",
    [
        ("NoSuchBot", "unknown bot"),
        ("examples/no_such_file.py:Bot", "no file"),
        ("examples/my_bot.py:Nobody", "has no 'Nobody'"),
        ("examples/my_bot.py:press", "is not a subclass"),
        ("brawl_env.bots.base:press", "is not a subclass"),
        ("collections:OrderedDict", "is not a subclass"),
        ("no_such_module_xyz:Bot", "cannot import module"),
    ],
)
def test_bad_specs_name_the_spec(monkeypatch, spec, words):
    monkeypatch.chdir(ROOT)
    with pytest.raises(BotSpecError) as err:
        load_bot(spec)
    assert repr(spec) in str(err.value) and words in str(err.value)


# -- faults become forfeits ------------------------------------------------------------------------


class Raiser(Bot):
    """Raises on its fifth frame."""

    def reset(self, seed=None):
        self.t = 0

    def act(self, view):
        self.t += 1
        if self.t == 5:
            raise RuntimeError("boom on frame 5")
        return press("right")


class WrongShape(Bot):
    """Returns nine keys."""

    def act(self, view):
        return np.zeros(9, np.int8)


class Twos(Bot):
    """Returns 2 for every key."""

    def act(self, view):
        return np.full(10, 2, np.int8)


class Hog(Bot):
    """Spins in pure Python far past its tiny budget (the guard's timer interrupts it)."""

    time_budget = 0.01

    def act(self, view):
        end = time.perf_counter() + 5.0  # bounded, so a broken guard fails the test instead of hanging it
        n = 0
        while time.perf_counter() < end:
            n += 1
        return press()


class BadReset(Bot):
    """Raises in reset, before the first frame."""

    def reset(self, seed=None):
        if seed is not None:
            raise ValueError("cannot reset")


@pytest.mark.parametrize(
    "bad, words",
    [
        (Raiser, "act raised RuntimeError: boom on frame 5"),
        (WrongShape, "bad keys"),
        (Twos, "0 or 1"),
        (Hog, "time budget"),
        (BadReset, "reset raised ValueError: cannot reset"),
    ],
)
@pytest.mark.parametrize("slot", [0, 1])
def test_faulty_bot_forfeits(bad, words, slot):
    agents = [ConstantBot(), ConstantBot()]
    agents[slot] = bad()
    res = run_match(*agents, seed=0, max_frames=300)
    assert res.ended_by == "forfeit"
    assert res.forfeit["slot"] == slot
    assert res.forfeit["name"] == bad.__name__
    assert words in res.forfeit["reason"]
    assert res.winner == 1 - slot
    assert res.result_for(slot) == "loss" and res.result_for(1 - slot) == "win"
    if bad is Hog:
        assert "did not return within" in res.forfeit["reason"]  # interrupted, not waited out
    if bad is Raiser:
        assert res.frames == 4


def test_docs_show_the_example_bot_as_it_is():
    root = Path(__file__).resolve().parents[2]
    code = (root / "examples" / "my_bot.py").read_text().rstrip("\n")
    assert code in (root / "docs" / "bots.md").read_text()
    assert len(code.splitlines()) <= 20
