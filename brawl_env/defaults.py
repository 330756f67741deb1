"""The game's default rules, in one place and free of imports, so that even the command line's module
(which must import quickly) reads them from here rather than spelling them again."""

#: 2,700 frames: 90 s at 30 frames a second, the original's match and the tournament's rule
MAX_FRAMES = 2700
#: stocks (lives) per player
STOCKS = 3
