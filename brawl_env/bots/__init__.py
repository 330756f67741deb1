"""Scripted players and the one agent protocol: the ``Bot`` interface, built-in bots, discovery by name,
bots as batched agents, and a guard for untrusted bots. See ``docs/bots.md``."""

from .agent import Agent, BotAgent, FrameAgent, Faults, bot_agent
from .base import NO_KEYS, Bot, FrameBot, key_index, press
from .builtin import warm_up
from .guard import BotFault, GuardedBot
from .registry import BotSpecError, bot_class, entries, load_bot

__all__ = [
    "Bot",
    "FrameBot",
    "press",
    "key_index",
    "NO_KEYS",
    "Agent",
    "BotAgent",
    "FrameAgent",
    "Faults",
    "bot_agent",
    "warm_up",
    "BotFault",
    "GuardedBot",
    "BotSpecError",
    "bot_class",
    "entries",
    "load_bot",
]
