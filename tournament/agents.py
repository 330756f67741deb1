"""Who plays in a tournament: agent specs parsed from the command line, and network weights loaded safely.

An agent is one of

- a **bot spec**: a built-in or entry-point name (``BasedBot``), ``FILE.py:CLASS`` or ``MODULE:CLASS``;
- a **checkpoint file**: a trainer checkpoint ``.zip`` (``runs/<run>/checkpoints/rl_model_<N>_steps.zip``)
  or a league snapshot ``.pt``;
- a **league selector** over the snapshots of the ``--league`` database: ``league:latest`` (the newest
  snapshot), ``league:topN`` (the N best by league rating) or ``league:NAME`` (one snapshot by name);
- a **directory of submissions**: every ``*.py`` file in it that defines exactly one
  :class:`~brawl_env.bots.Bot` subclass, and every ``*.pt`` / ``*.zip`` file.

Checkpoint files may come from strangers, so loading one never unpickles: a ``.pt`` file is read with
``torch.load(..., weights_only=True)`` (tensors and plain containers only), a ``.zip`` checkpoint is
opened with :mod:`zipfile` and only its JSON model card (``brawl_model.json``) and its ``policy.pth``
(again ``weights_only=True``) are read; SB3's pickled ``data`` member is never touched. A file holding
anything else is refused with :class:`AgentError`. Bot files, by contrast, *are* code: a tournament
runs them (in worker processes, with every call guarded) and cannot sandbox what they do.

Names: a built-in bot is named by its spec, a file or module bot by its class, a checkpoint by
``<run>@<steps>`` (for ``runs/<run>/checkpoints/rl_model_<steps>_steps.zip``) or its file stem, a league
snapshot by its player name. Two different agents with the same name get ``-2``, ``-3`` ... suffixes;
the same agent given twice is an error.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import logging
import re
import zipfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any


log = logging.getLogger(__name__)

NN_SUFFIXES = (".pt", ".zip")
MODEL_CARD = "brawl_model.json"  # the trainer's JSON model card inside checkpoint zips
POLICY_MEMBER = "policy.pth"  # SB3's policy state_dict inside checkpoint zips
_LEAGUE_TOP = re.compile(r"top(\d+)")


class AgentError(ValueError):
    """An agent spec that cannot be played (unknown, unreadable, unsafe, duplicated); says which."""


@dataclass(frozen=True)
class AgentSpec:
    """One tournament agent, as plain data a worker process (or a Ray task) can rebuild it from.

    :param name: unique name in the tournament's table.
    :param kind: ``"bot"`` (scripted, a :class:`~brawl_env.bots.Bot`) or ``"nn"`` (a network checkpoint).
    :param spec: the bot spec, or the checkpoint's path, as given (normalised to an absolute path).
    :param source: ``builtin`` (built-in or entry-point bot), ``file``, ``module``, ``checkpoint`` or
        ``snapshot``.
    :param path: the file the agent comes from (bot source or checkpoint), absolute; None for named bots.
    :param sha256: the file's hash, checked again by every worker that loads it.
    :param league_player: for league snapshots, the player's name in the league it came from.
    :param payload: the file's bytes, shipped with the spec where workers may not see the file (Ray).
    """

    name: str
    kind: str
    spec: str
    source: str
    path: str | None = None
    sha256: str | None = None
    league_player: str | None = None
    payload: bytes | None = field(default=None, repr=False, compare=False)

    def describe(self) -> dict[str, Any]:
        """JSON-ready description for ``tournament.json`` (no payload)."""
        d = asdict(self)
        d.pop("payload")
        return d

    def with_payload(self) -> AgentSpec:
        """This spec carrying its file's bytes (checked against the hash), for workers on other machines."""
        if self.path is None or self.payload is not None:
            return self
        data = Path(self.path).read_bytes()
        if self.sha256 and hashlib.sha256(data).hexdigest() != self.sha256:
            raise AgentError(
                f"agent {self.name!r}: {self.path} changed since the tournament started "
                f"(sha256 {hashlib.sha256(data).hexdigest()[:12]}, expected {self.sha256[:12]})"
            )
        return replace(self, payload=data)


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------------------------------


def parse_agents(
    specs: list[str], league_dir: str | Path | None = None, check: bool = True
) -> list[AgentSpec]:
    """Turn command-line agent specs into :class:`AgentSpec` s (see the module docstring).

    ``check`` loads every agent once here (bot classes imported, checkpoint weights read and the network
    built) so a bad agent fails before any match is played.
    """
    found: list[AgentSpec] = []
    for raw in specs:
        if not isinstance(raw, str) or not raw.strip():
            raise AgentError(f"an agent spec is a non-empty string; got {raw!r}")
        found.extend(_parse_one(raw.strip(), league_dir))
    agents = _unique_names(found)
    if len(agents) < 2:
        raise AgentError(
            f"a tournament needs at least two agents; got {len(agents)} "
            f"({', '.join(a.name for a in agents) or 'none'}) from {specs!r}"
        )
    if check:
        for agent in agents:
            check_agent(agent)
    return agents


