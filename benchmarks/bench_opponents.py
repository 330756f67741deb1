"""Opponent benchmark script: the same as ``brawl-league bench opponents`` (options passed through).

    python benchmarks/bench_opponents.py [--json] [--count 1 --count 4] [--repeats R] [--threads T]

The implementation lives in ``brawl_league/bench.py``; this file only forwards to the CLI so there is one.
"""

import sys

from brawl_league.cli import app

if __name__ == "__main__":
    app(["bench", "opponents", *sys.argv[1:]], prog_name="brawl-league")
