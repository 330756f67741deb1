"""The strategy encoder: a transformer that reads the opponent's last 90 frames, each encoded once.

The literal design (re-encode a 90-frame window through 6 self-attention layers at every step) costs
90 tokens x 6 layers per step and trains at a few env-steps/s. Here every frame becomes a token once:

- ``token = embed(frame)``: a per-frame MLP of the opponent's observation block;
- each of the 6 layers projects every token to a key and a value once (tokens do not change across
  layers), so a frame's keys and values are computed once and cached;
- a single **query**, started from the current frame's token, reads the window through the 6 layers
  (cross-attention + feed-forward, pre-norm, residual). Where a token sits in the window enters as a
  learned per-layer, per-head bias on the attention score by the token's age (0 = this frame, 89 = the
  oldest), so cached keys never need re-projecting;
- frames of an earlier episode, and the zero padding at an episode's start, are masked out.

The result is the 256-d strategy latent. The same arithmetic runs in two layouts: ``step`` keeps a
per-row ring buffer of keys/values for rollouts and inference (one new token per frame), and
``encode_windows`` encodes whole training sequences at once (each frame once, a banded mask per
query). Both give the same latent for the same frames (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class EncoderCache:
    """Per-row rolling window for rollouts: keys/values of the last ``window`` frames of each row.

    ``kv``: (rows, layers, 2, heads, window, head_dim); ``valid``: (rows, window) bool; ``ptr``: (rows,)
    long, the slot of each row's newest frame.
    """

    kv: torch.Tensor
    valid: torch.Tensor
    ptr: torch.Tensor

    def reset_rows(self, rows: torch.Tensor) -> None:
        """Forget rows' history (an episode starts there)."""
        self.valid[rows] = False


