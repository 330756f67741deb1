"""This trainer's checkpoint and snapshot files, and the one safe loader every path reads them through.

**Checkpoints** (``checkpoints/rl_model_<steps>_steps.zip``) are SB3 zips, so ``RecurrentPPO.load`` still
opens them for a user who trusts the file, plus two JSON members of our own:

- ``brawl_model.json`` (the model card): ``{"format": 1, "trainer": ..., "model": {ModelConfig}}``;
- ``brawl_train_state.json`` (what resuming needs besides weights): the step and update counters, the
  reward normaliser's running statistics, the size in bytes of each run CSV when the checkpoint was
  written (so a resume cuts the rows of the discarded stretch), the run's elapsed seconds (so
  ``monitor.csv``'s ``t`` keeps rising) and the last evaluated step.

**Snapshots** (the league's ``.pt`` files) are ``torch.save({"format": 1, "model": {...},
"state_dict": {...}})``.

**Loading** (:func:`read_checkpoint`, :func:`read_snapshot`, :func:`read_weights`) is the same for a
tournament, a snapshot opponent and ``--resume``: the model card first (bounded JSON, every size within
:class:`~.config.ModelConfig`'s bounds, and the weights it implies at most :data:`MAX_WEIGHT_BYTES`,
counted on torch's meta device, without allocating them), then ``policy.pth`` only if its zip entry
declares no more than those weights need, loaded with ``weights_only=True``; for resuming, SB3's
``policy.optimizer.pth`` likewise (an optimizer ``state_dict``: tensors and plain numbers). SB3's pickled
``data`` member is never read. Checkpoints written before the training state existed load for play;
``--resume`` refuses them, saying so.

The plugin answers the trainer registry (``league.registry``) through :func:`is_checkpoint` and
:func:`load_agent`: a network plays as a :class:`~.policy.PolicyRunner`, the one agent protocol, loaded
through the same loader (its errors become :class:`league.agents.AgentError`, naming the agent); the
registry reads a file no larger than :data:`MAX_FILE_BYTES` (the plugin's ``max_checkpoint_bytes``).
"""

from __future__ import annotations

import functools
import io
import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..safe_files import CheckpointError, is_torch_archive, load_weights, open_zip, read_json, read_member
from .config import ModelConfig
from .sb3_adapter import OPTIMIZER_MEMBER, POLICY_MEMBER

MODEL_CARD = "brawl_model.json"
TRAIN_STATE = "brawl_train_state.json"
FORMAT = 1
TRAINER = "transformer-lstm-ppo"
SUFFIXES = (".pt", ".zip")

MAX_WEIGHT_BYTES = 256 << 20
"""Largest network accepted from a file: 256 MiB of weights, about 9x the guide's full-size model."""

_SLACK = 1 << 20  # pickle, record names and alignment around the tensors' bytes
MAX_FILE_BYTES = 4 * MAX_WEIGHT_BYTES + _SLACK
"""Largest file read at all: weights, optimizer moments and SB3's other members of the largest network."""


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint or snapshot holds, loaded safely. ``optimizer`` and ``train_state`` are read only
    when asked for (resuming), and ``train_state`` is None for files written before it existed."""

    model: ModelConfig
    state_dict: dict[str, Any]
    optimizer: dict[str, Any] | None = None
    train_state: dict[str, Any] | None = None


# ---------------------------------------------------------------------------------------------- sizes


@functools.lru_cache(maxsize=32)
def weight_bytes(model: ModelConfig) -> int:
    """Bytes of the network's parameters and buffers, counted on torch's meta device (nothing allocated)."""
    import torch

    from .policy import build_policy

    with torch.device("meta"):
        policy = build_policy(model, device="meta")
    tensors = list(policy.parameters()) + list(policy.buffers())  # shared modules counted once
    return sum(t.numel() * t.element_size() for t in tensors)


def model_from_card(model: Any, where: str) -> ModelConfig:
    """A model card's ``model`` section as a :class:`ModelConfig`, within bounds; one-line error otherwise."""
    if not isinstance(model, dict):
        raise CheckpointError(
            f"{where}: the model card's 'model' must be an object; got {type(model).__name__}"
        )
    try:
        config = ModelConfig(**model)
    except Exception as err:  # noqa: BLE001 - pydantic names the field and its bound
        found = err.errors() if hasattr(err, "errors") else []
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in found)
        raise CheckpointError(f"{where}: bad model card: {problems or err}") from None
    size = weight_bytes(config)
    if size > MAX_WEIGHT_BYTES:
        raise CheckpointError(
            f"{where}: the model card asks for {size / 2**20:,.0f} MiB of weights, more "
            f"than the {MAX_WEIGHT_BYTES >> 20} MiB a checkpoint may hold"
        )
    return config


