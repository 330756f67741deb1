"""brawl_env.names: the one place typed names are resolved and close names suggested."""

from __future__ import annotations

import pytest

from brawl_env.names import close_names, did_you_mean, resolve_name, unknown


def test_resolve_name_exact_then_unique_case_insensitive() -> None:
    names = ["BasedBot", "RandomBot", "a", "A"]
    assert resolve_name("BasedBot", names) == "BasedBot"
    assert resolve_name("basedbot", names) == "BasedBot"
    assert resolve_name("a", names) == "a"  # exact wins
    assert resolve_name("nope", names) is None
    assert resolve_name("Bot", ["bot", "BOT"]) is None  # two equal ignoring case: neither


def test_suggestions_come_from_difflib_and_may_use_other_spellings() -> None:
    assert close_names("basdbot", ["BasedBot", "ConstantBot"]) == ["BasedBot"]
    assert did_you_mean("xyz", ["BasedBot"]) == ""
    assert did_you_mean("smok1", {"smoke1": "learner:smoke1"}) == "did you mean 'learner:smoke1'?"
    text = unknown("bot", "spacerbo", ["SpacerBot", "BasedBot"])
    assert text == "unknown bot 'spacerbo' (did you mean 'SpacerBot'?); known: SpacerBot, BasedBot"
    assert unknown("x", "q", [f"n{k}" for k in range(25)], limit=3).endswith("n0, n1, n2 and 22 more")


def test_every_lookup_by_name_suggests() -> None:
    from brawl_env.bots import bot_class, key_index
    from brawl_env.bots.registry import BotSpecError
    from brawl_env.config import make_config
    from league.registry import trainer_class

    assert bot_class("edgeguardbot").__name__ == "EdgeGuardBot"
    with pytest.raises(BotSpecError, match=r"did you mean 'EdgeGuardBot'\?"):
        bot_class("EdgeGardBot")
    with pytest.raises(ValueError, match=r"\(did you mean 'max_frames'\?\)"):
        make_config(max_frame=100)
    with pytest.raises(ValueError, match=r"did you mean 'light'"):
        key_index("lihgt")
    with pytest.raises(ValueError, match=r"did you mean 'transformer-lstm-ppo'\?"):
        trainer_class("transformer-lstm")
    with pytest.raises(ValueError, match=r"did you mean 'damage_interaction'\?"):
        make_config(rewards={"damage_interactoin": 1.0})
