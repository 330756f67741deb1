"""Finding bots by name: built-ins, the ``brawl_league.bots`` entry-point group, and specs.

A spec is one of:

- a built-in or entry-point name: ``BasedBot``;
- a file and a class: ``path/to/my_bots.py:Sneaky``;
- a module and a class: ``my_package.bots:Sneaky``.

Nothing is imported until a bot is asked for (listing imports the bot modules, never torch or the
engine's kernels).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ..names import resolve_name, unknown
from .base import Bot

GROUP = "brawl_league.bots"

BUILTIN = {
    "ConstantBot": "brawl_env.bots.builtin:ConstantBot",
    "RandomBot": "brawl_env.bots.builtin:RandomBot",
    "BasedBot": "brawl_env.bots.builtin:BasedBot",
    "ClockworkBot": "brawl_env.bots.builtin:ClockworkBot",
    "SpacerBot": "brawl_env.bots.builtin:SpacerBot",
    "ArmoryBot": "brawl_env.bots.builtin:ArmoryBot",
    "EdgeGuardBot": "brawl_env.bots.builtin:EdgeGuardBot",
}


class BotSpecError(ValueError):
    """A bot spec that names nothing loadable; the message says what was tried."""


@dataclass(frozen=True)
class BotEntry:
    name: str
    target: str  # module:Class
    source: str  # "built-in" or "entry point (<distribution>)"


def _entry_points() -> list[BotEntry]:
    out = []
    for ep in metadata.entry_points(group=GROUP):
        dist = ep.dist.name if ep.dist is not None else "?"
        out.append(BotEntry(ep.name, ep.value, f"entry point ({dist})"))
    return out


def entries() -> list[BotEntry]:
    """Every bot known by name: built-ins first, then entry points (which may not shadow built-ins)."""
    found = [BotEntry(name, target, "built-in") for name, target in BUILTIN.items()]
    found += [e for e in _entry_points() if e.name not in BUILTIN]
    return found


def _import_target(target: str, spec: str):
    module_name, _, attr = target.partition(":")
    if not attr:
        raise BotSpecError(f"bot spec {spec!r}: expected MODULE:CLASS or FILE.py:CLASS")
    if module_name.endswith(".py") or "/" in module_name or "\\" in module_name:
        path = Path(module_name).expanduser()
        if not path.is_file():
            raise BotSpecError(f"bot spec {spec!r}: no file {path}")
        mod_name = f"_brawl_bot_{abs(hash(str(path.resolve())))}"
        module = sys.modules.get(mod_name)
        if module is None:
            loader_spec = importlib.util.spec_from_file_location(mod_name, path)
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[mod_name] = module
            try:
                loader_spec.loader.exec_module(module)
            except Exception as err:
                del sys.modules[mod_name]
                raise BotSpecError(f"bot spec {spec!r}: importing {path} failed: {err!r}") from err
    else:
        try:
            module = importlib.import_module(module_name)
        except ImportError as err:
            raise BotSpecError(f"bot spec {spec!r}: cannot import module {module_name!r}: {err}") from err
    try:
        cls = getattr(module, attr)
    except AttributeError:
        raise BotSpecError(f"bot spec {spec!r}: {module_name} has no {attr!r}") from None
    if not (isinstance(cls, type) and issubclass(cls, Bot)):
        raise BotSpecError(f"bot spec {spec!r}: {attr} is not a subclass of brawl_env.bots.Bot")
    return cls


def bot_name(spec: str) -> str | None:
    """The registered name a spec means (``basedbot`` is ``BasedBot``), or None if it names none."""
    return resolve_name(spec, [e.name for e in entries()]) if isinstance(spec, str) else None


def bot_class(spec: str) -> type[Bot]:
    """The class a spec names (see the module docstring); names ignore case."""
    if not isinstance(spec, str) or not spec:
        raise BotSpecError(f"a bot spec is a non-empty string; got {spec!r}")
    name = bot_name(spec)
    for entry in entries():
        if entry.name == name:
            return _import_target(entry.target, spec)
    if ":" in spec:
        return _import_target(spec, spec)
    raise BotSpecError(
        unknown("bot", spec, [e.name for e in entries()]) + "; or give FILE.py:CLASS or MODULE:CLASS"
    )


def load_bot(spec: str, **kwargs) -> Bot:
    """An instance of the bot a spec names."""
    return bot_class(spec)(**kwargs)
