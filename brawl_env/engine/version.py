"""The game's behaviour version: what a replay must match to re-simulate bit for bit.

A replay stores only seeds and key presses, so it reproduces a match only on an engine that behaves
exactly as the one that recorded it. ``RULES_VERSION`` names that behaviour:

- **Bump it** whenever a change can alter any trajectory: a rule, a constant in ``params.py``, the frame
  data in ``data/moves.toml``, the random draws, the observation layout or the order of the step.
  Then regenerate the golden replay (``python tests/brawl_env/test_replay.py --regenerate-golden``),
  whose test fails until you do.
- Do not bump it for refactors, speed-ups, rendering or docs that leave every trajectory unchanged;
  the golden-replay test proves that they do.

``GAME_VERSION`` is the human-readable form, shown in replay files, video captions and error messages.
"""

from __future__ import annotations

#: Integer bumped on every behaviour change (see the module docstring).
RULES_VERSION = 2

#: Environment name (PettingZoo's ``brawl_v0``) plus the rules version.
GAME_VERSION = f"brawl_v0-rules{RULES_VERSION}"
