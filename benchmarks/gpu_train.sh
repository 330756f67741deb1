#!/usr/bin/env bash
# The GPU benchmark, as run on the lent device (one H100/H200): the full10m settings with the full-size
# model for a fixed time, the encoder against the literal design, and where the time goes (a vector step
# split by part: bench train --profile).
# Usage there: bash benchmarks/gpu_train.sh SECONDS   (results as JSON under $OUT, or ./gpu_out)
set -uo pipefail
SECONDS_TIMED=${1:-150}
OUT=${OUT:-gpu_out}
mkdir -p "$OUT"
if [ -d .whl ]; then  # packages the device image lacks travel as wheels (see docs/benchmarks.md)
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch, numba, numpy; print('torch', torch.__version__, 'numba', numba.__version__, 'numpy', numpy.__version__, 'cuda', torch.cuda.is_available(), 'cpus', __import__('os').cpu_count())" | tee -a "$OUT/gpu.txt"
t0=$(date +%s)
python3 -c "import brawl_env; e = brawl_env.BatchEnv(2); e.reset(); import numpy as np; e.step(np.zeros((2,2,10),np.uint8))"
echo "engine compile: $(( $(date +%s) - t0 )) s" | tee -a "$OUT/gpu.txt"
python3 benchmarks/bench_encoder.py --device cuda --envs 64 --seq 64 --json > "$OUT/encoder.json"; cat "$OUT/encoder.json"
python3 -m brawl_league.cli bench train --preset full10m --device cuda --seconds "$SECONDS_TIMED" --json > "$OUT/train_full10m.json"
cat "$OUT/train_full10m.json"
python3 -m brawl_league.cli bench train --preset full10m --device cuda --seconds 40 --set ppo.n_envs=256 --set ppo.batch_size=4096 --json > "$OUT/train_full10m_256envs.json"
cat "$OUT/train_full10m_256envs.json"
# Where a vector step's time goes on the GPU (issue 14; docs/benchmarks.md, "A lean rollout step"): the
# full10m preset's rollouts split by part, each part synchronised with the device, so its env-steps/s is
# lower than the runs above and not the figure to quote.
python3 -m brawl_league.cli bench train --preset full10m --device cuda --seconds 40 --profile --json > "$OUT/profile_full10m.json"
python3 -c "import json, sys; p = json.load(open(sys.argv[1]))['profile']; print({k: round(v, 3) for k, v in p['parts_ms'].items()})" "$OUT/profile_full10m.json"
