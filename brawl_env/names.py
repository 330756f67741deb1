"""Names users type: the one place that matches a typed name against the names there are.

Every lookup by name (bots, league players, presets, config keys, reward terms, keys) resolves and
suggests through here, so ``basedbot`` finds ``BasedBot`` everywhere and every "unknown" error ends the
same way: ``did you mean 'BasedBot'?``. Close matches come from :mod:`difflib` (stdlib).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping


def resolve_name(typed: str, names: Iterable[str]) -> str | None:
    """The name ``typed`` means: itself if it is one of ``names``, else the one name equal to it
    ignoring case; None when there is none or several."""
    names = list(names)
    if typed in names:
        return typed
    folded = [n for n in names if n.casefold() == typed.casefold()]
    return folded[0] if len(folded) == 1 else None


def close_names(typed: str, names: Iterable[str] | Mapping[str, str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``names`` closest to ``typed`` (case ignored), best first. ``names`` may map other
    spellings to a name (``{"smoke1": "learner:smoke1"}``): they are compared too, the name is suggested."""
    pairs = names.items() if isinstance(names, Mapping) else ((name, name) for name in names)
    by_folded: dict[str, str] = {}
    for spelling, name in pairs:
        by_folded.setdefault(spelling.casefold(), name)
        by_folded.setdefault(name.casefold(), name)
    found = difflib.get_close_matches(typed.casefold(), list(by_folded), n=n, cutoff=0.6)
    return list(dict.fromkeys(by_folded[f] for f in found))


def did_you_mean(typed: str, names: Iterable[str] | Mapping[str, str]) -> str:
    """``"did you mean 'BasedBot'?"`` (or two or three names), or ``""`` when nothing is close."""
    found = close_names(typed, names)
    if not found:
        return ""
    return "did you mean " + " or ".join(repr(f) for f in found) + "?"


def unknown(what: str, typed: str, names: Iterable[str] | Mapping[str, str], limit: int = 20) -> str:
    """One error text: ``unknown bot 'basdbot' (did you mean 'BasedBot'?); known: ...`` (at most ``limit``
    names listed, then how many more)."""
    hint = did_you_mean(typed, names)
    names = list(dict.fromkeys(names.values() if isinstance(names, Mapping) else names))
    shown = ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
    text = f"unknown {what} {typed!r}" + (f" ({hint})" if hint else "")
    return text + (f"; known: {shown}" if names else "")
