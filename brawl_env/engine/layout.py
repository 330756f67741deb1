"""Named indices into the engine's state arrays.

The state of N matches is a handful of flat arrays (see ``state.py``). Each row of a per-player array
is one player's fields; these constants name the columns, so kernels read ``pf[m, p, PX]`` rather than
magic numbers. Numba freezes module-level integers at compile time, so naming costs nothing.

Enumerations that users see (player states, keys) keep the original game's order.
"""

# fmt: off
# (a table of columns, aligned by hand; `ruff format` leaves this file as it is)

# --- keys: MultiBinary(10), in the original's order -------------------------------------------------
K_UP, K_LEFT, K_DOWN, K_RIGHT, K_JUMP, K_PICKUP, K_DASH, K_LIGHT, K_HEAVY, K_TAUNT = range(10)
N_KEYS = 10
KEY_NAMES = ("up", "left", "down", "right", "jump", "pickup", "dash", "light", "heavy", "taunt")
KEY_LETTERS = ("W", "A", "S", "D", "Space", "H", "L", "J", "K", "G")

# --- player states (GAME.md "Players"; facts section 2, same index order) ---------------------------
S_WALKING = 0
S_STANDING = 1
S_TURNAROUND = 2
S_AIR_TURNAROUND = 3
S_SPRINTING = 4
S_STUN = 5
S_IN_AIR = 6
S_DODGE = 7
S_ATTACK = 8
S_DASH = 9
S_BACKDASH = 10
S_KO = 11
S_TAUNT = 12
N_STATES = 13
STATE_NAMES = (
    "walking", "standing", "turnaround", "air_turnaround", "sprinting", "stun", "in_air",
    "dodge", "attack", "dash", "backdash", "ko", "taunt",
)

# --- surfaces a player can stand on ----------------------------------------------------------------
SUP_NONE, SUP_FLOOR_RIGHT, SUP_FLOOR_LEFT, SUP_PLATFORM = 0, 1, 2, 3

# --- weapons -----------------------------------------------------------------------------------------
W_PUNCH, W_SPEAR, W_HAMMER = 0, 1, 2
N_WEAPONS = 3
WEAPON_NAMES = ("punch", "spear", "hammer")

# --- move slots (facts 3.1); 0 = no move. Filled by the combat rules. ---------------------------------
N_MOVE_SLOTS = 12  # none + 11 slots
MOVE_NAMES = (
    "none", "nlight", "dlight", "slight", "nsig", "dsig", "ssig", "nair", "dair", "sair",
    "recovery", "groundpound",
)

# --- per-player floats: pf[m, p, :] (float64) ----------------------------------------------------------
PX, PY, VX, VY, DAMAGE, SPAWN_X, SPAWN_Y, MOVE_CHARGE = range(8)
N_PF = 8

# --- per-player ints: pi[m, p, :] (int32) ----------------------------------------------------------------
(
    STATE,          # S_* index
    TIMER,          # frames left in a timed state (dash, backdash, dodge, taunt, stun, KO, turnarounds)
    STATE_FRAMES,   # frames spent in the current state
    FACING,         # +1 right, -1 left
    SUPPORT,        # SUP_* surface the player stands on, SUP_NONE when airborne
    JUMPS_LEFT,     # air jumps left (0-2)
    RECOVERIES_LEFT,
    JUMP_COOLDOWN,  # frames before another air jump
    DODGE_COOLDOWN,
    INVULN_TIMER,   # respawn invulnerability frames left
    STOCKS,
    WEAPON,         # W_* index
    MOVE,           # move slot 0-11 (0 = none)
    MOVE_FRAME,     # frames into the current move
    KEYS,           # keys held this frame, bit k = key k
    PREV_KEYS,      # keys held last frame
    LAST_HDIR,      # -1/+1: the horizontal key pressed most recently (decides when both are held)
    DROP_TIMER,     # frames during which the platform is ignored after a drop-through
    TAUNT_VARIANT,  # 0-2, drawn from the match generator (for rendering)
    SIDE,           # 0 spawned right, 1 spawned left
    PHASE,          # row of the current move phase in the move table, -1 when not attacking
    PHASE_FRAME,    # frames into the current phase
    PHASE_HIT,      # 1 once the current phase has hit (a phase hits a target at most once)
    CHARGE_FRAMES,  # frames spent in a charge phase
    NO_GRAVITY,     # 1 while the current phase hovers
) = range(25)
N_PI = 26

