"""Strategy encoder: our design (each frame encoded once) against the literal one (re-encode 90 frames).

The literal design is the training guide's: a 6-layer, 8-head, 256-wide self-attention transformer
(PyTorch's ``TransformerEncoder``) over the opponent's last 90 frames, re-run from scratch at every
step, then attention-pooled. Ours: a per-frame token computed once, cached keys/values, and one query
reading the window through the layers. Figures (medians of ``--repeats``):

- ``*_rollout_steps_per_s``: env-steps/s of the encoder alone at rollout time (batch ``--envs``);
- ``*_train_samples_per_s``: training samples/s (forward + backward) over sequences of ``--seq``.

    python benchmarks/bench_encoder.py [--device cpu|cuda] [--envs 64] [--seq 64] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn

from trainers.transformer_lstm_ppo.encoder import StrategyEncoder

IN_DIM, D, HEADS, LAYERS, WINDOW, FFN = 62, 256, 8, 6, 90, 1024


class LiteralEncoder(nn.Module):
    """The guide's encoder: embed, sinusoid-free learned positions, 6 self-attention layers, pooling."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(IN_DIM, D), nn.LayerNorm(D), nn.ReLU())
        self.pos = nn.Parameter(torch.zeros(WINDOW, D))
        layer = nn.TransformerEncoderLayer(
            D, HEADS, FFN, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        )
        self.layers = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
        self.pool = nn.Sequential(nn.Linear(D, 128), nn.Tanh(), nn.Linear(128, 1))

    def forward(self, frames, pad_mask):
        x = self.layers(self.embed(frames) + self.pos, src_key_padding_mask=pad_mask)
        w = self.pool(x).squeeze(-1).masked_fill(pad_mask, float("-inf")).softmax(-1)
        return (w.unsqueeze(-1) * x).sum(1)


def _time(fn, repeats: int, min_s: float, sync) -> float:
    fn()
    sync()
    rates = []
    for _ in range(repeats):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < min_s:
            fn()
            n += 1
        sync()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def main() -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--envs", type=int, default=64)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    dev = torch.device(args.device)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    ours = StrategyEncoder(IN_DIM, D, HEADS, LAYERS, WINDOW, FFN).to(dev)
    literal = LiteralEncoder().to(dev)
    n, seq = args.envs, args.seq
    out = {
        "device": str(dev),
        "envs": n,
        "seq": seq,
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name(0) if dev.type == "cuda" else None,
        "threads": torch.get_num_threads(),
    }

    # rollout: one new frame per env per step
    cache = ours.new_cache(n, device=dev)
    frame = torch.randn(n, IN_DIM, device=dev)
    window = torch.randn(n, WINDOW, IN_DIM, device=dev)
    pad = torch.zeros(n, WINDOW, dtype=torch.bool, device=dev)

    @torch.no_grad()
    def ours_step():
        ours.step(frame, cache)

    @torch.no_grad()
    def literal_step():
        literal(window, pad)

    out["ours_rollout_steps_per_s"] = n * _time(ours_step, args.repeats, args.seconds, sync)
    out["literal_rollout_steps_per_s"] = n * _time(literal_step, args.repeats, args.seconds, sync)

    # training: a minibatch of `envs` sequences of `seq` steps, forward + backward
    frames = torch.randn(n, WINDOW - 1 + seq, IN_DIM, device=dev)
    episode = torch.zeros(n, WINDOW - 1 + seq, dtype=torch.long, device=dev)

    def ours_train():
        ours.encode_windows(frames, episode, seq).sum().backward()

    windows = torch.randn(n * seq, WINDOW, IN_DIM, device=dev)
    pads = torch.zeros(n * seq, WINDOW, dtype=torch.bool, device=dev)

    def literal_train():
        literal(windows, pads).sum().backward()

    out["ours_train_samples_per_s"] = n * seq * _time(ours_train, args.repeats, args.seconds, sync)
    out["literal_train_samples_per_s"] = n * seq * _time(literal_train, args.repeats, args.seconds, sync)
    out["rollout_speedup"] = out["ours_rollout_steps_per_s"] / out["literal_rollout_steps_per_s"]
    out["train_speedup"] = out["ours_train_samples_per_s"] / out["literal_train_samples_per_s"]
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))
    return out


if __name__ == "__main__":
    main()
