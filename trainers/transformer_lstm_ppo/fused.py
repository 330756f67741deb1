"""Several policies of one architecture deciding in one batched call (snapshot and mirror opponents).

A vector env plays its learner against several network opponents at once (league snapshots, the
learner's mirror). Acting each alone costs one forward per opponent per frame: on a CPU a forward of
the smoke model is a few hundred small kernels, so the cost per frame grew with the number of distinct
opponents in play. Here their weights are stacked (``torch.func.stack_module_state``) and one decision
step runs for all of them under ``torch.func.vmap`` of ``torch.func.functional_call``: each model on its
own rows, padded to a common row count.

The decision step is :func:`decide_step`, a pure function (state in, new state out) of the same
arithmetic as ``TransformerLstmPolicy.key_probs`` (the per-runner path): vmap has no batching rule for
``nn.LSTM``'s fused kernel nor, on the CPU, for ``scaled_dot_product_attention``, so the one LSTM step
and the one-query attention are written out as matmuls; the results agree with the per-runner path to
float rounding (a test compares them), and the keys are then drawn by each runner from its own
counter-based stream, so they are the keys the runner would have drawn alone.

Each runner keeps its own recurrent state (LSTM h/c, the encoder's window): a fused call gathers the
deciding rows' state from each runner, and writes back h/c, the new frame's keys/values, the window's
valid flags and pointer, exactly what the per-runner path writes.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Sequence

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

__all__ = ["Fuser", "decide_step", "fuse_key"]


def fuse_key(policy) -> Hashable | None:
    """Policies with equal keys can be stacked: same class, parameter names/shapes/dtypes, device.
    None for a policy in training mode (dropout would need per-model randomness under vmap)."""
    if policy.training:
        return None
    shapes = tuple((name, tuple(t.shape), str(t.dtype)) for name, t in _tensors(policy))
    return (type(policy).__qualname__, str(policy.device), shapes)


def _tensors(module: nn.Module):
    yield from module.named_parameters()
    yield from module.named_buffers()


def _lstm_step(lstm: nn.LSTM, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
    """One time step of ``lstm`` (no projections, unidirectional) on x (R, in), h/c (layers, R, hidden)."""
    hs, cs = [], []
    for k in range(lstm.num_layers):
        gates = x @ getattr(lstm, f"weight_ih_l{k}").T + h[k] @ getattr(lstm, f"weight_hh_l{k}").T
        if lstm.bias:
            gates = gates + getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}")
        i, f, g, o = gates.chunk(4, dim=-1)
        ck = torch.sigmoid(f) * c[k] + torch.sigmoid(i) * torch.tanh(g)
        hk = torch.sigmoid(o) * torch.tanh(ck)
        hs.append(hk)
        cs.append(ck)
        x = hk
    return x, torch.stack(hs), torch.stack(cs)


def _read(layer, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``_ReadLayer.read`` for one query per row, as matmuls: q (R, d); k, v (R, H, W, dh); bias (R, H, W)."""
    r, d = q.shape
    h = layer.q(layer.ln_q(q)).view(r, layer.heads, 1, layer.dh)
    scores = (h @ k.transpose(-1, -2)).squeeze(-2) * layer.dh ** -0.5 + bias        # (R, H, W)
    att = (torch.softmax(scores, dim=-1).unsqueeze(-2) @ v).reshape(r, d)
    q = q + layer.out(att)
    return q + layer.ffn(layer.ln_f(q))


def decide_step(policy, obs, h, c, kv, valid, ptr):
    """One decision of ``policy`` for R rows, without changing anything: obs (R, D); h, c (layers, R,
    hidden); kv (R, L, 2, H, W, dh), valid (R, W), ptr (R,): the rows' encoder windows.

    Returns the press probabilities (R, 10), the new h and c, the new frame's keys/values (R, L, 2, H,
    dh) and the window slot they go to (R,): the arithmetic of ``key_probs`` (see the module docstring).
    """
    fx = policy.features_extractor
    enc = fx.encoder
    w = enc.window
    tok = enc.embed(fx.encoder_input(obs))                                         # (R, d)
    ptr = torch.remainder(ptr + 1, w)
    new = torch.stack([layer.project_kv(tok.unsqueeze(1))[..., 0, :] for layer in enc.layers], dim=1)
    slot = ptr.unsqueeze(1) == torch.arange(w, device=ptr.device).unsqueeze(0)      # (R, W)
    kv = torch.where(slot[:, None, None, None, :, None], new.unsqueeze(-2).to(kv.dtype), kv)
    valid = valid | slot
    ages = torch.remainder(ptr.unsqueeze(1) - torch.arange(w, device=ptr.device).unsqueeze(0), w)
    q = tok
    for li, layer in enumerate(enc.layers):
        bias = enc.age_bias[li][:, ages].transpose(0, 1)                            # (R, H, W)
        bias = bias.masked_fill(~valid.unsqueeze(1), float("-inf"))
        q = _read(layer, q, kv[:, li, 0].to(q.dtype), kv[:, li, 1].to(q.dtype), bias)
    feats = torch.cat([fx.frame(obs), enc.ln_out(q)], dim=-1)
    out, h, c = _lstm_step(policy.lstm_actor, feats, h, c)
    p = torch.sigmoid(policy.action_net(torch.cat([out, feats], dim=-1)))
    return p, h, c, new, ptr


