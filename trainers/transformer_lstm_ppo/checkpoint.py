"""This trainer's checkpoints as agents, loaded without running anything from the file.

Two kinds of file hold a network: a trainer checkpoint ``.zip`` (``runs/<run>/checkpoints/
rl_model_<N>_steps.zip``) and a league snapshot ``.pt``. Checkpoint files may come from strangers, so
loading one never unpickles: a ``.pt`` file is read with ``torch.load(..., weights_only=True)`` (tensors
and plain containers only); a ``.zip`` checkpoint is opened with :mod:`zipfile` and only its JSON model
card (``brawl_model.json``) and its ``policy.pth`` (again ``weights_only=True``) are read; SB3's pickled
``data`` member is never touched. A file holding anything else is refused with
:class:`league.agents.AgentError`.

The plugin answers the trainer registry (``league.registry``) through :func:`is_checkpoint` and
:func:`load_agent`: a network plays as a :class:`~.policy.PolicyRunner`, the one agent protocol.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from league.agents import AgentError

MODEL_CARD = "brawl_model.json"  # the JSON model card inside checkpoint zips
POLICY_MEMBER = "policy.pth"  # SB3's policy state_dict inside checkpoint zips
SUFFIXES = (".pt", ".zip")


def is_checkpoint(path: Path) -> bool:
    """Whether ``path`` is one of this trainer's files: by suffix (its contents are checked on loading)."""
    return Path(path).suffix.lower() in SUFFIXES


def _torch_load_weights(source, where: str):
    """``torch.load`` with ``weights_only=True``; anything pickled that is not plain weights is refused."""
    import pickle

    import torch

    try:
        return torch.load(source, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise AgentError(
            f"{where}: refused: it holds pickled objects that are not plain weights, and loading "
            f"them could run code ({first[:300]})"
        ) from None
    except Exception as err:  # noqa: BLE001 - corrupt or foreign files: say so, never fall back to unpickling
        raise AgentError(
            f"{where}: not a readable weights file ({type(err).__name__}: {str(err)[:300]})"
        ) from None


def read_weights(data: bytes, where: str, path: str | None = None) -> tuple[dict, dict]:
    """``(model card, state_dict)`` of a checkpoint's bytes, without executing anything from them."""
    if _is_checkpoint_zip(data, path):
        return _read_zip(data, where)
    blob = _torch_load_weights(io.BytesIO(data), where)
    if (
        not isinstance(blob, dict)
        or blob.get("format") != 1
        or not isinstance(blob.get("model"), dict)
        or not isinstance(blob.get("state_dict"), dict)
    ):
        keys = sorted(blob) if isinstance(blob, dict) else type(blob).__name__
        raise AgentError(
            f"{where}: not a brawl-league snapshot (expected a dict with format=1, 'model' and "
            f"'state_dict'; got {keys})"
        )
    return blob["model"], blob["state_dict"]


def _is_checkpoint_zip(data: bytes, path: str | None) -> bool:
    """A trainer checkpoint (SB3 zip), as opposed to a ``torch.save`` file (also a zip, of another layout)."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return False
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
    if MODEL_CARD in names or POLICY_MEMBER in names:
        return True
    torch_layout = any(n.endswith("/data.pkl") for n in names)
    return not torch_layout and (path or "").lower().endswith(".zip")


def _read_zip(data: bytes, where: str) -> tuple[dict, dict]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        if MODEL_CARD not in names:
            raise AgentError(
                f"{where}: the checkpoint has no {MODEL_CARD} model card (written by brawl-league "
                "trainers since checkpoints carry one); without it the network cannot be rebuilt "
                "from weights alone, and its pickled settings are never loaded"
            )
        if POLICY_MEMBER not in names:
            raise AgentError(f"{where}: the checkpoint has no {POLICY_MEMBER}")
        try:
            card = json.loads(zf.read(MODEL_CARD).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise AgentError(f"{where}: {MODEL_CARD} is not JSON ({err})") from None
        if not isinstance(card, dict) or card.get("format") != 1 or not isinstance(card.get("model"), dict):
            raise AgentError(
                f"{where}: {MODEL_CARD} must be {{'format': 1, 'model': {{...}}}}; got {card!r:.200}"
            )
        state = _torch_load_weights(io.BytesIO(zf.read(POLICY_MEMBER)), f"{where} {POLICY_MEMBER}")
    if not isinstance(state, dict):
        raise AgentError(f"{where}: {POLICY_MEMBER} is not a state_dict")
    return card["model"], state


def load_policy(data: bytes, where: str, path: str | None = None, device: str = "cpu"):
    """The checkpoint's :class:`~.policy.TransformerLstmPolicy`, in eval mode, with its model card's
    ``action_repeat`` (frames each decision is held) as an attribute."""
    import torch

    from .config import ModelConfig
    from .policy import build_policy

    card, state = read_weights(data, where, path)
    try:
        m = ModelConfig(**card)
    except Exception as err:  # noqa: BLE001 - pydantic's error names the field
        raise AgentError(f"{where}: bad model card: {err}") from None
    if not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise AgentError(f"{where}: the state_dict holds something other than tensors")
    policy = build_policy(m)
    try:
        policy.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise AgentError(f"{where}: weights do not fit the model card: {str(err)[:400]}") from None
    policy.set_training_mode(False)
    policy.action_repeat = int(m.action_repeat)
    return policy.to(device)


def load_agent(data: bytes, *, name: str, where: str, deterministic: bool = False, device: str = "cpu",
               path: str | None = None):
    """The checkpoint as an agent: a :class:`~.policy.PolicyRunner` acting for any rows it is given."""
    from .policy import PolicyRunner

    policy = load_policy(data, where, path, device)
    return PolicyRunner(policy, deterministic=deterministic, name=name, kind="checkpoint",
                        repeat=policy.action_repeat)