class _ReadLayer(nn.Module):
    def __init__(self, d: int, heads: int, ffn: int, dropout: float):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.ln_q = nn.LayerNorm(d)
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.out = nn.Linear(d, d)
        self.ln_f = nn.LayerNorm(d)
        self.ffn = nn.Sequential(nn.Linear(d, ffn), nn.GELU(), nn.Dropout(dropout), nn.Linear(ffn, d))
        self.drop = nn.Dropout(dropout)

    def project_kv(self, tokens: torch.Tensor) -> torch.Tensor:
        """(..., T, d) -> (..., 2, heads, T, dh)."""
        kv = self.kv(tokens)
        *lead, t, _ = kv.shape
        n = len(lead)
        kv = kv.view(*lead, t, 2, self.heads, self.dh)  # (..., T, 2, H, dh)
        return kv.permute(*range(n), n + 1, n + 2, n, n + 3)  # (..., 2, H, T, dh)

    def read(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """q (..., d); k, v (..., heads, T, dh); bias (..., heads, T) with -inf where masked."""
        h = self.q(self.ln_q(q)).view(*q.shape[:-1], self.heads, 1, self.dh)
        att = F.scaled_dot_product_attention(
            h, k, v, attn_mask=bias.unsqueeze(-2), dropout_p=self.drop.p if self.training else 0.0
        )
        q = q + self.drop(self.out(att.reshape(*q.shape)))
        return q + self.ffn(self.ln_f(q))


class StrategyEncoder(nn.Module):
    """See the module docstring. ``in_dim``: floats per frame; ``window``: frames read (90)."""

    def __init__(
        self,
        in_dim: int,
        d_model: int = 256,
        heads: int = 8,
        layers: int = 6,
        window: int = 90,
        ffn: int = 1024,
        dropout: float = 0.0,
    ):
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model ({d_model}) must be a multiple of heads ({heads})")
        self.in_dim, self.d, self.heads, self.n_layers, self.window = in_dim, d_model, heads, layers, window
        self.dh = d_model // heads
        self.embed = nn.Sequential(
            nn.Linear(in_dim, d_model), nn.LayerNorm(d_model), nn.GELU(), nn.Linear(d_model, d_model)
        )
        self.layers = nn.ModuleList(_ReadLayer(d_model, heads, ffn, dropout) for _ in range(layers))
        self.age_bias = nn.Parameter(torch.zeros(layers, heads, window))
        self.ln_out = nn.LayerNorm(d_model)

    # -- rollouts and inference -------------------------------------------------------------------------
    def new_cache(self, rows: int, device=None, dtype=torch.float32) -> EncoderCache:
        kv = torch.zeros(rows, self.n_layers, 2, self.heads, self.window, self.dh, device=device, dtype=dtype)
        return EncoderCache(
            kv=kv,
            valid=torch.zeros(rows, self.window, dtype=torch.bool, device=device),
            ptr=torch.full((rows,), self.window - 1, dtype=torch.long, device=device),
        )

    def _ages(self, ptr: torch.Tensor) -> torch.Tensor:
        slots = torch.arange(self.window, device=ptr.device)
        return (ptr.unsqueeze(1) - slots.unsqueeze(0)) % self.window  # (rows, window)

    def step(
        self, frames: torch.Tensor, cache: EncoderCache, rows: torch.Tensor | None = None, write: bool = True
    ) -> torch.Tensor:
        """Add one frame per row to its window and return each row's latent ``(m, d)``.

        ``rows`` picks the cache rows (default: all, in order). ``write=False`` reads as if the frame
        were added, without changing the cache (for a value at a terminal observation).
        """
        whole = rows is None and write
        m_rows = frames.shape[0]
        if rows is None:
            rows = torch.arange(m_rows, device=frames.device)
        tok = self.embed(frames)  # (m, d)
        ptr = (cache.ptr[rows] + 1) % self.window  # the slot this frame goes to
        if whole:  # every row, in order: work in the cache itself (no copy of the window)
            kv, valid = cache.kv, cache.valid
        else:  # a subset, or a look without writing: work on a copy of those rows
            kv, valid = cache.kv[rows], cache.valid[rows].clone()
        m = torch.arange(m_rows, device=frames.device)
        new = torch.stack(
            [layer.project_kv(tok.unsqueeze(1)) for layer in self.layers], dim=1
        )  # (m, L, 2, H, 1, dh)
        kv[m, :, :, :, ptr] = new[..., 0, :].to(kv.dtype)
        valid[m, ptr] = True
        ages = self._ages(ptr)  # (m, W)
        q = tok
        for li, layer in enumerate(self.layers):
            bias = self.age_bias[li][:, ages].transpose(0, 1)  # (m, H, W)
            bias = bias.masked_fill(~valid.unsqueeze(1), float("-inf"))
            q = layer.read(q, kv[:, li, 0].to(q.dtype), kv[:, li, 1].to(q.dtype), bias)
        if write:
            if not whole:
                cache.kv[rows] = kv
                cache.valid[rows] = valid
            cache.ptr[rows] = ptr
        return self.ln_out(q)

    # -- training ---------------------------------------------------------------------------------------
    def encode_windows(self, frames: torch.Tensor, episode: torch.Tensor, queries: int) -> torch.Tensor:
        """Latents for the last ``queries`` positions of each sequence.

        ``frames``: (S, T_tok, in_dim), the last ``queries`` of which are the positions to encode and the
        ones before them history; ``episode``: (S, T_tok) long episode id per position, -1 for padding.
        A query reads the positions within ``window`` frames back (itself included) of its own episode.
        """
        s, t_tok, _ = frames.shape
        tok = self.embed(frames)  # (S, T, d)
        start = t_tok - queries
        qpos = torch.arange(start, t_tok, device=frames.device)
        kpos = torch.arange(t_tok, device=frames.device)
        age = qpos.unsqueeze(1) - kpos.unsqueeze(0)  # (Q, T)
        in_window = (age >= 0) & (age < self.window)
        same_ep = (episode[:, start:].unsqueeze(2) == episode.unsqueeze(1)) & (episode.unsqueeze(1) >= 0)
        allowed = in_window.unsqueeze(0) & same_ep  # (S, Q, T)
        age_idx = age.clamp(0, self.window - 1)
        q = tok[:, start:]  # (S, Q, d)
        for li, layer in enumerate(self.layers):
            kv = layer.project_kv(tok)  # (S, 2, H, T, dh)
            k, v = kv[:, 0], kv[:, 1]
            bias = self.age_bias[li][:, age_idx]  # (H, Q, T)
            bias = bias.unsqueeze(0).masked_fill(~allowed.unsqueeze(1), float("-inf"))  # (S, H, Q, T)
            h = layer.q(layer.ln_q(q)).view(s, queries, self.heads, self.dh).transpose(1, 2)  # (S, H, Q, dh)
            att = F.scaled_dot_product_attention(
                h, k, v, attn_mask=bias, dropout_p=layer.drop.p if self.training else 0.0
            )
            q = q + layer.drop(layer.out(att.transpose(1, 2).reshape(s, queries, self.d)))
            q = q + layer.ffn(layer.ln_f(q))
        return self.ln_out(q)

    def literal_window(self, frames: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Reference: encode one full window per sample from scratch (frames (B, W, in), newest last;
        valid (B, W)). Same result as ``step`` / ``encode_windows``; used by tests and the benchmark."""
        b, w, _ = frames.shape
        tok = self.embed(frames)
        ages = torch.arange(w - 1, -1, -1, device=frames.device)
        q = tok[:, -1]
        for li, layer in enumerate(self.layers):
            kv = layer.project_kv(tok)
            bias = self.age_bias[li][:, ages].unsqueeze(0).expand(b, -1, -1)
            bias = bias.masked_fill(~valid.unsqueeze(1), float("-inf"))
            q = layer.read(q, kv[:, 0], kv[:, 1], bias)
        return self.ln_out(q)
