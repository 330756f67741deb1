"""The renderer: a fixed camera, the palette and :class:`Renderer`, which draws one match of a ``State``.

:class:`Renderer` draws read only (rendering never changes the game) at 480p (720 x 480), 720p
(1280 x 720) or 1080p (1920 x 1080). ``mode="rgb_array"`` draws off screen and never opens pygame's
video subsystem, so it needs no display and no SDL driver; ``mode="human"`` opens a window (on a machine
without a display, ``headless=True`` or the default ``None`` uses SDL's dummy video driver, set only here
and only then). What a frame shows is listed in the package docstring (``brawl_env.render``).
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import sys
from collections.abc import Sequence

import numpy as np
import pygame

from ..engine import layout as L
from ..engine import moves as MV
from ..engine import params as P
from ..engine.version import GAME_VERSION
from ..config import MAX_FRAMES, STOCKS
from ..outcome import ended_by, winner

log = logging.getLogger(__name__)


RESOLUTIONS = {"480p": (720, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
RENDER_MODES = ("rgb_array", "human")
FPS = P.FPS

# The fixed camera: 16 world units across, centred a little below the spawn height, so both floors,
# the platform's whole path and most of a triple jump are in view at every aspect ratio.
VIEW_WIDTH = 16.0
VIEW_CENTER = (0.0, -0.75)

# --- palette -----------------------------------------------------------------------------------------
PLAYER_COLORS = ((238, 92, 78), (58, 154, 240))  # coral red, sky blue
PLAYER_LIGHT = ((255, 170, 150), (160, 210, 255))
PLAYER_DARK = ((120, 36, 30), (20, 62, 120))
WEAPON_COLORS = {L.W_PUNCH: (235, 225, 210), L.W_SPEAR: (96, 224, 214), L.W_HAMMER: (250, 178, 60)}
WEAPON_LABELS = {L.W_PUNCH: "PUNCH", L.W_SPEAR: "SPEAR", L.W_HAMMER: "HAMMER"}
WHITE, BLACK = (255, 255, 255), (0, 0, 0)
INK = (16, 17, 26)
SKY_TOP, SKY_BOTTOM = (24, 28, 48), (52, 46, 70)
FLOOR_FILL, FLOOR_EDGE, FLOOR_SHADE = (86, 90, 108), (196, 200, 214), (62, 64, 80)
HAZARD = (238, 190, 52)
HITBOX_FILL, HITBOX_EDGE = (255, 50, 70, 90), (255, 70, 90)
SPENT_FILL, SPENT_EDGE = (160, 160, 170, 60), (170, 170, 180)
TAUNT_TEXT = ("HA!", "GG", "EZ")


def resolution_size(resolution: str | tuple[int, int]) -> tuple[int, int]:
    """``"480p"``/``"720p"``/``"1080p"`` (or a ``(width, height)`` pair) -> ``(width, height)``."""
    if isinstance(resolution, str):
        try:
            return RESOLUTIONS[resolution]
        except KeyError:
            raise ValueError(f"unknown resolution {resolution!r}; allowed: {list(RESOLUTIONS)}") from None
    if (
        isinstance(resolution, (tuple, list))
        and len(resolution) == 2
        and all(isinstance(v, int) and 160 <= v <= 7680 for v in resolution)
    ):
        return int(resolution[0]), int(resolution[1])
    raise ValueError(f"resolution must be one of {list(RESOLUTIONS)} or (width, height); got {resolution!r}")


def _mix(a, b, t: float):
    return tuple(int(a[i] + (b[i] - a[i]) * t) for i in range(3))


def damage_color(percent: float):
    """White at 0 %, yellow by 60 %, orange by 120 %, red by 180 %, dark red beyond."""
    stops = (
        (0.0, (255, 255, 255)),
        (60.0, (255, 226, 90)),
        (120.0, (255, 150, 50)),
        (180.0, (240, 60, 50)),
        (300.0, (160, 20, 30)),
    )
    for (p0, c0), (p1, c1) in itertools.pairwise(stops):
        if percent <= p1:
            return _mix(c0, c1, max(0.0, (percent - p0) / (p1 - p0)))
    return stops[-1][1]


def display_available() -> bool:
    """Whether a real window can be opened (Linux/BSD need an X11 or Wayland display)."""
    if os.environ.get("SDL_VIDEODRIVER", "") in ("dummy", "offscreen"):
        return False
    if sys.platform.startswith(("linux", "freebsd", "openbsd")):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class Camera:
    """World units (+y up) to pixels (+y down) for a fixed view ``VIEW_WIDTH`` wide."""

    def __init__(self, width: int, height: int):
        self.w, self.h = width, height
        self.s = width / VIEW_WIDTH
        self.ox = width / 2 - VIEW_CENTER[0] * self.s
        self.oy = height / 2 + VIEW_CENTER[1] * self.s
        self.u = height / 480.0  # HUD unit: one pixel at 480p

    def pt(self, x: float, y: float) -> tuple[int, int]:
        return round(self.ox + x * self.s), round(self.oy - y * self.s)

    def fpt(self, x: float, y: float) -> tuple[float, float]:
        return self.ox + x * self.s, self.oy - y * self.s

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> pygame.Rect:
        """The pixel rectangle of the world box [x0, x1] x [y0, y1]."""
        ax, ay = self.pt(x0, y1)
        bx, by = self.pt(x1, y0)
        return pygame.Rect(ax, ay, max(bx - ax, 1), max(by - ay, 1))

    def px(self, units: float) -> int:
        return max(round(units * self.s), 1)

    def world_x(self, sx: float) -> float:
        return (sx - self.ox) / self.s

    def world_y(self, sy: float) -> float:
        return (self.oy - sy) / self.s


def _ensure_font() -> None:
    if not pygame.font.get_init():
        pygame.font.init()


class Renderer:
    """Draws match ``m`` of a ``State``; see the module docstring.

    :param resolution: ``"480p"``, ``"720p"``, ``"1080p"`` or ``(width, height)``.
    :param mode: ``"rgb_array"`` (``render`` returns ``(H, W, 3)`` uint8) or ``"human"`` (a window;
        ``render`` returns None).
    :param names: the two players' names for the HUD.
    :param hitboxes: draw live hitboxes, hurtboxes and each player's state and move.
    :param max_frames: the match's frame limit (for the clock).
    :param stocks: starting stocks (for the HUD's stock icons).
    :param headless: for ``"human"``: True uses SDL's dummy driver (an invisible window), False needs a
        real display, None (default) uses the dummy driver only when no display is available.
    """

    def __init__(
        self,
        resolution: str | tuple[int, int] = "480p",
        mode: str = "rgb_array",
        names: Sequence[str] = ("player_0", "player_1"),
        hitboxes: bool = False,
        max_frames: int = MAX_FRAMES,
        stocks: int = STOCKS,
        headless: bool | None = None,
        moves: MV.MoveTable | None = None,
        caption: str | None = None,
    ):
        if mode not in RENDER_MODES:
            raise ValueError(f"unknown render mode {mode!r}; allowed: {list(RENDER_MODES)}")
        if len(names) != 2:
            raise ValueError(f"names must name two players; got {names!r}")
        self.size = resolution_size(resolution)
        self.mode = mode
        self.names = tuple(str(n)[:18] for n in names)
        self.hitboxes = bool(hitboxes)
        self.max_frames = int(max_frames)
        self.stocks = int(stocks)
        self.moves = moves if moves is not None else MV.load()
        self.cam = Camera(*self.size)
        _ensure_font()
        self._fonts: dict[int, pygame.font.Font] = {}
        self._texts: dict[tuple, pygame.Surface] = {}
        self._scratch: dict[tuple[int, int], pygame.Surface] = {}
        self.canvas = pygame.Surface(self.size)
        # Frames leave through a 24-bit surface whose bytes are R, G, B in memory order.
        masks = (0xFF, 0xFF00, 0xFF0000, 0) if sys.byteorder == "little" else (0xFF0000, 0xFF00, 0xFF, 0)
        self._rgb = pygame.Surface(self.size, depth=24, masks=masks)
        self.background = self._build_background()
        self._beam = self._build_beam()
        self._band = self._build_band()
        self._panels = [self._build_panel(p) for p in range(2)]
        self._ghosts = [self._build_body(p, ghost=True) for p in range(2)]
        self.window: pygame.Surface | None = None
        self._clock: pygame.time.Clock | None = None
        self._owns_display = False
        if mode == "human":
            self._open_window(
                headless, caption or f"Brawl ({GAME_VERSION}): {self.names[0]} vs {self.names[1]}"
            )

    # -- window ----------------------------------------------------------------------------------------
    def _open_window(self, headless: bool | None, caption: str) -> None:
        if not pygame.display.get_init():
            if headless is None:
                headless = not display_available()
                if headless:
                    log.warning(
                        "no display found: the 'human' window uses SDL's dummy video driver (invisible)"
                    )
            elif not headless and not display_available():
                raise RuntimeError(
                    "no display to open a window on (DISPLAY/WAYLAND_DISPLAY unset); "
                    "use render_mode='rgb_array', or a machine with a screen"
                )
            if headless:
                os.environ["SDL_VIDEODRIVER"] = "dummy"
            pygame.display.init()
            self._owns_display = True
        self.window = pygame.display.set_mode(self.size)
        pygame.display.set_caption(caption)
        self._clock = pygame.time.Clock()

    def close(self) -> None:
        """Close the window (if this renderer opened one) and drop cached surfaces."""
        if self.window is not None and self._owns_display and pygame.display.get_init():
            pygame.display.quit()
        self.window = None
        self._texts.clear()
        self._scratch.clear()

    # -- cached resources ------------------------------------------------------------------------------------
    def font(self, px: int) -> pygame.font.Font:
        """pygame's default font at ``px`` pixels (loaded once per size)."""
        f = self._fonts.get(px)
        if f is None:
            f = self._fonts[px] = pygame.font.Font(None, px)
        return f

    def text(self, s: str, px: int, color=WHITE, shadow: bool = True, outline: int = 0) -> pygame.Surface:
        """Rendered text, cached by (text, size, colour, style): a dark drop shadow for contrast, or a
        dark outline ``outline`` pixels thick for text drawn over busy effects."""
        key = (s, px, color, shadow) if not outline else (s, px, color, shadow, outline)
        surf = self._texts.get(key)
        if surf is None:
            if len(self._texts) > 2048:
                self._texts.clear()
            f = self.font(px)
            fg = f.render(s, True, color)
            if outline:
                o = outline
                surf = pygame.Surface((fg.get_width() + 2 * o, fg.get_height() + 2 * o), pygame.SRCALPHA)
                sh = f.render(s, True, INK)
                for dx in range(-o, o + 1, max(1, o // 2)):
                    for dy in range(-o, o + 1, max(1, o // 2)):
                        surf.blit(sh, (o + dx, o + dy))
                surf.blit(fg, (o, o))
            elif shadow:
                off = max(1, px // 16)
                surf = pygame.Surface((fg.get_width() + off, fg.get_height() + off), pygame.SRCALPHA)
                sh = f.render(s, True, INK)
                surf.blit(sh, (off, off))
                surf.blit(fg, (0, 0))
            else:
                surf = fg
            self._texts[key] = surf
        return surf

    def scratch(self, w: int, h: int) -> pygame.Surface:
        """A cleared transparent surface of at least ``w x h`` (reused between frames)."""
        key = (max(8, 1 << (max(w, 1) - 1).bit_length()), max(8, 1 << (max(h, 1) - 1).bit_length()))
        surf = self._scratch.get(key)
        if surf is None:
            surf = self._scratch[key] = pygame.Surface(key, pygame.SRCALPHA)
        surf.fill((0, 0, 0, 0))
        return surf

    def _build_background(self) -> pygame.Surface:
        w, h = self.size
        cam = self.cam
        bg = pygame.Surface(self.size)
        for y in range(h):
            bg.fill(_mix(SKY_TOP, SKY_BOTTOM, y / max(h - 1, 1)), (0, y, w, 1))
        # Back wall: steel columns, a catwalk and shelving silhouettes, low contrast so players stand out.
        wall = (34, 38, 60)
        for x in range(-9, 10, 3):
            bg.fill(wall, cam.rect(x - 0.18, -9, x + 0.18, 9))
            bg.fill((44, 48, 72), cam.rect(x - 0.18, -9, x - 0.1, 9))
        # Lamps and the catwalk they hang from sit a fixed distance below the top edge at every aspect ratio.
        lamp_y = cam.world_y(40 * cam.u)
        walk = lamp_y + 0.55
        bg.fill((40, 44, 68), cam.rect(-9, walk, 9, walk + 0.22))
        for x in np.arange(-9, 9.01, 0.6):
            pygame.draw.line(
                bg, (40, 44, 68), cam.pt(x, walk + 0.22), cam.pt(x + 0.3, walk + 0.62), max(1, cam.px(0.04))
            )
        bg.fill((40, 44, 68), cam.rect(-9, walk + 0.6, 9, walk + 0.7))
        shelf = (30, 33, 52)
        for x0 in (-8.6, -5.2, 3.0, 6.4):
            for row in range(3):
                y = -0.2 + row * 1.25
                bg.fill(shelf, cam.rect(x0, y, x0 + 2.4, y + 0.08))
                for k in range(3):
                    cw = 0.5 + 0.17 * ((row + k + int(x0)) % 3)
                    cx0 = x0 + 0.15 + k * 0.78
                    bg.fill((38, 40, 60), cam.rect(cx0, y + 0.08, cx0 + cw, y + 0.08 + cw * 0.8))
        # Hanging lamps with soft light cones.
        for x in (-4.8, 4.8):
            top = cam.pt(x, walk)
            lamp = cam.pt(x, lamp_y)
            pygame.draw.line(bg, (60, 62, 86), top, lamp, max(1, cam.px(0.03)))
            cone = pygame.Surface(self.size, pygame.SRCALPHA)
            spread = cam.px(2.6)
            pygame.draw.polygon(
                cone,
                (255, 236, 180, 16),
                [
                    (lamp[0] - cam.px(0.25), lamp[1]),
                    (lamp[0] + cam.px(0.25), lamp[1]),
                    (lamp[0] + spread, h),
                    (lamp[0] - spread, h),
                ],
            )
            bg.blit(cone, (0, 0))
            pygame.draw.ellipse(
                bg,
                (255, 232, 170),
                pygame.Rect(lamp[0] - cam.px(0.3), lamp[1] - cam.px(0.12), cam.px(0.6), cam.px(0.24)),
            )
        # The pit: a darker shaft between the floors.
        shaft = cam.rect(P.FLOOR_L_X1, cam.world_y(h), P.FLOOR_R_X0, P.FLOOR_L_TOP)
        pit = pygame.Surface(shaft.size, pygame.SRCALPHA)
        for yy in range(shaft.height):
            pit.fill((6, 6, 14, int(150 * (yy / max(shaft.height - 1, 1)) ** 1.3)), (0, yy, shaft.width, 1))
        bg.blit(pit, shaft.topleft)
        # The platform's rail: the diagonal it rides on, with end stops.
        a = cam.pt(P.PLAT_AX, P.PLAT_AY)
        b = cam.pt(P.PLAT_BX, P.PLAT_BY)
        pygame.draw.line(bg, (70, 74, 104), a, b, max(2, cam.px(0.07)))
        for x, y in ((P.PLAT_AX, P.PLAT_AY), (P.PLAT_BX, P.PLAT_BY)):
            pygame.draw.circle(bg, (86, 90, 124), cam.pt(x, y), max(3, cam.px(0.1)))
        # The floors: concrete blocks with a lit top edge and a hazard stripe.
        for x0, x1, top, bottom in (
            (P.FLOOR_R_X0, P.FLOOR_R_X1, P.FLOOR_R_TOP, P.FLOOR_R_BOTTOM),
            (P.FLOOR_L_X0, P.FLOOR_L_X1, P.FLOOR_L_TOP, P.FLOOR_L_BOTTOM),
        ):
            self._draw_floor(bg, x0, x1, top, bottom)
        return bg

    def _draw_floor(self, bg: pygame.Surface, x0: float, x1: float, top: float, bottom: float) -> None:
        cam = self.cam
        body = cam.rect(x0, bottom, x1, top)
        bg.fill(FLOOR_FILL, body)
        # Block seams and a darker lower part, so the floor reads as a solid mass.
        for k in range(1, int((top - bottom) / 0.9) + 1):
            y = top - 0.35 - k * 0.9
            bg.fill(FLOOR_SHADE, cam.rect(x0, y, x1, y + 0.04))
            off = 0.0 if k % 2 else 0.6
            for xs in np.arange(x0 + 0.6 + off, x1, 1.2):
                bg.fill(FLOOR_SHADE, cam.rect(xs, y, xs + 0.04, y + 0.9))
        shade = pygame.Surface(body.size, pygame.SRCALPHA)
        for yy in range(body.height):
            shade.fill((0, 0, 0, int(110 * yy / max(body.height - 1, 1))), (0, yy, body.width, 1))
        bg.blit(shade, body.topleft)
        # Hazard stripe under the lit top edge.
        stripe = cam.rect(x0, top - 0.3, x1, top - 0.1)
        bg.fill((40, 40, 44), stripe)
        sw = stripe.height
        bg.set_clip(stripe)
        for xs in range(stripe.left - 2 * sw, stripe.right, 2 * sw):
            pygame.draw.polygon(
                bg,
                HAZARD,
                [
                    (xs, stripe.bottom),
                    (xs + sw, stripe.top),
                    (xs + 2 * sw, stripe.top),
                    (xs + sw, stripe.bottom),
                ],
            )
        bg.set_clip(None)
        pygame.draw.rect(bg, (30, 30, 36), stripe, 1)
        bg.fill(FLOOR_EDGE, cam.rect(x0, top - 0.1, x1, top))
        bg.fill((236, 238, 246), cam.rect(x0, top - 0.035, x1, top))
        pygame.draw.rect(bg, (40, 42, 54), body, max(1, cam.px(0.03)))

    def _build_beam(self) -> pygame.Surface:
        """The light column over a fresh spawn (alpha gradient, blitted with a per-frame alpha)."""
        cam = self.cam
        w = cam.px(1.0)
        h = self.size[1]
        beam = pygame.Surface((w, h), pygame.SRCALPHA)
        for x in range(w):
            edge = 1.0 - abs(2 * x / max(w - 1, 1) - 1.0)
            beam.fill((255, 244, 200, int(120 * edge**1.5)), (x, 0, 1, h))
        return beam

    def _build_band(self) -> pygame.Surface:
        u = self.cam.u
        band = pygame.Surface((self.size[0], int(130 * u)), pygame.SRCALPHA)
        band.fill((8, 8, 16, 170))
        return band

    def _panel_rect(self, p: int) -> pygame.Rect:
        u = self.cam.u
        w, h = self.size
        pw, ph = int(196 * u), int(62 * u)
        cx = int(w * (0.27 if p == 0 else 0.73))
        return pygame.Rect(cx - pw // 2, h - ph - int(8 * u), pw, ph)

    def _build_panel(self, p: int) -> pygame.Surface:
        r = self._panel_rect(p)
        u = self.cam.u
        panel = pygame.Surface(r.size, pygame.SRCALPHA)
        pygame.draw.rect(panel, (12, 13, 22, 200), panel.get_rect(), border_radius=int(10 * u))
        pygame.draw.rect(
            panel, PLAYER_COLORS[p] + (255,), panel.get_rect(), max(2, int(2 * u)), border_radius=int(10 * u)
        )
        pygame.draw.rect(
            panel,
            PLAYER_COLORS[p] + (255,),
            pygame.Rect(0, 0, int(10 * u), r.height),
            border_top_left_radius=int(10 * u),
            border_bottom_left_radius=int(10 * u),
        )
        return panel

    def _build_body(self, p: int, ghost: bool) -> pygame.Surface:
        """A translucent body for dodges (drawn once per player)."""
        cam = self.cam
        bw, bh = cam.px(2 * P.HALF_W), cam.px(2 * P.HALF_H)
        surf = pygame.Surface((bw + 4, bh + 4), pygame.SRCALPHA)
        rect = pygame.Rect(2, 2, bw, bh)
        pygame.draw.rect(surf, PLAYER_LIGHT[p] + (80,), rect, border_radius=cam.px(0.2))
        pygame.draw.rect(surf, WHITE + (200,), rect, max(2, cam.px(0.04)), border_radius=cam.px(0.2))
        return surf

    # -- frames -------------------------------------------------------------------------------------------
    def render(self, state, m: int = 0) -> np.ndarray | None:
        """Draw match ``m``; ``(H, W, 3)`` uint8 in ``rgb_array`` mode, None (and a window) in ``human``."""
        surf = self.draw(state, m)
        if self.mode == "human":
            self.present(surf, tick=True)
            return None
        return self.array(surf)

    def _rgb_rows(self, surf: pygame.Surface | None):
        """Blit to the 24-bit RGB surface and return (its buffer, pitch). One SDL blit converts XRGB to
        RGB about four times faster than ``pygame.image.tobytes``."""
        surf = self.canvas if surf is None else surf
        if surf.get_size() != self.size:
            raise ValueError(f"surface is {surf.get_size()}, the renderer draws {self.size}")
        self._rgb.blit(surf, (0, 0))
        return self._rgb.get_buffer(), self._rgb.get_pitch()

    def array(self, surf: pygame.Surface | None = None) -> np.ndarray:
        """A surface (default: the canvas) as a fresh ``(H, W, 3)`` uint8 array."""
        w, h = self.size
        buf, pitch = self._rgb_rows(surf)
        rows = np.frombuffer(buf, np.uint8).reshape(h, pitch)
        out = rows[:, : 3 * w].reshape(h, w, 3).copy()
        del rows, buf  # release the buffer: a locked surface cannot be blitted to
        return out

    def raw(self, surf: pygame.Surface | None = None) -> bytes:
        """A surface (default: the canvas) as packed RGB bytes, row by row (what a video encoder takes)."""
        w, h = self.size
        buf, pitch = self._rgb_rows(surf)
        data = (
            buf.raw
            if pitch == 3 * w
            else b"".join(bytes(memoryview(buf.raw)[y * pitch : y * pitch + 3 * w]) for y in range(h))
        )
        del buf
        return data

    def present(self, surf: pygame.Surface | None = None, tick: bool = False) -> None:
        """Show a surface (default: the canvas) in the window; ``tick`` paces to 30 frames per second."""
        if self.window is None:
            raise RuntimeError("this renderer has no window (mode='rgb_array')")
        self.window.blit(self.canvas if surf is None else surf, (0, 0))
        pygame.display.flip()
        pygame.event.pump()
        if tick and self._clock is not None:
            self._clock.tick(FPS)

    def draw(self, state, m: int = 0) -> pygame.Surface:
        """Draw match ``m`` of ``state`` on the canvas and return it. Reads the state only."""
        c = self.canvas
        c.blit(self.background, (0, 0))
        pf, pi, mi = state.pf[m], state.pi[m], state.mi[m]
        frame = int(mi[L.FRAME])
        self._draw_platform(c, state.mf[m])
        self._draw_items(c, state.it[m], state.itf[m], frame)
        order = (1, 0) if pi[0, L.STATE] == L.S_ATTACK and pi[1, L.STATE] != L.S_ATTACK else (0, 1)
        for p in order:
            self._draw_player(c, p, pf[p], pi[p], frame)
        for p in range(2):
            if pi[p, L.STATE] == L.S_STUN and pi[p, L.STATE_FRAMES] <= 4:
                self._draw_hit_spark(c, pf[p], pi[p])
        if self.hitboxes:
            for p in range(2):
                self._draw_boxes(c, p, pf[p], pi[p])
        for p in range(2):
            if pi[p, L.STATE] == L.S_KO:
                self._draw_ko_burst(c, p, pf[p], pi[p])
            else:
                self._draw_offscreen_marker(c, p, pf[p], pi[p])
        self._draw_hud(c, pf, pi, frame)
        if mi[L.DONE] != L.RUNNING:
            self._draw_result(c, int(mi[L.RESULT]), int(mi[L.DONE]))
        return c

    # -- stage ----------------------------------------------------------------------------------------------
    def _draw_platform(self, c: pygame.Surface, mf) -> None:
        cam = self.cam
        x, y = float(mf[L.PLAT_X]), float(mf[L.PLAT_Y])
        r = cam.rect(x - P.PLAT_HALF_W, y - P.PLAT_HALF_H, x + P.PLAT_HALF_W, y + P.PLAT_HALF_H)
        c.fill((150, 158, 184), r)
        c.fill((222, 228, 244), pygame.Rect(r.left, r.top, r.width, max(2, r.height // 3)))
        pygame.draw.rect(c, (52, 56, 76), r, 1)
        # Up-arrows under it: one-way, jump through from below.
        a = cam.px(0.12)
        for k in (-0.55, 0.0, 0.55):
            cx, cy = cam.pt(x + k, y - P.PLAT_HALF_H - 0.16)
            pygame.draw.polygon(
                c, (110, 118, 150), [(cx - a, cy + a // 2), (cx + a, cy + a // 2), (cx, cy - a // 2)]
            )

    # -- weapons -----------------------------------------------------------------------------------------
    def _draw_items(self, c: pygame.Surface, it, itf, frame: int) -> None:
        cam = self.cam
        for i in range(L.N_ITEMS):
            kind = it[i, L.IKIND]
            if kind != L.I_SHOWING and kind != L.I_LOOSE:
                continue
            weapon = int(it[i, L.IWEAPON])
            x, y = float(itf[i, L.IX]), float(itf[i, L.IY])
            if kind == L.I_SHOWING:
                age, left = int(it[i, L.IAGE]), int(it[i, L.ITIMER])
                if age < P.SPAWN_PICKUP_LOCK:  # arriving: a light column that fades as the weapon unlocks
                    beam = self._beam
                    beam.set_alpha(int(255 * (1.0 - age / P.SPAWN_PICKUP_LOCK)))
                    bx = cam.pt(x, y)[0] - beam.get_width() // 2
                    c.blit(beam, (bx, 0), pygame.Rect(0, 0, beam.get_width(), cam.pt(x, y)[1]))
                    beam.set_alpha(None)
                if left < 60 and (frame // 4) % 2 == 0:
                    continue  # about to vanish: blink
                glow = 0.5 + 0.5 * math.sin(frame * 0.2)
                cx, cy = cam.pt(x, y - P.WEAPON_HALF)
                gw = cam.px(0.9 + 0.1 * glow)
                pygame.draw.ellipse(
                    c,
                    _mix(WEAPON_COLORS[weapon], FLOOR_FILL, 0.45),
                    pygame.Rect(cx - gw // 2, cy - cam.px(0.07), gw, cam.px(0.14)),
                )
            else:
                if int(it[i, L.ILIFE]) < 60 and (frame // 4) % 2 == 0:
                    continue
            self._draw_weapon_icon(c, weapon, x, y, 0.83)
            label = self.text(WEAPON_LABELS[weapon], max(10, int(13 * cam.u)), WEAPON_COLORS[weapon])
            lx, ly = cam.pt(x, y + P.WEAPON_HALF + 0.08)
            c.blit(label, (lx - label.get_width() // 2, ly - label.get_height()))

    def _draw_weapon_icon(self, c: pygame.Surface, weapon: int, x: float, y: float, size: float) -> None:
        """A weapon lying in a ``size`` box centred at (x, y) (world units)."""
        if weapon == L.W_SPEAR:
            self._draw_tool(c, weapon, x - 0.32 * size, y - 0.32 * size, math.radians(45), size / 0.83 * 0.62)
        elif weapon == L.W_HAMMER:
            self._draw_tool(c, weapon, x - 0.05 * size, y - 0.42 * size, math.radians(80), size / 0.83 * 0.85)
        else:
            cx, cy = self.cam.pt(x, y)
            pygame.draw.circle(c, WEAPON_COLORS[L.W_PUNCH], (cx, cy), self.cam.px(0.18 * size / 0.83))

    def _draw_tool(
        self,
        c: pygame.Surface,
        weapon: int,
        hx: float,
        hy: float,
        angle: float,
        scale: float = 1.0,
        color=None,
    ) -> None:
        """A spear or hammer held at (hx, hy), pointing along ``angle`` (radians, world frame)."""
        cam = self.cam
        dx, dy = math.cos(angle), math.sin(angle)
        nx, ny = -dy, dx

        def at(a: float, b: float = 0.0):
            return cam.fpt(hx + (dx * a + nx * b) * scale, hy + (dy * a + ny * b) * scale)

        if weapon == L.W_SPEAR:
            pygame.draw.line(c, (128, 92, 56), at(-0.35), at(1.1), max(2, cam.px(0.07 * scale)))
            tip = WEAPON_COLORS[L.W_SPEAR] if color is None else color
            pygame.draw.polygon(c, tip, [at(1.05, 0.13), at(1.5), at(1.05, -0.13)])
            pygame.draw.polygon(c, INK, [at(1.05, 0.13), at(1.5), at(1.05, -0.13)], 1)
        elif weapon == L.W_HAMMER:
            pygame.draw.line(c, (128, 92, 56), at(-0.12), at(0.8), max(2, cam.px(0.08 * scale)))
            head = [at(0.62, 0.3), at(0.98, 0.3), at(0.98, -0.3), at(0.62, -0.3)]
            body = WEAPON_COLORS[L.W_HAMMER] if color is None else color
            pygame.draw.polygon(c, body, head)
            pygame.draw.polygon(c, INK, head, max(1, cam.px(0.03)))

    # -- players -------------------------------------------------------------------------------------------
    def _phase(self, pi) -> tuple[int, str, float]:
        """(phase row, stage, progress) of a player's move: stage is charge/startup/active/recovery."""
        ph = int(pi[L.PHASE])
        if pi[L.STATE] != L.S_ATTACK or ph < 0:
            return -1, "", 0.0
        t = self.moves.pi[ph]
        f = int(pi[L.PHASE_FRAME])
        s, a, r = int(t[MV.PH_STARTUP]), int(t[MV.PH_ACTIVE]), int(t[MV.PH_RECOVERY])
        if t[MV.PH_CHARGE]:
            return ph, "charge", 0.0
        if f < s:
            return ph, "startup", (f + 1) / (s + 1)
        if f < s + a and t[MV.PH_NBOXES] > 0:
            return ph, "active", (f - s + 1) / max(a, 1)
        return ph, "recovery", min(1.0, (f - s - a + 1) / max(r, 1))

    def live_hitboxes(self, pf, pi) -> list[tuple[float, float, float, float, bool]]:
        """A player's live hitboxes as ``(centre x, centre y, width, height, spent)`` in world units.

        Live means the current phase's active frames (startup <= PHASE_FRAME < startup + active), boxes
        mirrored by facing; ``spent`` once the phase has hit (it cannot hit again).
        """
        ph, stage, _ = self._phase(pi)
        if stage != "active":
            return []
        x, y = float(pf[L.PX]), float(pf[L.PY])
        facing = 1 if pi[L.FACING] >= 0 else -1
        spent = bool(pi[L.PHASE_HIT])
        return [
            (x + facing * float(bx), y + float(by), float(bw), float(bh), spent)
            for bx, by, bw, bh in self.moves.boxes[ph, : int(self.moves.pi[ph, MV.PH_NBOXES])]
        ]

    def _aim(self, ph: int, x: float, y: float, facing: int) -> tuple[float, float, float]:
        """The first hitbox's centre (world) and the angle from the hand to it."""
        bx, by = self.moves.boxes[ph, 0, 0], self.moves.boxes[ph, 0, 1]
        hx, hy = x + facing * 0.28, y - 0.02
        cx, cy = x + facing * bx, y + by
        return cx, cy, math.atan2(cy - hy, cx - hx)

    def _draw_player(self, c: pygame.Surface, p: int, pf, pi, frame: int) -> None:
        state = int(pi[L.STATE])
        if state == L.S_KO:
            return
        cam = self.cam
        x, y = float(pf[L.PX]), float(pf[L.PY])
        facing = 1 if pi[L.FACING] >= 0 else -1
        weapon = int(pi[L.WEAPON])
        body = cam.rect(x - P.HALF_W, y - P.HALF_H, x + P.HALF_W, y + P.HALF_H)
        if not body.colliderect(c.get_rect().inflate(body.width * 2, body.height * 2)):
            return
        invuln = int(pi[L.INVULN_TIMER])
        blink = invuln > 0 and (invuln // 3) % 2 == 0
        ph, stage, prog = self._phase(pi)
        radius = cam.px(0.2)

        # Under-body effects: dash lines, charge glow.
        if state in (L.S_DASH, L.S_BACKDASH, L.S_SPRINTING):
            back = facing if state == L.S_BACKDASH else -facing  # lines trail behind the motion
            for k, dy in enumerate((0.25, 0.0, -0.25)):
                x0 = x + back * (P.HALF_W + 0.1 + 0.1 * k)
                pygame.draw.line(
                    c,
                    PLAYER_LIGHT[p],
                    cam.pt(x0, y + dy),
                    cam.pt(x0 + back * (0.45 - 0.1 * k), y + dy),
                    max(1, cam.px(0.04)),
                )
        if stage == "charge":
            charge = float(pf[L.MOVE_CHARGE])
            rr = cam.px(0.62 + 0.25 * charge + 0.04 * math.sin(frame * 0.9))
            glow = self.scratch(2 * rr + 2, 2 * rr + 2)
            pygame.draw.circle(glow, (255, 236, 140, int(70 + 110 * charge)), (rr + 1, rr + 1), rr)
            pygame.draw.circle(glow, (255, 250, 220, 220), (rr + 1, rr + 1), rr, max(1, cam.px(0.04)))
            cx, cy = cam.pt(x, y)
            c.blit(glow, (cx - rr - 1, cy - rr - 1), pygame.Rect(0, 0, 2 * rr + 2, 2 * rr + 2))

        # The body.
        if state == L.S_DODGE:
            ghost = self._ghosts[p]
            c.blit(ghost, (body.left - 2, body.top - 2))
        else:
            fill = PLAYER_COLORS[p]
            if state == L.S_STUN:
                fill = _mix(fill, (150, 150, 160), 0.45)
            if blink:
                fill = _mix(fill, WHITE, 0.6)
            pygame.draw.rect(c, fill, body, border_radius=radius)
            # A lighter chest panel and a darker lower half give the block a front.
            chest = pygame.Rect(
                body.left + body.width // 5,
                body.top + body.height // 2,
                body.width * 3 // 5,
                body.height // 3,
            )
            pygame.draw.rect(c, _mix(fill, BLACK, 0.18), chest, border_radius=max(1, radius // 2))
            pygame.draw.rect(
                c, PLAYER_DARK[p] if not blink else WHITE, body, max(2, cam.px(0.045)), border_radius=radius
            )
            # Headband tail streaming behind: facing at a glance even from behind.
            hb_y = y + 0.28
            tail = [
                cam.pt(x - facing * P.HALF_W, hb_y + 0.06),
                cam.pt(x - facing * (P.HALF_W + 0.32), hb_y + 0.14),
                cam.pt(x - facing * (P.HALF_W + 0.26), hb_y - 0.05),
                cam.pt(x - facing * P.HALF_W, hb_y - 0.06),
            ]
            pygame.draw.polygon(c, PLAYER_LIGHT[p], tail)
            c.fill(
                PLAYER_LIGHT[p], cam.rect(x - P.HALF_W + 0.04, hb_y - 0.06, x + P.HALF_W - 0.04, hb_y + 0.06)
            )
            # The eye, on the facing side.
            ex, ey = x + facing * 0.2, y + 0.1
            if state == L.S_STUN:
                k = cam.px(0.08)
                cx, cy = cam.pt(ex, ey)
                pygame.draw.line(c, INK, (cx - k, cy - k), (cx + k, cy + k), max(2, cam.px(0.04)))
                pygame.draw.line(c, INK, (cx - k, cy + k), (cx + k, cy - k), max(2, cam.px(0.04)))
            else:
                eye = cam.rect(ex - 0.11, ey - 0.09, ex + 0.11, ey + 0.09)
                pygame.draw.ellipse(c, WHITE, eye)
                pupil = cam.rect(ex + facing * 0.045 - 0.05, ey - 0.05, ex + facing * 0.045 + 0.05, ey + 0.05)
                pygame.draw.ellipse(c, INK, pupil)
                if state == L.S_ATTACK:  # a frown: effort
                    pygame.draw.line(
                        c,
                        INK,
                        cam.pt(ex - facing * 0.13, ey + 0.15),
                        cam.pt(ex + facing * 0.12, ey + 0.1),
                        max(2, cam.px(0.035)),
                    )
            # Feet.
            for fx in (-0.2, 0.2):
                foot = cam.rect(x + fx - 0.12, y - P.HALF_H - 0.02, x + fx + 0.12, y - P.HALF_H + 0.08)
                c.fill(PLAYER_DARK[p], foot)

        # The weapon (or fist), posed by the move's phase; a dodging ghost holds nothing visible.
        if state != L.S_DODGE:
            self._draw_held(c, p, x, y, facing, weapon, ph, stage, prog)

        # Over-body cues: swoosh on live frames, stun stars, taunt bubble, player tag.
        if stage == "active":
            self._draw_swoosh(c, self.live_hitboxes(pf, pi))
        if state == L.S_STUN:
            for k in range(3):
                a = frame * 0.3 + k * 2.0944
                sx, sy = cam.pt(x + 0.38 * math.cos(a), y + P.HALF_H + 0.22 + 0.1 * math.sin(a))
                self._star(c, sx, sy, cam.px(0.1), (255, 232, 90))
        if state == L.S_TAUNT:
            words = TAUNT_TEXT[int(pi[L.TAUNT_VARIANT]) % len(TAUNT_TEXT)]
            label = self.text(words, int(22 * cam.u), INK, shadow=False)
            bx, by = cam.pt(x + facing * 0.55, y + P.HALF_H + 0.55)
            bubble = label.get_rect(center=(bx, by)).inflate(int(12 * cam.u), int(6 * cam.u))
            pygame.draw.rect(c, WHITE, bubble, border_radius=int(8 * cam.u))
            pygame.draw.polygon(
                c,
                WHITE,
                [
                    (bubble.centerx - 4, bubble.bottom - 1),
                    (bubble.centerx + 4, bubble.bottom - 1),
                    cam.pt(x + facing * 0.2, y + P.HALF_H + 0.1),
                ],
            )
            c.blit(label, label.get_rect(center=bubble.center))
        if invuln > 0:
            rr = cam.px(0.78)
            pygame.draw.circle(c, WHITE if blink else PLAYER_LIGHT[p], cam.pt(x, y), rr, max(1, cam.px(0.03)))
        tag = self.text(f"P{p + 1}", max(11, int(15 * cam.u)), PLAYER_LIGHT[p])
        tx, ty = cam.pt(x, y + P.HALF_H + 0.12)
        if state == L.S_STUN:
            ty -= cam.px(0.3)
        a = max(3, int(4 * cam.u))
        pygame.draw.polygon(c, PLAYER_COLORS[p], [(tx - a, ty - a), (tx + a, ty - a), (tx, ty)])
        c.blit(tag, (tx - tag.get_width() // 2, ty - a - tag.get_height()))

    def _draw_held(self, c, p, x, y, facing, weapon, ph, stage, prog) -> None:
        cam = self.cam
        hx, hy = x + facing * 0.28, y - 0.02
        rest = {L.W_SPEAR: 0.25, L.W_HAMMER: 1.15}.get(weapon, 0.0)
        rest_angle = rest if facing > 0 else math.pi - rest
        angle, reach = rest_angle, 0.0
        if ph >= 0 and stage in ("startup", "active", "recovery", "charge"):
            _, _, aim = self._aim(ph, x, y, facing)
            if stage in ("startup", "charge"):
                wind = prog if stage == "startup" else 1.0
                angle = aim + facing * math.radians(100) * wind
                reach = -0.1 * wind
            elif stage == "active":
                angle, reach = aim, 1.0
            else:
                angle = aim + (rest_angle - aim) * prog
                reach = 1.0 - prog
        if weapon == L.W_PUNCH:
            cx, cy, _ = self._aim(ph, x, y, facing) if ph >= 0 else (hx, hy, 0.0)
            dist = min(math.hypot(cx - hx, cy - hy), 0.9) * max(reach, 0.0)
            fx, fy = hx + math.cos(angle) * dist, hy + math.sin(angle) * dist
            r = cam.px(0.13 if reach <= 0.5 else 0.17)
            pygame.draw.circle(c, WEAPON_COLORS[L.W_PUNCH], cam.pt(fx, fy), r)
            pygame.draw.circle(c, PLAYER_DARK[p], cam.pt(fx, fy), r, max(1, cam.px(0.035)))
        else:
            self._draw_tool(c, weapon, hx, hy, angle)
            pygame.draw.circle(c, PLAYER_DARK[p], cam.pt(hx, hy), cam.px(0.09))

    def _draw_swoosh(self, c, boxes) -> None:
        """Live hitboxes as white slashes: the attack reads even without the debug overlay."""
        cam = self.cam
        for cx, cy, bw, bh, spent in boxes:
            r = cam.rect(cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
            s = self.scratch(r.width + 4, r.height + 4)
            er = pygame.Rect(2, 2, r.width, r.height)
            pygame.draw.ellipse(s, (255, 255, 255, 40 if spent else 110), er)
            pygame.draw.ellipse(s, (255, 255, 255, 120 if spent else 230), er, max(2, cam.px(0.05)))
            c.blit(s, (r.left - 2, r.top - 2), pygame.Rect(0, 0, r.width + 4, r.height + 4))

    def _draw_hit_spark(self, c, pf, pi) -> None:
        cam = self.cam
        k = int(pi[L.STATE_FRAMES])
        cx, cy = cam.pt(float(pf[L.PX]), float(pf[L.PY]) + 0.1)
        r = cam.px(0.35 + 0.12 * k)
        self._star(c, cx, cy, r, (255, 246, 170), points=8, inner=0.35)
        self._star(c, cx, cy, r // 2, WHITE, points=8, inner=0.4)

    def _star(self, c, cx: float, cy: float, r: int, color, points: int = 5, inner: float = 0.45) -> None:
        pts = []
        for k in range(2 * points):
            a = math.pi * k / points - math.pi / 2
            rr = r if k % 2 == 0 else r * inner
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        pygame.draw.polygon(c, color, pts)

    def _draw_boxes(self, c, p, pf, pi) -> None:
        """Debug overlay: hurtbox capsule, live hitboxes (red; grey once spent), state and move."""
        cam = self.cam
        x, y = float(pf[L.PX]), float(pf[L.PY])
        state = int(pi[L.STATE])
        if state == L.S_KO:
            return
        open_ = state != L.S_DODGE and pi[L.INVULN_TIMER] == 0
        cap = cam.rect(x - P.HURT_HALF_W, y - P.HURT_HALF_H, x + P.HURT_HALF_W, y + P.HURT_HALF_H)
        pygame.draw.rect(
            c,
            (90, 255, 140) if open_ else (150, 150, 160),
            cap,
            max(1, cam.px(0.03)),
            border_radius=cam.px(P.HURT_HALF_W),
        )
        _, stage, _ = self._phase(pi)
        for cx, cy, bw, bh, spent in self.live_hitboxes(pf, pi):
            r = cam.rect(cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
            s = self.scratch(r.width, r.height)
            s.fill(SPENT_FILL if spent else HITBOX_FILL, pygame.Rect(0, 0, r.width, r.height))
            c.blit(s, r.topleft, pygame.Rect(0, 0, r.width, r.height))
            pygame.draw.rect(c, SPENT_EDGE if spent else HITBOX_EDGE, r, max(1, cam.px(0.03)))
        move = L.MOVE_NAMES[int(pi[L.MOVE])] if state == L.S_ATTACK else ""
        label = L.STATE_NAMES[state] + (f" | {move}: {stage} f{int(pi[L.PHASE_FRAME])}" if move else "")
        t = self.text(label, max(10, int(14 * cam.u)), PLAYER_LIGHT[p], shadow=False)
        lx, ly = cam.pt(x, y - P.HALF_H - 0.16)
        pill = t.get_rect(midtop=(lx, ly)).inflate(int(8 * cam.u), int(2 * cam.u))
        pygame.draw.rect(c, (10, 10, 18), pill, border_radius=int(4 * cam.u))
        c.blit(t, t.get_rect(center=pill.center))

    def _draw_ko_burst(self, c, p, pf, pi) -> None:
        """A burst where the player crossed the blast line, clamped to the screen edge, for 30 frames."""
        k = int(pi[L.STATE_FRAMES])
        if k > 30:
            return
        cam = self.cam
        w, h = self.size
        m = int(10 * cam.u)
        sx, sy = cam.fpt(float(pf[L.PX]), float(pf[L.PY]))
        ex, ey = min(max(sx, m), w - m), min(max(sy, m), h - m)
        t = k / 30.0
        cx, cy = w / 2, h / 2
        base = math.atan2(cy - ey, cx - ex)  # rays fan out toward the centre of the screen
        length = cam.px(1.2 + 3.5 * t)
        width = max(1, int(cam.px(0.28) * (1 - t)))
        for j in range(9):
            a = base + (j - 4) * 0.22
            inner = length * 0.25
            pygame.draw.line(
                c,
                PLAYER_LIGHT[p] if j % 2 else WHITE,
                (ex + inner * math.cos(a), ey + inner * math.sin(a)),
                (ex + length * math.cos(a), ey + length * math.sin(a)),
                width,
            )
        pygame.draw.circle(
            c, WHITE, (int(ex), int(ey)), max(2, int(cam.px(0.5 + 2.0 * t))), max(1, width // 2 + 1)
        )
        if k < 20:
            label = self.text("KO!", int(40 * cam.u), PLAYER_LIGHT[p], outline=max(2, int(3 * cam.u)))
            lw, lh = label.get_width() / 2 + m, label.get_height() / 2 + m
            lx = min(max(ex + math.cos(base) * cam.px(1.6), lw), w - lw)
            ly = min(max(ey + math.sin(base) * cam.px(1.6), lh), h - lh)
            c.blit(label, label.get_rect(center=(int(lx), int(ly))))

    def _draw_offscreen_marker(self, c, p, pf, pi) -> None:
        """A bubble at the screen edge pointing at a player who is out of view (but not knocked out)."""
        cam = self.cam
        w, h = self.size
        sx, sy = cam.fpt(float(pf[L.PX]), float(pf[L.PY]))
        half = cam.px(P.HALF_H)
        if -half <= sx <= w + half and -half <= sy <= h + half:
            return
        r = int(18 * cam.u)
        m = r + int(6 * cam.u)
        ex, ey = min(max(sx, m), w - m), min(max(sy, m), h - m)
        a = math.atan2(sy - ey, sx - ex)
        tip = (ex + (r + 8 * cam.u) * math.cos(a), ey + (r + 8 * cam.u) * math.sin(a))
        pygame.draw.polygon(
            c,
            PLAYER_COLORS[p],
            [
                tip,
                (ex + r * math.cos(a + 0.5), ey + r * math.sin(a + 0.5)),
                (ex + r * math.cos(a - 0.5), ey + r * math.sin(a - 0.5)),
            ],
        )
        pygame.draw.circle(c, (14, 15, 24), (int(ex), int(ey)), r)
        pygame.draw.circle(c, PLAYER_COLORS[p], (int(ex), int(ey)), r, max(2, int(2 * cam.u)))
        t = self.text(f"P{p + 1}", int(16 * cam.u), PLAYER_LIGHT[p])
        c.blit(t, t.get_rect(center=(int(ex), int(ey))))

    # -- HUD -------------------------------------------------------------------------------------------------
    def _draw_hud(self, c, pf, pi, frame: int) -> None:
        u = self.cam.u
        left = max(self.max_frames - frame, 0)
        secs = (left + FPS - 1) // FPS
        clock = self.text(
            f"{secs // 60}:{secs % 60:02d}", int(34 * u), (255, 120, 100) if secs <= 10 else WHITE
        )
        box = clock.get_rect(midtop=(self.size[0] // 2, int(8 * u))).inflate(int(18 * u), int(6 * u))
        pygame.draw.rect(c, (12, 13, 22), box, border_radius=int(8 * u))
        pygame.draw.rect(c, (70, 74, 100), box, max(1, int(u)), border_radius=int(8 * u))
        c.blit(clock, clock.get_rect(center=(box.centerx + 1, box.centery + 1)))
        for p in range(2):
            self._draw_panel(c, p, pf[p], pi[p])

    def _draw_panel(self, c, p, pf, pi) -> None:
        u = self.cam.u
        r = self._panel_rect(p)
        ko = pi[L.STATE] == L.S_KO
        flash = ko and pi[L.STATE_FRAMES] <= 24 and (int(pi[L.STATE_FRAMES]) // 3) % 2 == 0
        c.blit(self._panels[p], r.topleft)
        if flash:
            pygame.draw.rect(c, WHITE, r, max(3, int(3 * u)), border_radius=int(10 * u))
        pad = int(16 * u)
        name = self.text(self.names[p], int(18 * u), PLAYER_LIGHT[p])
        c.blit(name, (r.left + pad, r.top + int(7 * u)))
        # Stocks: filled for each left, hollow for each lost.
        sr = max(3, int(5 * u))
        stocks = int(pi[L.STOCKS])
        for k in range(max(self.stocks, stocks)):
            cx = r.left + pad + sr + k * (2 * sr + int(4 * u))
            cy = r.top + int(36 * u)
            if k < stocks:
                pygame.draw.circle(c, PLAYER_COLORS[p], (cx, cy), sr)
                pygame.draw.circle(c, WHITE, (cx, cy), sr, max(1, int(u)))
            else:
                pygame.draw.circle(c, (90, 92, 110), (cx, cy), sr, max(1, int(u)))
        # Held weapon.
        weapon = int(pi[L.WEAPON])
        wl = self.text(WEAPON_LABELS[weapon], max(10, int(13 * u)), WEAPON_COLORS[weapon])
        c.blit(wl, (r.left + pad, r.top + int(45 * u)))
        # Damage %.
        if ko:
            txt, col = "KO", (150, 150, 160)
        else:
            pct = float(pf[L.DAMAGE]) * 5.0 / 7.0
            txt, col = f"{int(pct + 0.5)}%", damage_color(pct)
        dmg = self.text(txt, int(46 * u), col)
        c.blit(dmg, dmg.get_rect(midright=(r.right - int(10 * u), r.centery + int(2 * u))))

    def _draw_result(self, c, result: int, done: int) -> None:
        u = self.cam.u
        band = self._band
        top = self.size[1] // 2 - band.get_height() // 2
        c.blit(band, (0, top))
        title = self.text("GAME!" if ended_by(done) == "stocks" else "TIME!", int(64 * u), WHITE)
        c.blit(title, title.get_rect(center=(self.size[0] // 2, top + int(44 * u))))
        p = winner(result)
        if p is not None:
            sub = self.text(f"{self.names[p]} wins", int(34 * u), PLAYER_LIGHT[p])
        else:
            sub = self.text("draw", int(34 * u), WHITE)
        c.blit(sub, sub.get_rect(center=(self.size[0] // 2, top + int(96 * u))))

    def draw_banner(self, lines: Sequence[str], c: pygame.Surface | None = None) -> None:
        """A centred message band over the canvas (pause screen, help)."""
        c = self.canvas if c is None else c
        u = self.cam.u
        band = self._band
        top = self.size[1] // 2 - band.get_height() // 2
        c.blit(band, (0, top))
        for k, line in enumerate(lines):
            t = self.text(line, int((56 if k == 0 else 22) * u), WHITE)
            y = top + int((40 if k == 0 else 78 + 24 * (k - 1)) * u)
            c.blit(t, t.get_rect(center=(self.size[0] // 2, y)))
