"""docs/env.md is generated from the code and must not drift from it."""

from pathlib import Path

from brawl_env.docs import render, render_rewards

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_env_doc_is_up_to_date():
    assert (DOCS / "env.md").read_text() == render(), (
        "regenerate with: python -m brawl_env.docs > docs/env.md"
    )


def test_rewards_doc_is_up_to_date():
    assert (DOCS / "rewards.md").read_text() == render_rewards(), (
        "regenerate with: python -m brawl_env.docs rewards > docs/rewards.md"
    )
