"""Human play (``brawl-league play``): :class:`PlaySession`, keyboard in, one frame per tick, pause/restart/quit,
replays saved. Its key mapping (:func:`keys_from_pressed`) and its step take plain inputs, so both are
tested without a keyboard."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pygame

from ..config import MAX_FRAMES
from ..engine import layout as L
from .draw import FPS, Renderer, WHITE


#: The original's keys, in action order: W A S D Space H L J K G.
KEYMAP = (
    pygame.K_w,
    pygame.K_a,
    pygame.K_s,
    pygame.K_d,
    pygame.K_SPACE,
    pygame.K_h,
    pygame.K_l,
    pygame.K_j,
    pygame.K_k,
    pygame.K_g,
)
PAUSE_KEY, RESTART_KEY, QUIT_KEY = pygame.K_p, pygame.K_r, pygame.K_ESCAPE


def keys_from_pressed(pressed: Any) -> np.ndarray:
    """Ten action keys (uint8 0/1) from a pygame key-state mapping.

    ``pressed`` is what ``pygame.key.get_pressed()`` returns, or anything indexable by pygame key
    constants (a dict, say; missing keys count as up).
    """
    keys = np.zeros(L.N_KEYS, np.uint8)
    for k, code in enumerate(KEYMAP):
        try:
            down = pressed[code]
        except (KeyError, IndexError):
            down = False
        keys[k] = 1 if down else 0
    return keys


class Keyboard:
    """The human's side as an agent: presses whatever keys the session last read from the keyboard."""

    trusted_keys = True  # keys_from_pressed gives 0/1

    def __init__(self, name: str):
        self.name = name
        self.keys = np.zeros(L.N_KEYS, np.uint8)

    def reset_rows(self, rows: np.ndarray, seeds: np.ndarray | None = None) -> None:
        self.keys = np.zeros(L.N_KEYS, np.uint8)

    def act(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self.keys[None]


class PlaySession:
    """A human (keyboard) against an agent, one frame per :meth:`step`; see ``brawl-league play``.

    Each game is one match of the match runner (``brawl_env.match.Lanes``): the human in slot 0, the
    agent (guarded when it is a bot) in slot 1. Each game's replay is saved when it ends, or when it is
    restarted or quit after at least one frame. ``step(events, pressed)`` takes the frame's pygame events
    and key state, so the loop runs the same from a keyboard or from a script.
    """

    def __init__(
        self,
        opponent,
        renderer: Renderer | None = None,
        seed: int = 0,
        max_frames: int = MAX_FRAMES,
        stocks: int = 3,
        replay_dir: str | os.PathLike = "replays",
        human_name: str = "You",
        on_saved: Callable[[Path], None] | None = None,
    ):
        from ..match import as_agent

        self.opponent = as_agent(opponent)
        self.human = Keyboard(human_name)
        self.names = (human_name, getattr(self.opponent, "name", type(self.opponent).__name__))
        self.max_frames, self.stocks = max_frames, stocks
        self.renderer = renderer
        self.base_seed = int(seed)
        self.replay_dir = Path(replay_dir)
        self.on_saved = on_saved
        self.games = 0
        self.saved: list[Path] = []
        self.paused = False
        self.running = True
        self._new_game()

    # -- games ---------------------------------------------------------------------------------------------------
    def _new_game(self) -> None:
        from ..engine.rng import match_seed
        from ..match import Lanes

        self.seed = self.base_seed + self.games
        self.match_seed = match_seed(self.seed, 0)
        self.match = Lanes(
            [self.match_seed],
            seeds=[self.seed],
            max_frames=self.max_frames,
            stocks=self.stocks,
            record_keys=True,
        )
        self.match.seat(self.human, [0], 0)
        self.match.seat(self.opponent, [0], 1)
        self._saved_this_game = False
        self.paused = False
        self.match.start()  # an agent that faults at reset forfeits at once

    @property
    def engine(self):
        return self.match.engine

    @property
    def forfeit(self) -> dict | None:
        return self.match.forfeits.get(0)

    @property
    def frame(self) -> int:
        return int(self.engine.state.mi[0, L.FRAME])

    @property
    def over(self) -> bool:
        return not self.match.live[0]

    def save_replay(self) -> Path | None:
        """Write this game's replay (once per game); returns its path, or None with no frames played."""
        from datetime import datetime

        from ..replay import from_match

        result = self.match.result(0)
        if self._saved_this_game or not result.frames:
            return None
        replay = from_match(result)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = self.replay_dir / f"play-{stamp}-seed{self.seed}.replay"
        k = 1
        while path.exists():
            k += 1
            path = self.replay_dir / f"play-{stamp}-seed{self.seed}-{k}.replay"
        replay.save(path)
        self._saved_this_game = True
        self.saved.append(path)
        if self.on_saved is not None:
            self.on_saved(path)
        return path

    def restart(self) -> None:
        self.save_replay()
        self.games += 1
        self._new_game()

    def quit(self) -> None:
        self.save_replay()
        self.running = False

    # -- the loop ---------------------------------------------------------------------------------------------------
    def handle(self, event) -> None:
        """Apply one pygame event: window close or Esc quits, P pauses, R restarts."""
        if event.type == pygame.QUIT:
            self.quit()
        elif event.type == pygame.KEYDOWN:
            if event.key == QUIT_KEY:
                self.quit()
            elif event.key == PAUSE_KEY and not self.over:
                self.paused = not self.paused
            elif event.key == RESTART_KEY:
                self.restart()

    def step(self, events: Iterable = (), pressed: Any = ()) -> bool:
        """One tick: events, then (unless paused or over) one frame with the human's keys; then draw.

        Returns False once the session should end.
        """
        for event in events:
            self.handle(event)
            if not self.running:
                return False
        if not self.paused and not self.over:
            self.human.keys = keys_from_pressed(pressed)
            self.match.step()
            if self.over:
                self.save_replay()
        if self.renderer is not None:
            self._draw()
        return True

    def _draw(self) -> None:
        r = self.renderer
        r.draw(self.engine.state)
        if self.paused:
            r.draw_banner(["PAUSED", "P resume   R restart   Esc quit"])
        elif self.forfeit is not None:
            r.draw_banner(
                [f"{self.names[1]} forfeits", str(self.forfeit["reason"])[:60], "R play again   Esc quit"]
            )
        elif self.over:
            band_h = r._band.get_height()
            hint = r.text("R play again   Esc quit", int(20 * r.cam.u), WHITE)
            c = r.canvas
            c.blit(
                hint, hint.get_rect(center=(r.size[0] // 2, r.size[1] // 2 + band_h // 2 + int(14 * r.cam.u)))
            )
        if r.window is not None:
            r.present()

    def run(
        self,
        events: Callable[[], Iterable] | None = None,
        pressed: Callable[[], Any] | None = None,
        tick: Callable[[], Any] | None = None,
        max_ticks: int | None = None,
    ) -> list[Path]:
        """Loop until quit: ``events()``, ``pressed()`` and ``tick()`` default to pygame's event queue,
        keyboard state and a 30-frames-per-second clock. Returns the saved replay paths."""
        events = events or pygame.event.get
        pressed = pressed or pygame.key.get_pressed
        if tick is None:
            clock = pygame.time.Clock()

            def tick():
                return clock.tick(FPS)

        n = 0
        try:
            while self.step(events(), pressed()):
                tick()
                n += 1
                if max_ticks is not None and n >= max_ticks:
                    self.quit()
                    break
        except KeyboardInterrupt:
            self.quit()
        return self.saved
