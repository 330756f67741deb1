"""How torch's OpenMP threads behave on a busy machine: a small LSTM forward+backward loop (the size of
the smoke preset's update work) in child processes with 1 thread, 2 threads, and 2 threads with
``OMP_WAIT_POLICY=PASSIVE`` (which ``brawl-league`` sets unless the user did; docs/benchmarks.md).

    python benchmarks/bench_omp_wait.py [--seconds S]

The variable must be set before torch is imported, hence one child process per setting.
"""

import argparse
import json
import os
import subprocess
import sys

CHILD = """
import sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
seconds = float(sys.argv[2])
lstm = torch.nn.LSTM(96, 64)
xs, x = torch.randn(64, 8, 96), torch.randn(512, 96)
w = torch.randn(96, 256, requires_grad=True)
t0, n = time.perf_counter(), 0
while time.perf_counter() - t0 < seconds:
    out, _ = lstm(xs)
    out.sum().backward()
    (x @ w).sum().backward()
    n += 1
print(n / (time.perf_counter() - t0))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    results = {}
    for label, threads, policy in (
        ("1 thread", 1, None),
        ("2 threads", 2, None),
        ("2 threads, OMP_WAIT_POLICY=PASSIVE", 2, "PASSIVE"),
    ):
        env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
        if policy:
            env["OMP_WAIT_POLICY"] = policy
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(threads), str(args.seconds)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        results[label] = round(float(out.stdout.strip().splitlines()[-1]), 1)
    results["loadavg"] = os.getloadavg()[0]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