class _Step(nn.Module):
    """:func:`decide_step` as a module's forward, so ``functional_call`` can swap in stacked weights."""

    def __init__(self, policy):
        super().__init__()
        self.policy = policy

    def forward(self, *args):
        return decide_step(self.policy, *args)


class Fuser:
    """Acts for several :class:`~.policy.PolicyRunner` s of one ``fuse_key`` in one call per frame.

    Keeps the stacked weights of the last set of policies it saw, and restacks when the set or any
    weight changes (tensor version counters: the mirror's policy is the learner's, updated in place).
    """

    def __init__(self):
        self._policies: tuple = ()   # held (not their ids: an id can be reused once a policy is freed)
        self._versions: tuple | None = None
        self._params: dict | None = None
        self._call = None

    def _stack(self, policies: Sequence) -> None:
        versions = tuple(t._version for p in policies for _, t in _tensors(p))
        same = len(policies) == len(self._policies) and all(a is b for a, b in zip(policies, self._policies))
        if same and versions == self._versions:
            return
        with torch.no_grad():
            params, buffers = stack_module_state(list(policies))
            stacked = {f"policy.{k}": v.detach() for k, v in {**params, **buffers}.items()}
        if self._call is None:  # one architecture per Fuser: any member serves as the skeleton
            skeleton = _Step(copy.deepcopy(policies[0]).to("meta"))

            def one(weights, *args):
                return functional_call(skeleton, weights, args)

            self._call = vmap(one)
        self._policies, self._versions, self._params = tuple(policies), versions, stacked

    @torch.no_grad()
    def act(self, parts: Sequence[tuple]) -> list[np.ndarray]:
        """``parts``: (runner, obs (m, D), rows (m,)) per runner; returns each runner's keys (m, 10)."""
        dues = [runner._due(np.asarray(rows, np.int64)) for runner, _, rows in parts]
        deciding = [i for i, ((_, _, rows), due) in enumerate(zip(parts, dues)) if due.any()]
        probs: dict[int, np.ndarray] = {}
        if len(deciding) == 1:
            i = deciding[0]
            runner, obs, rows = parts[i]
            probs[i] = runner._probs(obs[dues[i]], np.asarray(rows, np.int64)[dues[i]])
        elif deciding:
            probs = self._probs([(parts[i][0], parts[i][1][dues[i]], np.asarray(parts[i][2], np.int64)[dues[i]])
                                 for i in deciding], deciding)
        out = []
        for i, (runner, _, rows) in enumerate(parts):
            rows = np.asarray(rows, np.int64)
            due = dues[i]
            decided = runner._draw(probs[i], rows[due]) if i in probs else np.zeros((0, 10), np.int8)
            out.append(runner._hold(rows, due, decided))
        return out

    def _probs(self, parts: Sequence[tuple], which: Sequence[int]) -> dict[int, np.ndarray]:
        runners = [runner for runner, _, _ in parts]
        self._stack([r.policy for r in runners])
        device = runners[0].policy.device
        r_max = max(len(rows) for _, _, rows in parts)
        obs, idx = [], []
        for runner, o, rows in parts:
            pad = r_max - len(rows)
            o = torch.as_tensor(o, dtype=torch.float32, device=device)
            i = torch.as_tensor(rows, device=device)
            if pad:  # padding rows repeat the first row: computed, never written back
                o = torch.cat([o, o[:1].expand(pad, -1)])
                i = torch.cat([i, i[:1].expand(pad)])
            obs.append(o)
            idx.append(i)
        states = [r.state for r in runners]
        h = torch.stack([s["h"][:, i] for s, i in zip(states, idx)])
        c = torch.stack([s["c"][:, i] for s, i in zip(states, idx)])
        kv = torch.stack([s["cache"].kv[i] for s, i in zip(states, idx)])
        valid = torch.stack([s["cache"].valid[i] for s, i in zip(states, idx)])
        ptr = torch.stack([s["cache"].ptr[i] for s, i in zip(states, idx)])
        p, h, c, new, slot = self._call(self._params, torch.stack(obs), h, c, kv, valid, ptr)
        out = {}
        for m, ((runner, _, rows), s) in enumerate(zip(parts, states)):
            n = len(rows)
            i = idx[m][:n]
            s["h"][:, i] = h[m, :, :n]
            s["c"][:, i] = c[m, :, :n]
            cache = s["cache"]
            cache.kv[i, :, :, :, slot[m, :n]] = new[m, :n].to(cache.kv.dtype)
            cache.valid[i, slot[m, :n]] = True
            cache.ptr[i] = slot[m, :n]
            out[which[m]] = p[m, :n].double().cpu().numpy()
        return out
