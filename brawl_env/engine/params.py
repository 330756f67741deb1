"""Rule constants of the game, in world units (+y up), seconds and frames.

Numbers come from ``GAME.md`` and the original's measured figures (facts file, sections 1-2). Where we
chose a value the original did not have, or fixed one of its bugs, the comment says so; ``docs/rules.md``
lists every such change. Kernels read these as compile-time constants.
"""

FPS = 30
DT = 1.0 / FPS

# --- stage (GAME.md "Stage"; facts 1.2 flipped to y-up) -----------------------------------------------
FLOOR_R_X0, FLOOR_R_X1, FLOOR_R_TOP, FLOOR_R_BOTTOM = 2.0, 7.0, -0.85, -5.0
FLOOR_L_X0, FLOOR_L_X1, FLOOR_L_TOP, FLOOR_L_BOTTOM = -7.0, -2.0, -2.85, -7.0
PLAT_HALF_W, PLAT_HALF_H = 1.0, 0.1
# The platform moves on the segment A -> B and back, starting at its midpoint heading for B.
PLAT_AX, PLAT_AY = 1.0, 0.0
PLAT_BX, PLAT_BY = -1.0, -2.0
PLAT_TURN_DIST = 0.1  # reverses when this close to a waypoint (measured turning points +-0.93)
PLAT_SPEED_BASE = 0.03  # speed = sin(pi * progress) + base, peaking at 1.03 u/s
DROP_THROUGH_FRAMES = 8  # frames the platform is ignored after S drops a player through it

# --- blast zone, stocks, respawn (GAME.md "Players"; the original truncated these to 14 and 8) -----------
BLAST_X, BLAST_Y = 14.9, 8.4
RESPAWN_FRAMES = 90
RESPAWN_INVULN_FRAMES = 90
SPAWN_RIGHT_X, SPAWN_LEFT_X, SPAWN_Y = 5.0, -5.0, 0.0
# spawn = "same_floor" (a training curriculum, not the original's rule): both start over the right floor
SAME_FLOOR_RIGHT_X, SAME_FLOOR_LEFT_X = 6.0, 3.0
# Seeded start conditions (docs/rules.md, "Randomness"): each player's spawn x is drawn once per episode
# within SPAWN_JITTER of its spawn point (the point stays that player's respawn point for the episode), and
# the platform starts anywhere on its track, heading either way. Two fixed bots then play different games
# for different seeds instead of the same game from each side.
SPAWN_JITTER = 1.0  # spawn x uniform in [base - 1, base + 1]: (4, 6) right, (-6, -4) left
SAME_FLOOR_JITTER = 0.5  # the same_floor curriculum's points (6 and 3) keep inside the right floor
DAMAGE_CAP = 700.0

# --- body (GAME.md "Players"): players rest exactly on surfaces, no collision slop -------------------
HALF_W, HALF_H = 0.435, 0.5  # body 0.87 x 1.0
HURT_HALF_W, HURT_HALF_H = 0.464, 0.512  # hurtbox capsule 0.928 x 1.024

# --- movement (facts 1.5) ----------------------------------------------------------------------------------
GRAVITY = 17.808  # u/s^2
WALK_SPEED = 6.75
RUN_SPEED = 8.0
DASH_SPEED, DASH_FRAMES = 10.0, 9
BACKDASH_SPEED, BACKDASH_FRAMES = 4.0, 7
JUMP_SPEED = 8.9
AIR_JUMPS = 2
AIR_JUMP_COOLDOWN = 6
RECOVERIES = 1
AIR_ACCEL = 10.75 / FPS  # per frame, toward +-WALK_SPEED while a direction is held in the air
MAX_FALL_SPEED = 12.0  # normal terminal fall speed
FAST_FALL_ACCEL = 14.25 / FPS  # extra per-frame pull while S is held and falling
FAST_FALL_SPEED = 16.0  # our cap on fast-fall (the original had none and crept past 12 forever)
GROUND_STOP = 6.75  # per frame, toward 0 when no direction is held on the ground
AIR_TURN_DIVISOR = 3.0
STUN_DRIFT_DAMP = 0.239  # per frame, vx toward 0 while stunned
STUN_BOUNCE = 0.7  # a falling stunned player bounces off a floor with vy * -0.7 ...
STUN_BOUNCE_MIN = 1.0  # ... when falling faster than this; slower, it comes to rest (our choice)
DODGE_FRAMES = 10
DODGE_COOLDOWN_GROUND = 30  # counted from the dodge's first frame
DODGE_COOLDOWN_AIR = 82
TAUNT_FRAMES = 30
TAUNT_VARIANTS = 3

# Contact tolerance: a body whose bottom is within this of a surface top counts as touching it.
EPS = 1e-9

# --- weapons and spawners (GAME.md "Weapons"; facts section 4) ------------------------------------------
# Spawner 0 is above the right floor, spawner 1 above the left; the weapon appears resting on the floor
# at a random x in the range (the original dropped it from 0.15 above).
SPAWNER_X_RANGES = ((2.6, 6.5), (-6.5, -2.6))
SPAWNER_FLOOR_TOPS = (FLOOR_R_TOP, FLOOR_L_TOP)
WEAPON_HALF = 0.415  # weapon body 0.83 x 0.83
SPAWN_FIRST_MAX = 350  # first spawn at a uniform frame in [0, 350]
SPAWN_COOLDOWN_MIN, SPAWN_COOLDOWN_MAX = 500, 700  # each spawner's base cooldown
SPAWN_REDRAW_LO, SPAWN_REDRAW_HI = 0.5, 1.5  # later waits: base x uniform(0.5, 1.5)
SPAWN_DESPAWN = 350  # a spawned weapon nobody takes disappears after this many frames
SPAWN_PICKUP_LOCK = 36  # frames after a spawn before it can be taken (the original's value)
PICKUP_HALF_W, PICKUP_HALF_H = 0.75, 0.415  # pickup area 1.5 x 0.83 around the weapon
DROP_OFFSET_X = -0.1  # a dropped weapon appears just behind the dropper, at its feet
DROPPED_LIFE = 250
REPICK_LOCK = 15  # the dropper cannot take its dropped weapon back for this long
