"""The league: players (snapshots and bots), ratings, match results, opponent sampling, and the
``brawl-league`` command line.

The game (``brawl_env``) knows nothing of leagues; the league knows the game. Heavy modules are imported
inside the functions that need them, so importing this package stays cheap.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("brawl-league")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
