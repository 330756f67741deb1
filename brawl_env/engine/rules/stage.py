"""GAME.md "Stage": two solid floors with a pit between them and a one-way moving platform.

Contact is real geometry: a body lands when its bottom crosses a surface's top during the frame, and
then rests exactly on it (no collision slop, no hard-coded heights).
"""

from __future__ import annotations

import math

from ..._jit import kernel
from .. import layout as L
from .. import params as P

_SEG_DX = P.PLAT_BX - P.PLAT_AX
_SEG_DY = P.PLAT_BY - P.PLAT_AY
SEG_LEN = math.hypot(_SEG_DX, _SEG_DY)
_UX, _UY = _SEG_DX / SEG_LEN, _SEG_DY / SEG_LEN


@kernel
def place_platform(mf, m, s, d):
    """Stage: put the platform at arc position ``s`` along A->B, heading ``d`` (+1 toward B)."""
    speed = math.sin(math.pi * s / SEG_LEN) + P.PLAT_SPEED_BASE
    mf[m, L.PLAT_S] = s
    mf[m, L.PLAT_DIR] = d
    mf[m, L.PLAT_X] = P.PLAT_AX + _UX * s
    mf[m, L.PLAT_Y] = P.PLAT_AY + _UY * s
    mf[m, L.PLAT_VX] = _UX * d * speed
    mf[m, L.PLAT_VY] = _UY * d * speed


@kernel
def move_platform(mf, m):
    """Stage: advance the moving platform one frame; returns its displacement (dx, dy).

    Speed is sin(pi * progress) + 0.03 u/s along the diagonal; it reverses within 0.1 of a waypoint,
    which gives the original's 290-frame period.
    """
    s = mf[m, L.PLAT_S]
    d = mf[m, L.PLAT_DIR]
    x0, y0 = mf[m, L.PLAT_X], mf[m, L.PLAT_Y]
    speed = math.sin(math.pi * s / SEG_LEN) + P.PLAT_SPEED_BASE
    s = s + d * speed * P.DT
    if d > 0.0 and SEG_LEN - s < P.PLAT_TURN_DIST:
        d = -1.0
    elif d < 0.0 and s < P.PLAT_TURN_DIST:
        d = 1.0
    mf[m, L.PLAT_S] = s
    mf[m, L.PLAT_DIR] = d
    x1 = P.PLAT_AX + _UX * s
    y1 = P.PLAT_AY + _UY * s
    mf[m, L.PLAT_X] = x1
    mf[m, L.PLAT_Y] = y1
    mf[m, L.PLAT_VX] = (x1 - x0) / P.DT
    mf[m, L.PLAT_VY] = (y1 - y0) / P.DT
    return x1 - x0, y1 - y0


@kernel
def surface_top(mf, m, sup):
    """Stage: height of the top of surface ``sup``."""
    if sup == L.SUP_FLOOR_RIGHT:
        return P.FLOOR_R_TOP
    if sup == L.SUP_FLOOR_LEFT:
        return P.FLOOR_L_TOP
    return mf[m, L.PLAT_Y] + P.PLAT_HALF_H


@kernel
def over_surface(mf, m, sup, x):
    """Stage: a body centred at ``x`` overlaps surface ``sup`` horizontally."""
    if sup == L.SUP_FLOOR_RIGHT:
        return x + P.HALF_W > P.FLOOR_R_X0 and x - P.HALF_W < P.FLOOR_R_X1
    if sup == L.SUP_FLOOR_LEFT:
        return x + P.HALF_W > P.FLOOR_L_X0 and x - P.HALF_W < P.FLOOR_L_X1
    if sup == L.SUP_PLATFORM:
        return abs(x - mf[m, L.PLAT_X]) < P.PLAT_HALF_W + P.HALF_W
    return False


@kernel
def collide_floor(x0, y0, x1, y1, vx, vy, fx0, fx1, ftop, fbottom):
    """Stage: push a body that moved from (x0, y0) to (x1, y1) out of a solid floor box.

    Returns (x1, y1, vx, vy, landed). The side the body came from decides the push: from above it
    lands on top, from below it hits the underside, otherwise it is stopped at the wall.
    """
    if not (x1 + P.HALF_W > fx0 and x1 - P.HALF_W < fx1 and y1 - P.HALF_H < ftop and y1 + P.HALF_H > fbottom):
        return x1, y1, vx, vy, False
    if y0 - P.HALF_H >= ftop - P.EPS:
        return x1, ftop + P.HALF_H, vx, vy, True
    if y0 + P.HALF_H <= fbottom + P.EPS:
        return x1, fbottom - P.HALF_H, vx, min(vy, 0.0), False
    if x0 < 0.5 * (fx0 + fx1):
        return fx0 - P.HALF_W, y1, min(vx, 0.0), vy, False
    return fx1 + P.HALF_W, y1, max(vx, 0.0), vy, False


@kernel
def lands_on_platform(mf, m, y0, x1, y1, plat_top0):
    """Stage: the one-way platform catches a body whose bottom crossed its top from above this frame."""
    top1 = mf[m, L.PLAT_Y] + P.PLAT_HALF_H
    return (
        y0 - P.HALF_H >= plat_top0 - P.EPS
        and y1 - P.HALF_H <= top1
        and abs(x1 - mf[m, L.PLAT_X]) < P.PLAT_HALF_W + P.HALF_W
    )
