"""Shared pieces of the tournament tests: misbehaving bots, tiny real checkpoints, malicious pickles."""

from __future__ import annotations

import io
import json
import textwrap
import zipfile
from pathlib import Path

TINY_MODEL = dict(
    frame_dim=16,
    d_model=16,
    heads=2,
    layers=1,
    window=8,
    ffn=16,
    dropout=0.0,
    lstm=16,
    initial_press_prob=0.3,
)

#: bots that fault on a known frame each (so who faults first in a match between two of them is known)
FAULTY_BOTS = textwrap.dedent('''
    import time

    import numpy as np

    from brawl_env.bots import Bot, press


    class Raiser(Bot):
        """Raises on its 7th frame."""

        def reset(self, seed=None):
            self.t = 0

        def act(self, view):
            self.t += 1
            if self.t == 7:
                return 1 / 0
            return press("left")


    class BadKeys(Bot):
        """Returns half-pressed keys on its 5th frame."""

        def reset(self, seed=None):
            self.t = 0

        def act(self, view):
            self.t += 1
            return np.full(10, 0.5) if self.t == 5 else press("right")


    class Hanger(Bot):
        """Spins forever on its 3rd frame."""

        def reset(self, seed=None):
            self.t = 0

        def act(self, view):
            self.t += 1
            if self.t == 3:
                while True:
                    pass
            return press("jump")


    class Sleeper(Bot):
        """Sleeps forever, in short naps, on its 4th frame."""

        def reset(self, seed=None):
            self.t = 0

        def act(self, view):
            self.t += 1
            if self.t == 4:
                while True:
                    time.sleep(0.01)
            return press("down")
''')

#: bots the per-frame timer cannot stop: one blocks the timer's signal and spins, one kills its process
ROGUE_BOTS = textwrap.dedent('''
    import os
    import signal

    from brawl_env.bots import Bot, press


    class Blocker(Bot):
        """Blocks SIGALRM and spins on its 4th frame."""

        def reset(self, seed=None):
            self.t = 0

        def act(self, view):
            self.t += 1
            if self.t == 4:
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
                while True:
                    pass
            return press("left")


    class Exiter(Bot):
        """Ends its own process on its 2nd frame."""

        def reset(self, seed=None):
            self.t = 0

        def act(self, view):
            self.t += 1
            if self.t == 2:
                os._exit(3)
            return press("right")
''')


def write_bots(folder: Path, text: str = FAULTY_BOTS, name: str = "faulty.py") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def tiny_policy(seed: int = 0):
    import torch

    from trainers.transformer_lstm_ppo.policy import build_policy

    torch.manual_seed(seed)
    policy = build_policy(TINY_MODEL)
    with torch.no_grad():  # bolder than the calm initialisation, so the keys depend on the observations
        for p in policy.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return policy


def save_snapshot(path: Path, seed: int = 0, **card) -> Path:
    """A league snapshot file (the trainer's ``snapshot_bytes`` format) of a tiny random network;
    ``card`` adds model-card fields the network's shape does not depend on (``action_repeat``)."""
    import torch

    policy = tiny_policy(seed)
    torch.save(
        {
            "format": 1,
            "model": {**TINY_MODEL, **card},
            "state_dict": {k: v.detach().cpu() for k, v in policy.state_dict().items()},
        },
        path,
    )
    return path


def save_checkpoint_zip(
    path: Path, seed: int = 0, policy_bytes: bytes | None = None, card: dict | None = None
) -> Path:
    """A checkpoint zip as the trainer writes it, as far as a tournament reads it (policy.pth, model card)."""
    import torch

    if policy_bytes is None:
        buf = io.BytesIO()
        torch.save(tiny_policy(seed).state_dict(), buf)
        policy_bytes = buf.getvalue()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data", "{}")
        zf.writestr("policy.pth", policy_bytes)
        zf.writestr(
            "brawl_model.json",
            json.dumps(card or {"format": 1, "trainer": "transformer-lstm-ppo", "model": dict(TINY_MODEL)}),
        )
    return path


class Evil:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def malicious_pt(path: Path, marker: Path) -> Path:
    import torch

    torch.save({"format": 1, "model": dict(TINY_MODEL), "state_dict": Evil(marker)}, path)
    return path


def malicious_zip(path: Path, marker: Path) -> Path:
    import torch

    buf = io.BytesIO()
    torch.save({"action_net.weight": Evil(marker)}, buf)
    return save_checkpoint_zip(path, policy_bytes=buf.getvalue())
