"""The engine's end-of-match codes in words: the one translation every reader uses.

The engine stores how a match ended in two codes per match (``brawl_env.engine.layout``): ``DONE``
(running, terminated by stocks, truncated by the frame limit) and ``RESULT`` (player 0 won, player 1 won,
draw; from player 0's side). Readers want the winner's slot, ``"stocks"`` / ``"time"``, and each side's
``"win"`` / ``"loss"`` / ``"draw"``.
"""

from __future__ import annotations

from .engine import layout as L

_WINNER = {L.R_P0_WINS: 0, L.R_P1_WINS: 1}
_ENDED_BY = {L.TERMINATED: "stocks", L.TRUNCATED: "time"}


def winner(result: int) -> int | None:
    """The slot (0 or 1) that won, from a ``RESULT`` code; None for a draw or a match still running."""
    return _WINNER.get(int(result))


def ended_by(done: int) -> str | None:
    """``"stocks"`` (a side lost its last stock) or ``"time"`` (the frame limit), from a ``DONE`` code;
    None while the match runs."""
    return _ENDED_BY.get(int(done))


def result_word(won_by: int | None, slot: int) -> str:
    """``"win"``, ``"loss"`` or ``"draw"`` for ``slot``, given the winner's slot (None: a draw)."""
    if won_by is None:
        return "draw"
    return "win" if won_by == slot else "loss"


def result_words(result: int) -> tuple[str, str]:
    """Both sides' words for a ``RESULT`` code: ``("win", "loss")``, ``("loss", "win")`` or a draw."""
    w = winner(result)
    return result_word(w, 0), result_word(w, 1)
