"""The engine: the whole game state of N matches as flat arrays, stepped by compiled kernels.

Nothing here imports a door (PettingZoo, BatchEnv) or pygame. See ``step.py`` for the order in which
the rules run each frame.
"""
