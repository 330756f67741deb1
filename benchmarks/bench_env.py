"""Environment benchmark script: the same as ``brawl-league bench env`` (options passed through).

    python benchmarks/bench_env.py [--json] [--quick] [--seconds S] [--repeats R]

The implementation lives in ``brawl_league/bench.py``; this file only forwards to the CLI so there is one.
"""

import sys

from brawl_league.cli import app

if __name__ == "__main__":
    app(["bench", "env", *sys.argv[1:]], prog_name="brawl-league")