def _parse_one(raw: str, league_dir) -> list[AgentSpec]:
    if raw.startswith("league:"):
        return _league_agents(raw, league_dir)
    path = Path(raw).expanduser()
    if path.is_dir():
        return _submissions(path)
    if path.suffix.lower() in NN_SUFFIXES and ":" not in path.name:
        if not path.is_file():
            raise AgentError(f"agent {raw!r}: no checkpoint file {path}")
        return [_checkpoint(path)]
    return [_bot(raw)]


def _bot(spec: str) -> AgentSpec:
    from brawl_env.bots.registry import BotSpecError, bot_class, entries

    try:
        cls = bot_class(spec)
    except BotSpecError as err:
        raise AgentError(f"agent {spec!r}: {err}") from None
    if any(e.name == spec for e in entries()):
        return AgentSpec(name=spec, kind="bot", spec=spec, source="builtin")
    target, _, attr = spec.rpartition(":")
    if target.endswith(".py") or "/" in target or "\\" in target:
        path = Path(target).expanduser().resolve()
        return AgentSpec(
            name=attr,
            kind="bot",
            spec=f"{path}:{attr}",
            source="file",
            path=str(path),
            sha256=sha256_file(path),
        )
    return AgentSpec(name=cls.__name__, kind="bot", spec=spec, source="module")


def checkpoint_name(path: Path) -> str:
    """``<run>@<steps>`` for ``runs/<run>/checkpoints/rl_model_<steps>_steps.zip``, else the file's stem."""
    m = re.fullmatch(r"rl_model_(\d+)_steps", path.stem)
    if m and path.parent.name == "checkpoints" and path.parent.parent.name:
        return f"{path.parent.parent.name}@{m.group(1)}"
    return path.stem


def _checkpoint(path: Path) -> AgentSpec:
    path = path.resolve()
    return AgentSpec(
        name=checkpoint_name(path),
        kind="nn",
        spec=str(path),
        source="checkpoint",
        path=str(path),
        sha256=sha256_file(path),
    )


def _submissions(directory: Path) -> list[AgentSpec]:
    """Every ``*.py`` with exactly one Bot subclass, and every ``*.pt``/``*.zip``, in name order."""
    out: list[AgentSpec] = []
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix.lower() in NN_SUFFIXES:
            out.append(_checkpoint(path))
        elif path.suffix == ".py":
            classes = _bot_classes_in(path)
            if len(classes) == 1:
                out.append(_bot(f"{path}:{classes[0]}"))
            elif classes:
                log.warning(
                    "submissions: %s defines %d bots (%s); name one as %s:CLASS",
                    path,
                    len(classes),
                    ", ".join(classes),
                    path,
                )
            else:
                log.warning("submissions: %s defines no Bot subclass; skipped", path)
    if not out:
        raise AgentError(
            f"submission directory {directory} holds no bot files (*.py with one Bot subclass) "
            "and no checkpoints (*.pt, *.zip)"
        )
    return out


def _bot_classes_in(path: Path) -> list[str]:
    """Names of the Bot subclasses a file defines (imported classes do not count)."""
    from brawl_env.bots.base import Bot
    from brawl_env.bots.registry import BotSpecError, bot_class

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError) as err:
        raise AgentError(f"submission {path}: not valid Python ({err})") from None
    names = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    found = []
    for name in names:
        try:
            cls = bot_class(f"{path}:{name}")
        except BotSpecError:
            continue  # defined in the file but not a Bot (or the file fails to import: reported below)
        if issubclass(cls, Bot):
            found.append(name)
    if names and not found:
        try:  # surface an import error instead of "no bots"
            bot_class(f"{path}:{names[0]}")
        except BotSpecError as err:
            if "importing" in str(err):
                raise AgentError(f"submission {path}: {err}") from None
    return found


