"""Several policies of one architecture deciding in one batched call (snapshot and mirror opponents).

A vector env plays its learner against several network opponents at once (league snapshots, the
learner's mirror). Acting each alone costs one forward per opponent per frame: on a CPU a forward of
the smoke model is a few hundred small, latency-bound kernels, so the cost per frame grew with the
number of distinct opponents in play. Here their weights are stacked along a leading model axis
(``torch.func.stack_module_state``) and one decision step runs for all of them: every layer is one
batched op over the M models (``baddbmm`` for a linear layer, one attention call), each model on its
own rows, padded to a common row count.

Why not ``torch.func.vmap`` over ``functional_call``, the documented recipe for ensembles: vmap has no
batching rule for ``nn.LSTM``'s fused kernel nor, on the CPU, for ``scaled_dot_product_attention``
(it falls back to a loop), and with those written out as matmuls the vmapped step still cost as much
as the M separate forwards on a 2-core CPU (docs/benchmarks.md): at this size every op's dispatch
overhead is the cost, and vmap adds to it. :func:`decide_grouped` writes the same step with the
stacked weights directly: :class:`Stacked` gives each layer of the template policy its grouped form,
so the step reads like ``TransformerLstmPolicy.key_probs`` (the per-runner path) layer for layer.

The probabilities agree with the per-runner path to float rounding, and the keys are then drawn by each
runner from its own counter-based stream, so they are the keys the runner would have drawn alone (a
test compares both, frame by frame). Each runner keeps its own recurrent state (LSTM h/c, the
encoder's window): a fused call gathers the deciding rows' state from each runner and writes back
h/c, the new frame's keys/values, the window's valid flags and pointer, exactly what the per-runner
path writes.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import torch
from torch import nn
from torch.func import stack_module_state
from torch.nn import functional as F

__all__ = ["Fuser", "Stacked", "decide_grouped", "fuse_key"]


def fuse_key(policy) -> Hashable | None:
    """Policies with equal keys can be stacked: same class, parameter names/shapes/dtypes, device.
    None for a policy in training mode (its dropout would be skipped here)."""
    if policy.training:
        return None
    shapes = tuple((name, tuple(t.shape), str(t.dtype)) for name, t in _tensors(policy))
    return (type(policy).__qualname__, str(policy.device), shapes)


def _tensors(module: nn.Module):
    yield from module.named_parameters()
    yield from module.named_buffers()


class Stacked:
    """Several policies' weights stacked along a leading model axis (``stack_module_state``), with the
    grouped forms of the layers they are used in: x (M, R, ...) in, one batched op per layer for all M.

    A module of the template policy is looked up by identity to find its stacked weights, so the step
    below reads like the policy's own forward; layers without weights (GELU, and Dropout in eval mode)
    are called as they are.
    """

    def __init__(self, policies: Sequence):
        template = policies[0]
        with torch.no_grad():
            params, buffers = stack_module_state(list(policies))
        self.p = {k: v.detach() for k, v in {**params, **buffers}.items()}
        self.prefix = {id(m): name for name, m in template.named_modules()}

    def w(self, module: nn.Module, name: str) -> torch.Tensor:
        return self.p[f"{self.prefix[id(module)]}.{name}"]

    def __call__(self, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if isinstance(module, nn.Sequential):
            for sub in module:
                x = self(sub, x)
            return x
        if isinstance(module, nn.Linear):  # x (M, R, in) -> (M, R, out)
            w = self.w(module, "weight").transpose(1, 2)
            if module.bias is None:
                return torch.bmm(x, w)
            return torch.baddbmm(self.w(module, "bias").unsqueeze(1), x, w)
        if isinstance(module, nn.LayerNorm):
            y = F.layer_norm(x, module.normalized_shape, eps=module.eps)
            if module.weight is not None:
                y = y * self.w(module, "weight").unsqueeze(1)
            if module.bias is not None:
                y = y + self.w(module, "bias").unsqueeze(1)
            return y
        if isinstance(module, nn.Dropout) and not module.training:
            return x
        if isinstance(module, (nn.GELU, nn.ReLU, nn.Tanh)):  # no weights
            return module(x)
        raise TypeError(f"no grouped form for {type(module).__name__}")


def decide_grouped(policy, g: Stacked, obs, h, c, kv, valid, ptr):
    """One decision of M stacked policies (``policy`` is any of them, for structure), R rows each:
    obs (M, R, D); h, c (M, layers, R, hidden); kv (M, R, L, 2, H, W, dh), valid (M, R, W), ptr (M, R):
    copies of the rows' encoder windows (kv is written in place: the new frame goes in).

    Returns the press probabilities (M, R, 10), the new h and c, the new frame's keys/values (M, R, L,
    2, H, dh) and the window slot they go to (M, R): the arithmetic of ``key_probs``.
    """
    fx = policy.features_extractor
    enc = fx.encoder
    m, r, _ = obs.shape
    w = enc.window
    tok = g(enc.embed, fx.encoder_input(obs))  # (M, R, d)
    ptr = torch.remainder(ptr + 1, w)
    new = torch.stack([g(layer.kv, tok).view(m, r, 2, layer.heads, layer.dh) for layer in enc.layers], dim=2)
    # kv is the caller's gathered copy of the windows: the new frame goes into it in place, as
    # ``StrategyEncoder.step`` writes its cache
    mi = torch.arange(m, device=ptr.device).unsqueeze(1).expand(m, r)
    ri = torch.arange(r, device=ptr.device).unsqueeze(0).expand(m, r)
    kv[mi, ri, :, :, :, ptr] = new.to(kv.dtype)
    valid = valid.clone()
    valid[mi, ri, ptr] = True
    ages = torch.remainder(ptr.unsqueeze(-1) - torch.arange(w, device=ptr.device), w)  # (M, R, W)
    age_bias = g.w(enc, "age_bias")  # (M, L, H, W)
    q = tok
    for li, layer in enumerate(enc.layers):
        heads, dh = layer.heads, layer.dh
        bias = torch.gather(
            age_bias[:, li].unsqueeze(1).expand(m, r, heads, w), 3, ages.unsqueeze(2).expand(m, r, heads, w)
        )  # (M, R, H, W)
        bias = bias.masked_fill(~valid.unsqueeze(2), float("-inf"))
        # models and rows as one batch, (M*R, H, ., dh) as in the per-runner path: the CPU's fused
        # attention kernel takes 4-d inputs (5-d ones go through copies and a plain matmul)
        hq = g(layer.q, g(layer.ln_q, q)).view(m * r, heads, 1, dh)
        rows_kv = kv.view(m * r, *kv.shape[2:])
        att = F.scaled_dot_product_attention(
            hq,
            rows_kv[:, li, 0].to(q.dtype),
            rows_kv[:, li, 1].to(q.dtype),
            attn_mask=bias.view(m * r, heads, 1, w),
        )
        q = q + g(layer.out, att.reshape(m, r, -1))
        q = q + g(layer.ffn, g(layer.ln_f, q))
    feats = torch.cat([g(fx.frame, fx.frame_input(obs)), g(enc.ln_out, q)], dim=-1)
    lstm = policy.lstm_actor
    x, hs, cs = feats, [], []
    for k in range(lstm.num_layers):
        gates = torch.bmm(x, g.w(lstm, f"weight_ih_l{k}").transpose(1, 2)) + torch.bmm(
            h[:, k], g.w(lstm, f"weight_hh_l{k}").transpose(1, 2)
        )
        if lstm.bias:
            gates = gates + (g.w(lstm, f"bias_ih_l{k}") + g.w(lstm, f"bias_hh_l{k}")).unsqueeze(1)
        i, f, gg, o = gates.chunk(4, dim=-1)
        ck = torch.sigmoid(f) * c[:, k] + torch.sigmoid(i) * torch.tanh(gg)
        x = torch.sigmoid(o) * torch.tanh(ck)
        hs.append(x)
        cs.append(ck)
    p = torch.sigmoid(g(policy.action_net, torch.cat([x, feats], dim=-1)))
    return p, torch.stack(hs, 1), torch.stack(cs, 1), new, ptr


class Fuser:
    """Acts for several :class:`~.policy.PolicyRunner` s of one ``fuse_key`` in one call per frame.

    All runners of the call take part in the one batched step, even those with no row deciding this
    frame (with action repeat, rows decide on different frames): their padding rows are computed and
    thrown away, which costs less than restacking the weights for each subset. Stacked weights are kept
    per list of policies (the last few lists) and restacked when any weight changes (tensor version
    counters: the mirror's policy is the learner's, updated in place by the optimiser).
    """

    KEEP = 8  # stacks kept (one per distinct list of policies seen lately)

    def __init__(self):
        # key: the policies' ids; value: (policies (held, so an id is not reused), watched tensors,
        # their versions, the stack)
        self._stacks: dict[tuple, tuple] = {}

    def _stack(self, policies: Sequence) -> Stacked:
        key = tuple(id(p) for p in policies)
        hit = self._stacks.pop(key, None)
        if hit is not None and tuple(t._version for t in hit[1]) == hit[2]:
            self._stacks[key] = hit  # most recent last
            return hit[3]
        watched = [t for p in policies for _, t in _tensors(p)]
        stacked = Stacked(policies)
        self._stacks[key] = (tuple(policies), watched, tuple(t._version for t in watched), stacked)
        while len(self._stacks) > self.KEEP:
            self._stacks.pop(next(iter(self._stacks)))
        return stacked

    @torch.no_grad()
    def act(self, parts: Sequence[tuple]) -> list[np.ndarray]:
        """``parts``: (runner, obs (m, D), rows (m,)) per runner; returns each runner's keys (m, 10)."""
        parts = [(runner, obs, np.asarray(rows, np.int64)) for runner, obs, rows in parts]
        dues = [runner._due(rows) for runner, _, rows in parts]
        deciding = [i for i, due in enumerate(dues) if due.any()]
        probs: dict[int, np.ndarray] = {}
        if len(deciding) == 1:  # one runner decides this frame: its own forward is the same call
            i = deciding[0]
            probs[i] = parts[i][0]._probs(parts[i][1][dues[i]], parts[i][2][dues[i]])
        elif deciding:
            subs = [(runner, obs[due], rows[due]) for (runner, obs, rows), due in zip(parts, dues)]
            probs = {i: p for i, p in enumerate(self._probs(subs)) if i in deciding}
        out = []
        for i, (runner, _, rows) in enumerate(parts):
            due = dues[i]
            decided = runner._draw(probs[i], rows[due]) if i in probs else np.zeros((0, 10), np.int8)
            out.append(runner._hold(rows, due, decided))
        return out

    def _probs(self, parts: Sequence[tuple]) -> list[np.ndarray]:
        """Press probabilities for (runner, obs, rows) each, advancing the rows' state by one decision
        (a runner may come with no rows: it is computed on padding only)."""
        runners = [runner for runner, _, _ in parts]
        g = self._stack([r.policy for r in runners])
        device = runners[0].policy.device
        r_max = max(len(rows) for _, _, rows in parts)
        # padded in numpy (cheap), then one tensor each: padding rows repeat a runner's first row (row 0
        # if it has none), are computed and never written back
        obs_np = np.zeros((len(parts), r_max, parts[0][1].shape[-1]), np.float32)
        idx_np = np.zeros((len(parts), r_max), np.int64)
        for m, (_, o, rows) in enumerate(parts):
            if len(rows):
                obs_np[m, : len(rows)], obs_np[m, len(rows) :] = o, o[0]
                idx_np[m, : len(rows)], idx_np[m, len(rows) :] = rows, rows[0]
        obs = torch.from_numpy(obs_np).to(device)
        idx = list(torch.from_numpy(idx_np).to(device))
        states = [r.state for r in runners]
        h = _gather([s["h"] for s in states], 1, idx)
        c = _gather([s["c"] for s in states], 1, idx)
        kv = _gather([s["cache"].kv for s in states], 0, idx)
        valid = _gather([s["cache"].valid for s in states], 0, idx)
        ptr = _gather([s["cache"].ptr for s in states], 0, idx)
        p, h, c, new, slot = decide_grouped(runners[0].policy, g, obs, h, c, kv, valid, ptr)
        p = p.double().cpu().numpy()
        out = []
        for m, ((_, _, rows), s) in enumerate(zip(parts, states)):
            n = len(rows)
            i = idx[m][:n]
            s["h"][:, i] = h[m, :, :n]
            s["c"][:, i] = c[m, :, :n]
            cache = s["cache"]
            cache.kv[i, :, :, :, slot[m, :n]] = new[m, :n].to(cache.kv.dtype)
            cache.valid[i, slot[m, :n]] = True
            cache.ptr[i] = slot[m, :n]
            out.append(p[m, :n])
        return out


def _gather(tensors: Sequence[torch.Tensor], dim: int, idx: Sequence[torch.Tensor]) -> torch.Tensor:
    """``stack([t.index_select(dim, i) ...])``, copied once (straight into the stacked tensor)."""
    first = tensors[0]
    shape = list(first.shape)
    shape[dim] = len(idx[0])
    out = first.new_empty([len(tensors), *shape])
    for m, (t, i) in enumerate(zip(tensors, idx)):
        torch.index_select(t, dim, i, out=out[m])
    return out
