"""Reading checkpoint files that may come from strangers: bounded, and without running their code.

Every trainer checkpoint and league snapshot is a zip archive (an SB3 checkpoint, or a ``torch.save``
file, which is a zip too). What a hostile file can do, and what stops it here:

- **run code**: ``torch.load`` is only ever called with ``weights_only=True`` (tensors and plain
  containers); anything else in the pickle is refused, and SB3's pickled ``data`` member is never read;
- **exhaust memory**: a zip entry is read only after its *declared* size is checked against a limit
  the caller derives from what the file should hold (a model card's sizes), and never past that size
  (so a 1.5 MB archive whose ``policy.pth`` inflates to 1.5 GiB is refused from its directory entry);
  the members of a ``torch.save`` archive are checked the same way before ``torch.load`` sees them, and
  torch itself checks each tensor against its record's size;
- **confuse**: bytes that are not a zip, or a zip of another layout, are "not a checkpoint", said in
  one line, rather than a torch traceback.

Errors are :class:`CheckpointError` (a ``ValueError``), one line each, naming the file.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

MAX_JSON_BYTES = 1 << 20
"""Largest JSON member (a model card or training state) accepted; real ones are a few kilobytes."""


class CheckpointError(ValueError):
    """A checkpoint or snapshot that cannot be loaded safely: not one, unsafe, too large or damaged."""


def open_zip(data: bytes, where: str) -> zipfile.ZipFile:
    """``data`` as a zip archive, or "not a checkpoint"."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError) as err:
        raise CheckpointError(f"{where}: not a checkpoint (not a zip archive: {err})") from None


def is_torch_archive(zf: zipfile.ZipFile) -> bool:
    """A ``torch.save`` archive: one top folder holding ``data.pkl`` (and the tensors' records)."""
    return any(n.count("/") == 1 and n.endswith("/data.pkl") for n in zf.namelist())


def read_member(zf: zipfile.ZipFile, name: str, limit: int, where: str) -> bytes:
    """One member's bytes, refused from its directory entry if it declares more than ``limit``."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise CheckpointError(f"{where}: the archive has no {name}") from None
    if info.file_size > limit:
        raise CheckpointError(
            f"{where}: {name} declares {info.file_size:,} bytes, more than the {limit:,} it can hold"
        )
    try:
        with zf.open(info) as fh:
            out = fh.read(limit + 1)  # zipfile stops at the declared size; one byte more would show a lie
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as err:
        raise CheckpointError(f"{where}: {name} is damaged ({type(err).__name__}: {err})") from None
    if len(out) > limit:
        raise CheckpointError(f"{where}: {name} holds more than {limit:,} bytes")
    return out


def read_json(zf: zipfile.ZipFile, name: str, where: str) -> Any:
    """A small JSON member (at most :data:`MAX_JSON_BYTES`)."""
    raw = read_member(zf, name, MAX_JSON_BYTES, where)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise CheckpointError(f"{where}: {name} is not JSON ({err})") from None


def load_weights(data: bytes, where: str, limit: int) -> Any:
    """``torch.load(data, weights_only=True)`` of a ``torch.save`` archive whose members declare at most
    ``limit`` bytes in all; bytes of any other kind are "not a checkpoint"."""
    import pickle

    import torch

    zf = open_zip(data, where)
    with zf:
        if not is_torch_archive(zf):
            raise CheckpointError(
                f"{where}: not a checkpoint (a zip archive, but not one written by torch.save)"
            )
        declared = sum(info.file_size for info in zf.infolist())
        if declared > limit:
            raise CheckpointError(
                f"{where}: its tensors declare {declared:,} bytes, more than the {limit:,} it can hold"
            )
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(
            f"{where}: refused: it holds pickled objects that are not plain weights, and "
            f"loading them could run code ({first[:300]})"
        ) from None
    except Exception as err:  # noqa: BLE001 - damaged or foreign archives: say so, never unpickle instead
        detail = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
        raise CheckpointError(
            f"{where}: not a readable weights file ({type(err).__name__}: {detail})"
        ) from None
