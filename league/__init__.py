"""The league: players (snapshots and bots), ratings, match results, opponent sampling.

The game (``brawl_env``) knows nothing of leagues; the league knows the game and nothing above it (the
command line lives in ``brawl_league``). Heavy modules are imported inside the functions that need
them, so importing this package stays cheap.
"""
