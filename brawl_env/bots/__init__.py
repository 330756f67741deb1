"""Scripted players: the ``Bot`` interface, built-in bots, discovery by name, and a guard for
untrusted bots. See ``docs/bots.md``."""

from .base import NO_KEYS, Bot, key_index, press
from .guard import BotFault, GuardedBot
from .registry import BotSpecError, bot_class, entries, load_bot

__all__ = ["Bot", "press", "key_index", "NO_KEYS", "BotFault", "GuardedBot", "BotSpecError", "bot_class",
           "entries", "load_bot"]