# --- per-match floats: mf[m, :] (float64) ------------------------------------------------------------------
PLAT_X, PLAT_Y, PLAT_VX, PLAT_VY, PLAT_S, PLAT_DIR = range(6)
N_MF = 6

# --- items: weapons on the stage, it[m, i, :] (int32) and itf[m, i, :] (float64) ------------------------------
# Items 0 and 1 are the two spawners (right, left); items 2.. are dropped ("loose") weapons.
N_SPAWNERS = 2
N_LOOSE = 4
N_ITEMS = N_SPAWNERS + N_LOOSE
# kinds
I_EMPTY, I_WAITING, I_SHOWING, I_LOOSE = 0, 1, 2, 3
# int columns
(IKIND, IWEAPON, ITIMER, IAGE, ILOCK_PLAYER, ILOCK_TIMER, ICOOLDOWN, ISUPPORT, ILIFE) = range(9)
N_IT = 9
# float columns
IX, IY, IVY = range(3)
N_ITF = 3

# --- per-match ints: mi[m, :] (int64) ------------------------------------------------------------------------
FRAME, DONE, RESULT, EPISODE = range(4)
N_MI = 8
# DONE values
RUNNING, TERMINATED, TRUNCATED = 0, 1, 2
# RESULT values (from player 0's side: who won)
R_NONE, R_P0_WINS, R_P1_WINS, R_DRAW = 0, 1, 2, 3

# --- config: cfg[:] (int64), one row shared by all matches of an engine ------------------------------------
CFG_MAX_FRAMES, CFG_STOCKS, CFG_DAMAGE_TIEBREAK, CFG_SAME_FLOOR = range(4)
N_CFG = 4

# --- events of one frame: ev[m, p, :] (float32), from player p's point of view -----------------------------
EVENT_NAMES = (
    "damage_dealt",      # damage points dealt this frame
    "damage_taken",
    "hit_landed",        # hits landed this frame
    "hit_taken",
    "combo_landed",      # hits landed on a stunned opponent
    "combo_taken",
    "knockout_dealt",    # the opponent was knocked out this frame (by any cause)
    "knocked_out",       # this player was knocked out (lost a stock) this frame
    "weapon_pickup",     # 0 none, 1 spear, 2 hammer
    "pickup_source",     # 0 none, 1 spawner, 2 dropped weapon
    "weapon_drop",
    "dodge",             # a dodge started
    "attack_started",    # move slot that started (0 = none)
    "jump",              # a ground or air jump started
    "landed",
    "respawned",
    "won",
    "lost",
    "drawn",
)
(
    EV_DAMAGE_DEALT, EV_DAMAGE_TAKEN, EV_HIT_LANDED, EV_HIT_TAKEN, EV_COMBO_LANDED, EV_COMBO_TAKEN,
    EV_KO_DEALT, EV_KNOCKED_OUT, EV_PICKUP, EV_PICKUP_SOURCE, EV_DROP, EV_DODGE, EV_ATTACK_STARTED,
    EV_JUMP, EV_LANDED, EV_RESPAWNED, EV_WON, EV_LOST, EV_DRAWN,
) = range(len(EVENT_NAMES))
N_EV = len(EVENT_NAMES)

# --- match statistics, accumulated over an episode: st[m, p, :] (float64) ------------------------------------
STAT_NAMES = (
    "damage_dealt", "damage_taken", "knockouts_dealt", "knockouts_taken", "stocks_left",
    "weapon_pickups", "attacks_started", "hits_landed", "frames_alive", "dodges", "jumps",
)
(
    ST_DAMAGE_DEALT, ST_DAMAGE_TAKEN, ST_KOS_DEALT, ST_KOS_TAKEN, ST_STOCKS_LEFT, ST_PICKUPS,
    ST_ATTACKS, ST_HITS, ST_FRAMES_ALIVE, ST_DODGES, ST_JUMPS,
) = range(len(STAT_NAMES))
N_ST = len(STAT_NAMES)