def _league_agents(raw: str, league_dir) -> list[AgentSpec]:
    from league.errors import LeagueError
    from league.store import League

    what = raw[len("league:") :]
    if league_dir is None:
        raise AgentError(f"agent {raw!r}: league snapshots need --league DIR (a league with snapshots)")
    try:
        league = League.open(league_dir)
    except (LeagueError, OSError) as err:
        raise AgentError(f"agent {raw!r}: {err}") from None
    try:
        ratings = league.ratings(kind="snapshot")
        if not ratings:
            raise AgentError(f"agent {raw!r}: league {league_dir} has no snapshots")
        if what == "latest":
            chosen = [max(ratings, key=lambda r: r.player.id).player]
        elif _LEAGUE_TOP.fullmatch(what):
            n = int(_LEAGUE_TOP.fullmatch(what).group(1))
            if n < 1:
                raise AgentError(f"agent {raw!r}: topN needs N >= 1")
            chosen = [r.player for r in sorted(ratings, key=lambda r: (-r.rating, r.player.id))[:n]]
        else:
            chosen = [r.player for r in ratings if r.player.name == what]
            if not chosen:
                names = ", ".join(r.player.name for r in ratings[:20])
                raise AgentError(
                    f"agent {raw!r}: no snapshot named {what!r} in {league_dir}; use league:latest, "
                    f"league:topN or one of: {names}"
                )
        out = []
        for player in chosen:
            try:
                path = league.load_snapshot(player)  # checks the file's sha256
            except (LeagueError, OSError) as err:
                raise AgentError(f"agent {raw!r}: {err}") from None
            out.append(
                AgentSpec(
                    name=player.name,
                    kind="nn",
                    spec=str(path),
                    source="snapshot",
                    path=str(path),
                    sha256=player.file_hash or sha256_file(path),
                    league_player=player.name,
                )
            )
        return out
    finally:
        league.close()


def _unique_names(agents: list[AgentSpec]) -> list[AgentSpec]:
    seen_specs: dict[tuple, str] = {}
    used: set[str] = set()
    out = []
    for agent in agents:
        identity = (agent.kind, agent.sha256 or agent.spec, agent.spec if agent.kind == "bot" else None)
        if identity in seen_specs:
            raise AgentError(f"agent {agent.spec!r} is given twice (as {seen_specs[identity]!r} already)")
        name, k = agent.name, 1
        while name in used:
            k += 1
            name = f"{agent.name}-{k}"
        used.add(name)
        seen_specs[identity] = name
        out.append(replace(agent, name=name) if name != agent.name else agent)
    return out


# ---------------------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------------------


def check_agent(agent: AgentSpec) -> None:
    """Load an agent once (import the bot class, or read the weights and build the network)."""
    if agent.kind == "bot":
        bot_class_for(agent)
    else:
        build_policy(agent)


def bot_class_for(agent: AgentSpec):
    """The Bot class of a bot agent (for file bots shipped as bytes, written to a private temp file first)."""
    from brawl_env.bots.registry import BotSpecError, bot_class

    spec = agent.spec
    if agent.source == "file" and agent.payload is not None and not _same_file(agent):
        spec = f"{_materialise(agent)}:{agent.spec.rpartition(':')[2]}"
    elif agent.source == "file" and agent.sha256 is not None:
        found = sha256_file(agent.path)
        if found != agent.sha256:
            raise AgentError(
                f"agent {agent.name!r}: {agent.path} changed since the tournament started "
                f"(sha256 {found[:12]}, expected {agent.sha256[:12]})"
            )
    try:
        return bot_class(spec)
    except BotSpecError as err:
        raise AgentError(f"agent {agent.name!r}: {err}") from None


def _same_file(agent: AgentSpec) -> bool:
    try:
        return agent.path is not None and sha256_file(agent.path) == agent.sha256
    except OSError:
        return False


def _materialise(agent: AgentSpec) -> Path:
    import tempfile

    folder = Path(tempfile.gettempdir()) / f"brawl-tournament-{agent.sha256[:16]}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(agent.path).name
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(agent.payload)
        tmp.replace(target)
    return target


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


def read_weights(agent: AgentSpec) -> tuple[dict, dict]:
    """``(model card, state_dict)`` of a checkpoint agent, without executing anything from the file."""
    data = agent.payload
    if data is None:
        try:
            data = Path(agent.path).read_bytes()
        except OSError as err:
            raise AgentError(f"agent {agent.name!r}: cannot read {agent.path}: {err}") from None
    if agent.sha256 is not None and hashlib.sha256(data).hexdigest() != agent.sha256:
        raise AgentError(f"agent {agent.name!r}: {agent.path} changed since the tournament started")
    where = f"agent {agent.name!r} ({agent.path})"
    if _is_checkpoint_zip(data, agent.path):
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


def build_policy(agent: AgentSpec, device: str = "cpu"):
    """The agent's :class:`~trainers.transformer_lstm_ppo.policy.TransformerLstmPolicy`, in eval mode."""
    import torch

    from trainers.transformer_lstm_ppo.config import ModelConfig
    from trainers.transformer_lstm_ppo.policy import build_policy as new_policy

    card, state = read_weights(agent)
    try:
        m = ModelConfig(**card)
    except Exception as err:  # noqa: BLE001 - pydantic's error names the field
        raise AgentError(f"agent {agent.name!r}: bad model card: {err}") from None
    if not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise AgentError(f"agent {agent.name!r}: the state_dict holds something other than tensors")
    policy = new_policy(m)
    try:
        policy.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise AgentError(
            f"agent {agent.name!r}: weights do not fit the model card: {str(err)[:400]}"
        ) from None
    policy.set_training_mode(False)
    policy.action_repeat = int(getattr(m, "action_repeat", 1))  # frames each decision is held (model card)
    return policy.to(device)