def _tensors(state: Any, what: str, where: str) -> dict[str, Any]:
    import torch

    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise CheckpointError(f"{where}: {what} is not a state_dict of named tensors")
    return state


# ---------------------------------------------------------------------------------------------- reading


def read_file(path, where: str | None = None) -> bytes:
    """A checkpoint or snapshot file's bytes, refused unread if it is larger than any could be."""
    path = Path(path)
    where = where or str(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CheckpointError(
            f"{where}: {size:,} bytes, larger than any checkpoint can be ({MAX_FILE_BYTES:,}); not read"
        )
    return path.read_bytes()


def read_checkpoint(data: bytes, where: str, training: bool = False) -> Checkpoint:
    """A checkpoint zip: model card, then weights (and, with ``training``, optimizer and training state)."""
    zf = open_zip(data, where)
    with zf:
        names = set(zf.namelist())
        if MODEL_CARD not in names:
            raise CheckpointError(
                f"{where}: the checkpoint has no {MODEL_CARD} model card (written by brawl-league trainers "
                "since checkpoints carry one); without it the network cannot be rebuilt from weights alone, "
                "and its pickled settings are never loaded"
            )
        card = read_json(zf, MODEL_CARD, where)
        if not isinstance(card, dict) or card.get("format") != FORMAT or "model" not in card:
            raise CheckpointError(
                f"{where}: {MODEL_CARD} must be {{'format': 1, 'model': {{...}}}}; got {card!r:.200}"
            )
        model = model_from_card(card["model"], where)
        size = weight_bytes(model)
        state = _tensors(
            load_weights(
                read_member(zf, POLICY_MEMBER, int(1.05 * size) + _SLACK, where),
                f"{where} {POLICY_MEMBER}",
                int(1.05 * size) + _SLACK,
            ),
            POLICY_MEMBER,
            where,
        )
        if not training:
            return Checkpoint(model, state)
        train_state = None
        if TRAIN_STATE in names:
            train_state = check_train_state(read_json(zf, TRAIN_STATE, where), where)
        optimizer = None
        if OPTIMIZER_MEMBER in names:
            limit = int(2.1 * size) + _SLACK  # Adam: two moments per parameter, and step counts
            raw = read_member(zf, OPTIMIZER_MEMBER, limit, where)
            optimizer = load_weights(raw, f"{where} {OPTIMIZER_MEMBER}", limit)
            if not isinstance(optimizer, dict) or not {"state", "param_groups"} <= set(optimizer):
                raise CheckpointError(f"{where}: {OPTIMIZER_MEMBER} is not an optimizer state_dict")
    return Checkpoint(model, state, optimizer, train_state)


def read_snapshot(data: bytes, where: str) -> Checkpoint:
    """A league snapshot (``torch.save`` of ``{"format": 1, "model": ..., "state_dict": ...}``)."""
    blob = load_weights(data, where, MAX_WEIGHT_BYTES + _SLACK)
    if (
        not isinstance(blob, dict)
        or blob.get("format") != FORMAT
        or not isinstance(blob.get("model"), dict)
        or not isinstance(blob.get("state_dict"), dict)
    ):
        keys = sorted(map(str, blob)) if isinstance(blob, dict) else type(blob).__name__
        raise CheckpointError(
            f"{where}: not a brawl-league snapshot (expected a dict with format=1, 'model' "
            f"and 'state_dict'; got {keys})"
        )
    model = model_from_card(blob["model"], where)
    return Checkpoint(model, _tensors(blob["state_dict"], "state_dict", where))


def read_weights(data: bytes, where: str, name: str = "") -> Checkpoint:
    """A checkpoint zip or a snapshot, told apart by their layout (``name``'s suffix decides for a zip
    that is neither); random bytes are "not a checkpoint"."""
    zf = open_zip(data, where)
    with zf:
        names = set(zf.namelist())
        torch_file = is_torch_archive(zf)
    if MODEL_CARD in names or POLICY_MEMBER in names or (not torch_file and name.lower().endswith(".zip")):
        return read_checkpoint(data, where)
    return read_snapshot(data, where)


def check_train_state(raw: Any, where: str) -> dict[str, Any]:
    """The training state member, field by field (it decides how files are cut on resume)."""

    def bad(field: str, want: str) -> CheckpointError:
        return CheckpointError(f"{where}: {TRAIN_STATE}: {field} must be {want}")

    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise bad("format", f"{FORMAT}")
    for key in ("num_timesteps", "n_updates", "episodes", "last_eval_step", "last_snapshot_step"):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad(key, "an integer >= 0")
    elapsed = raw.get("elapsed_s")
    if isinstance(elapsed, bool) or not isinstance(elapsed, (int, float)) or not 0 <= elapsed < math.inf:
        raise bad("elapsed_s", "a number >= 0")
    files = raw.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(k, str)
        and "/" not in k
        and "\\" not in k
        and isinstance(v, int)
        and not isinstance(v, bool)
        and v >= 0
        for k, v in files.items()
    ):
        raise bad("files", "an object of file name -> size in bytes")
    norm = raw.get("reward_normaliser")
    if norm is not None and not (
        isinstance(norm, dict)
        and set(norm) == {"mean", "var", "count"}
        and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in norm.values()
        )
    ):
        raise bad("reward_normaliser", "null or {mean, var, count} numbers")
    return raw


