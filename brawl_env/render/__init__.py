"""Drawing the game with pygame: frames as arrays, a window, mp4 videos, human play and screenshots.

This package is the only place that imports pygame; nothing imports it until something is rendered, so
``import brawl_env`` stays free of it. One module per job, and every public name is re-exported here,
so ``from brawl_env.render import Renderer`` (and the rest) reads the same as ever:

- ``draw``: :class:`Renderer` draws one match of an engine ``State`` (read only: rendering never changes
  the game) at 480p (720 x 480), 720p (1280 x 720) or 1080p (1920 x 1080), with the fixed
  :class:`Camera` and the palette. ``mode="rgb_array"`` draws off screen and never opens pygame's video
  subsystem, so it needs no display and no SDL driver; ``mode="human"`` opens a window (on a machine
  without a display, ``headless=True`` or the default ``None`` uses SDL's dummy video driver, set only
  there and only then).
- Everything is drawn from shapes and pygame's default font: no image files, no downloads. The static
  background, fonts, text and effect surfaces are built once and cached; a frame is one background blit
  plus a few dozen draw calls.
- What a frame shows: the warehouse, the two floors and the moving platform; each player in its colour
  with its facing, state cues (attack swoosh on live frames, charge glow, stun stars, dodge ghost,
  respawn blink, taunt bubble, dash lines), its weapon; spawned and dropped weapons with their type; a
  HUD with names, damage % (damage x 5/7), stocks and the weapon; the clock; a knockout burst at the
  blast line; and, with ``hitboxes=True``, the live hitboxes (from the move table, mirrored by facing)
  and hurtbox capsules with each player's state and move.
- ``video``: :class:`VideoWriter` encodes frames to H.264 mp4 (yuv420p, 30 fps) through
  imageio-ffmpeg; :func:`write_video` renders a replay to one.
- ``play``: :class:`PlaySession` is ``brawl-league play``: keyboard in, one frame per tick,
  pause/restart/quit, replays saved. Its key mapping (:func:`keys_from_pressed`) and its step take plain
  inputs, so both are tested without a keyboard.
- ``screenshots``: :func:`make_screenshots` writes the docs' pictures from a scripted match.
"""

from __future__ import annotations

import os

# Set before any module of this package imports pygame: pygame prints a banner on import otherwise.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from .draw import (
    FPS,
    RENDER_MODES,
    RESOLUTIONS,
    VIEW_CENTER,
    VIEW_WIDTH,
    Camera,
    Renderer,
    damage_color,
    display_available,
    resolution_size,
)
from .play import KEYMAP, PAUSE_KEY, QUIT_KEY, RESTART_KEY, Keyboard, PlaySession, keys_from_pressed
from .screenshots import make_screenshots, screenshot_states
from .video import END_HOLD_FRAMES, VideoWriter, write_video

__all__ = [
    "END_HOLD_FRAMES",
    "FPS",
    "KEYMAP",
    "PAUSE_KEY",
    "QUIT_KEY",
    "RENDER_MODES",
    "RESOLUTIONS",
    "RESTART_KEY",
    "VIEW_CENTER",
    "VIEW_WIDTH",
    "Camera",
    "Keyboard",
    "PlaySession",
    "Renderer",
    "VideoWriter",
    "damage_color",
    "display_available",
    "keys_from_pressed",
    "make_screenshots",
    "resolution_size",
    "screenshot_states",
    "write_video",
]
