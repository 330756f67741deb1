"""Running untrusted bot code frame by frame: errors, bad keys and slowness become a named fault.

:class:`GuardedBot` wraps a bot. A call that raises, returns anything but ten 0/1 keys, or takes
longer than the bot's per-frame budget raises :class:`BotFault` naming the bot and the reason. On the
main thread of a Unix process a timer interrupts a bot that hangs in Python code; elsewhere the time
is measured after the call returns.
"""

from __future__ import annotations

import signal
import threading
import time

import numpy as np

from .._actions import check_keys
from ..view import ObsView
from .base import Bot


class BotFault(RuntimeError):
    """A bot broke the rules of play; ``reason`` says how."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"bot {name!r} forfeits: {reason}")
        self.bot_name = name
        self.reason = reason


class _Timeout(BaseException):
    pass


def _alarm(signum, frame):  # pragma: no cover - runs inside the signal
    raise _Timeout()


class GuardedBot:
    """A bot whose every frame is checked (see the module docstring)."""

    def __init__(self, bot: Bot, name: str | None = None, time_budget: float | None = None):
        self.bot = bot
        self.name = name or bot.name
        self.time_budget = float(bot.time_budget if time_budget is None else time_budget)

    def reset(self, seed: int | None = None) -> None:
        self._call(lambda: self.bot.reset(seed), "reset")

    def act(self, obs: np.ndarray) -> np.ndarray:
        keys = self._call(lambda: self.bot.act(ObsView(obs)), "act")
        try:
            return check_keys(keys, f"bot {self.name!r}")
        except (TypeError, ValueError) as err:
            raise BotFault(self.name, f"bad keys: {err}") from None

    def _call(self, fn, what: str):
        use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        start = time.perf_counter()
        if use_alarm:
            previous = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, max(self.time_budget * 4, 0.05))
        try:
            result = fn()
        except _Timeout:
            raise BotFault(
                self.name, f"{what} did not return within its time budget ({self.time_budget:g} s)"
            ) from None
        except Exception as err:
            raise BotFault(self.name, f"{what} raised {type(err).__name__}: {err}") from err
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        elapsed = time.perf_counter() - start
        if what == "act" and elapsed > self.time_budget:
            raise BotFault(
                self.name, f"act took {elapsed:.3f} s, over its per-frame budget of {self.time_budget:g} s"
            )
        return result
