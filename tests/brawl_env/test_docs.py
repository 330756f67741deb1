"""docs/env.md is generated from the code and must not drift from it."""

from pathlib import Path

from brawl_env.docs import render


def test_env_doc_is_up_to_date():
    doc = Path(__file__).resolve().parents[2] / "docs" / "env.md"
    assert doc.read_text() == render(), "regenerate with: python -m brawl_env.docs > docs/env.md"
