"""brawl_league: the application layer: the ``brawl-league`` command, the HTML report and the benchmark
commands.

It sits on top of the four library packages (``brawl_env``, ``league``, ``trainers``, ``tournament``)
and may import any of them, but only inside the command that needs it: importing this package, or its
command line, loads neither the engine nor torch.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("brawl-league")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