# ---------------------------------------------------------------------------------------------- agents


def is_checkpoint(path: Path) -> bool:
    """Whether ``path`` is one of this trainer's files: by suffix (its contents are checked on loading)."""
    return Path(path).suffix.lower() in SUFFIXES


def load_policy(data: bytes, where: str, path: str | None = None, device: str = "cpu"):
    """The checkpoint's :class:`~.policy.TransformerLstmPolicy`, in eval mode, with its model card's
    ``action_repeat`` (frames each decision is held) as an attribute; read by :func:`read_weights`."""
    from league.agents import AgentError

    from .policy import build_policy

    try:
        checkpoint = read_weights(data, where, path or "")
    except CheckpointError as err:
        raise AgentError(str(err)) from None
    policy = build_policy(checkpoint.model)
    try:
        policy.load_state_dict(checkpoint.state_dict, strict=True)
    except RuntimeError as err:
        raise AgentError(f"{where}: weights do not fit the model card: {str(err)[:400]}") from None
    policy.set_training_mode(False)
    policy.action_repeat = int(checkpoint.model.action_repeat)
    return policy.to(device)


def load_agent(
    data: bytes,
    *,
    name: str,
    where: str,
    deterministic: bool = False,
    device: str = "cpu",
    path: str | None = None,
):
    """The checkpoint as an agent: a :class:`~.policy.PolicyRunner` acting for any rows it is given."""
    from .policy import PolicyRunner

    policy = load_policy(data, where, path, device)
    return PolicyRunner(
        policy, deterministic=deterministic, name=name, kind="checkpoint", repeat=policy.action_repeat
    )


# ---------------------------------------------------------------------------------------------- writing


def checkpoint_bytes(algo, model: ModelConfig, train_state: dict[str, Any]) -> bytes:
    """The checkpoint zip: SB3's own members (``RecurrentPPO.load`` reads it), the model card and the
    training state."""
    buf = io.BytesIO()
    algo.save(buf)
    with zipfile.ZipFile(buf, "a") as zf:
        card = {"format": FORMAT, "trainer": TRAINER, "model": model.model_dump()}
        zf.writestr(MODEL_CARD, json.dumps(card))
        zf.writestr(TRAIN_STATE, json.dumps({"format": FORMAT, **train_state}))
    return buf.getvalue()


def snapshot_bytes(policy, model: ModelConfig) -> bytes:
    """A league snapshot of ``policy``: weights and sizes only (loading runs no pickled code)."""
    import torch

    buf = io.BytesIO()
    torch.save(
        {
            "format": FORMAT,
            "model": model.model_dump(),
            "state_dict": {k: v.detach().cpu() for k, v in policy.state_dict().items()},
        },
        buf,
    )
    return buf.getvalue()
