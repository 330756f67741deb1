"""Agent specs: the one parser that turns what a user names into agents, for every command.

A spec is one of

- a **bot spec**: a built-in or entry-point name (``BasedBot``), ``FILE.py:CLASS`` or ``MODULE:CLASS``
  (``brawl_env.bots``);
- a **checkpoint file** of any installed trainer: the trainer registry (``league.registry``) asks each
  trainer plugin whether the file is its checkpoint (the default trainer's are its run checkpoints
  ``runs/<run>/checkpoints/rl_model_<N>_steps.zip`` and league snapshots ``.pt``);
- a **named agent** a trainer plugin ships (``Champion``, the default trainer's best network): a word
  that is not a bot's name, looked up through the trainer registry (``named_agents()`` of each trainer),
  so a spec naming a bot never imports a trainer;
- a **league selector** over the snapshots of a league database: ``league:latest`` (the newest
  snapshot), ``league:topN`` (the N best by league rating), ``league:spacedN`` (N snapshots evenly
  spaced by training step, the first and the last included) or ``league:NAME`` (one snapshot by name);
- a **directory of submissions**: every ``*.py`` file in it that defines exactly one
  :class:`~brawl_env.bots.Bot` subclass, and every file a trainer claims as its checkpoint.

Parsing gives :class:`AgentSpec` s, plain data a worker process (or a Ray task) can rebuild the agent
from; :func:`make_agent` builds it: a bot through ``brawl_env.bots.bot_agent``, a checkpoint through its
trainer's plugin (``load_agent``), both agents of the one agent protocol (``brawl_env.bots.Agent``).
Loading a checkpoint never runs code from it (the plugin's promise: the default trainer reads every file
through its one safe loader, ``trainers/transformer_lstm_ppo/checkpoint.py``, with bounded sizes and
``weights_only``; random bytes are "not a checkpoint"), and a file larger than its trainer's
``max_checkpoint_bytes`` is refused unread. Bot files, by contrast, *are* code: whoever plays them (a
tournament's workers guard every call) cannot sandbox what they do.

Names: a built-in bot is named by its spec, a named agent by its name, a file or module bot by its
class, a checkpoint by ``<run>@<steps>`` (for ``runs/<run>/checkpoints/rl_model_<steps>_steps.zip``) or
its file stem, a league snapshot by its player name. Two different agents with the same name get ``-2``,
``-3`` ... suffixes; the same agent given twice is an error.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .run_folder import CHECKPOINTS, checkpoint_steps


log = logging.getLogger(__name__)

#: file suffixes a missing file is taken as a checkpoint for (so the error says "no checkpoint file")
NN_SUFFIXES = (".pt", ".zip")
_LEAGUE_TOP = re.compile(r"top(\d+)")
_LEAGUE_SPACED = re.compile(r"spaced(\d+)")


class AgentError(ValueError):
    """An agent spec that cannot be played (unknown, unreadable, unsafe, duplicated); says which."""


@dataclass(frozen=True)
class AgentSpec:
    """One agent, as plain data a worker process (or a Ray task) can rebuild it from.

    :param name: unique name (in a tournament's table, a match's result).
    :param kind: ``"bot"`` (scripted, a :class:`~brawl_env.bots.Bot`) or ``"nn"`` (a network checkpoint).
    :param spec: the bot spec, or the checkpoint's path, as given (normalised to an absolute path).
    :param source: ``builtin`` (built-in or entry-point bot), ``file``, ``module``, ``checkpoint``,
        ``named`` (a checkpoint a trainer ships by name) or ``snapshot``.
    :param path: the file the agent comes from (bot source or checkpoint), absolute; None for named bots.
    :param sha256: the file's hash, checked again by every worker that loads it.
    :param league_player: for league snapshots, the player's name in the league it came from.
    :param trainer: for checkpoints, the trainer plugin (registry name) that loads them.
    :param payload: the file's bytes, shipped with the spec where workers may not see the file (Ray).
    :param step: the training step a snapshot or run checkpoint was taken at, where known (reports plot
        rating against it).
    """

    name: str
    kind: str
    spec: str
    source: str
    path: str | None = None
    sha256: str | None = None
    league_player: str | None = None
    trainer: str | None = None
    payload: bytes | None = field(default=None, repr=False, compare=False)
    step: int | None = None

    def describe(self) -> dict[str, Any]:
        """JSON-ready description for ``tournament.json`` (no payload)."""
        d = asdict(self)
        d.pop("payload")
        return d

    def with_payload(self) -> AgentSpec:
        """This spec carrying its file's bytes (checked against the hash), for workers on other machines."""
        if self.path is None or self.payload is not None:
            return self
        data = _read_file(self, self.path)
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
    """Turn a tournament's agent specs into :class:`AgentSpec` s (see the module docstring): at least two,
    named uniquely.

    ``check`` loads every agent once here (bot classes imported, checkpoints read and the network
    built) so a bad agent fails before any match is played.
    """
    found: list[AgentSpec] = []
    for raw in specs:
        found.extend(parse_spec(raw, league_dir))
    agents = _unique_names(found)
    if len(agents) < 2:
        raise AgentError(
            f"a tournament or ladder needs at least two agents; got {len(agents)} "
            f"({', '.join(a.name for a in agents) or 'none'}) from {specs!r}"
        )
    if check:
        for agent in agents:
            check_agent(agent)
    return agents


def parse_agent(raw: str, league_dir: str | Path | None = None, check: bool = True) -> AgentSpec:
    """The one agent a spec names (a directory or ``league:topN`` naming several is an error)."""
    found = parse_spec(raw, league_dir)
    if len(found) != 1:
        raise AgentError(
            f"agent {raw!r} names {len(found)} agents ({', '.join(a.name for a in found)}); give one"
        )
    if check:
        check_agent(found[0])
    return found[0]


def parse_spec(raw: str, league_dir: str | Path | None = None) -> list[AgentSpec]:
    """The agents one spec names (a directory of submissions or ``league:topN`` name several)."""
    if not isinstance(raw, str) or not raw.strip():
        raise AgentError(f"an agent spec is a non-empty string; got {raw!r}")
    raw = raw.strip()
    if raw.startswith("league:"):
        return _league_agents(raw, league_dir)
    path = Path(raw).expanduser()
    if path.is_dir():
        return _submissions(path)
    if ":" not in path.name and not _is_bot_name(raw):
        if path.is_file():
            return [_checkpoint(path, raw)]
        if path.suffix.lower() in NN_SUFFIXES:
            raise AgentError(f"agent {raw!r}: no checkpoint file {path}")
        if ":" not in raw and "/" not in raw and "\\" not in raw:
            named = _named(raw)
            if named is not None:
                return [named]
    return [_bot(raw)]


def _named(raw: str) -> AgentSpec | None:
    """The checkpoint an installed trainer ships under the name ``raw`` (``Champion``), named exactly so."""
    from .registry import named_agent

    found = named_agent(raw)
    if found is None:
        return None
    trainer, path = found
    if not path.is_file():
        raise AgentError(
            f"agent {raw!r}: trainer {trainer!r} ships it as {path}, but the file is missing "
            "(reinstall the package)"
        )
    path = path.resolve()
    return AgentSpec(
        name=raw,
        kind="nn",
        spec=str(path),
        source="named",
        path=str(path),
        sha256=sha256_file(path),
        trainer=trainer,
    )


def _is_bot_name(raw: str) -> bool:
    from brawl_env.bots.registry import bot_name

    return bot_name(raw) is not None


def _bot(spec: str) -> AgentSpec:
    from brawl_env.bots.registry import BotSpecError, bot_class, bot_name

    try:
        cls = bot_class(spec)
    except BotSpecError as err:
        raise AgentError(f"agent {spec!r}: {err}") from None
    name = bot_name(spec)
    if name is not None:  # named as the registry names it, whatever case it was typed in
        return AgentSpec(name=name, kind="bot", spec=name, source="builtin")
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
    steps = checkpoint_steps(path)
    if steps is not None and path.parent.name == CHECKPOINTS and path.parent.parent.name:
        return f"{path.parent.parent.name}@{steps}"
    return path.stem


def checkpoint_step(path: Path) -> int | None:
    """The step in a run checkpoint's name (``rl_model_<steps>_steps.zip``), or None."""
    return checkpoint_steps(path)


def _trainer_of(path: Path, raw: str) -> str:
    """The trainer whose checkpoint ``path`` is (through the registry), or an error naming the trainers."""
    from .registry import available, checkpoint_trainer

    trainer = checkpoint_trainer(path)
    if trainer is None:
        raise AgentError(
            f"agent {raw!r}: {path} is neither a bot (FILE.py:CLASS) nor a checkpoint of an "
            f"installed trainer (trainers: {', '.join(available()) or 'none'})"
        )
    return trainer


def _checkpoint(path: Path, raw: str | None = None) -> AgentSpec:
    path = path.resolve()
    return AgentSpec(
        name=checkpoint_name(path),
        kind="nn",
        spec=str(path),
        source="checkpoint",
        path=str(path),
        sha256=sha256_file(path),
        trainer=_trainer_of(path, raw or str(path)),
        step=checkpoint_step(path),
    )


def _submissions(directory: Path) -> list[AgentSpec]:
    """Every ``*.py`` with exactly one Bot subclass, and every trainer's checkpoint, in name order."""
    from .registry import checkpoint_trainer

    out: list[AgentSpec] = []
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix != ".py" and checkpoint_trainer(path) is not None:
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
            "and no checkpoints of an installed trainer (*.pt, *.zip for the default one)"
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
    from .errors import LeagueError
    from .store import League

    what = raw[len("league:") :]
    if league_dir is None:
        raise AgentError(f"agent {raw!r}: league snapshots need --league DIR (a league with snapshots)")
    try:
        league = League.open(league_dir, read_only=True)
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
        elif _LEAGUE_SPACED.fullmatch(what):
            chosen = spaced_by_step(
                [r.player for r in ratings], int(_LEAGUE_SPACED.fullmatch(what).group(1)), raw
            )
        else:
            from brawl_env.names import did_you_mean, resolve_name

            found = resolve_name(what, [r.player.name for r in ratings])
            chosen = [r.player for r in ratings if r.player.name == found]
            if not chosen:
                names = ", ".join(r.player.name for r in ratings[:20])
                hint = did_you_mean(what, [r.player.name for r in ratings])
                raise AgentError(
                    f"agent {raw!r}: no snapshot named {what!r} in {league_dir}; {hint + ' ' if hint else ''}"
                    f"use league:latest, league:topN, league:spacedN or one of: {names}"
                )
        out = []
        for player in chosen:
            try:
                out.append(snapshot_spec(league, player))
            except (LeagueError, OSError) as err:
                raise AgentError(f"agent {raw!r}: {err}") from None
        return out
    finally:
        league.close()


def spaced_by_step(players: list, n: int, raw: str = "league:spacedN") -> list:
    """``n`` of the snapshots ``players`` evenly spaced by training step (oldest first), the first and the
    last always among them; all of them when there are no more than ``n``. Retired snapshots count:
    the league's evidence is the whole run, not the current self-play pool."""
    if n < 2:
        raise AgentError(f"agent {raw!r}: spacedN needs N >= 2 (the first and the last snapshot)")
    ordered = sorted(players, key=lambda p: (p.step if p.step is not None else -1, p.id))
    if len(ordered) <= n:
        return ordered
    last = len(ordered) - 1
    # targets evenly spaced in step, each taken by the nearest snapshot not taken yet
    lo, hi = ordered[0].step or 0, ordered[-1].step or 0
    picked: list[int] = []
    for i in range(n):
        target = lo + (hi - lo) * i / (n - 1)
        free = [k for k in range(len(ordered)) if k not in picked]
        picked.append(min(free, key=lambda k: (abs((ordered[k].step or 0) - target), k)))
    picked = sorted(set(picked) | {0, last})
    return [ordered[k] for k in picked]


def snapshot_spec(league, player) -> AgentSpec:
    """A league snapshot player as an :class:`AgentSpec` (its file's hash checked by the league)."""
    path = Path(league.load_snapshot(player))
    return AgentSpec(
        name=player.name,
        kind="nn",
        spec=str(path),
        source="snapshot",
        path=str(path),
        sha256=player.file_hash or sha256_file(path),
        league_player=player.name,
        trainer=_trainer_of(path, f"league:{player.name}"),
        step=player.step,
    )


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
    """Load an agent once (import the bot class, or read the checkpoint and build the network)."""
    if agent.kind == "bot":
        bot_class_for(agent)
    else:
        make_agent(agent)


def make_agent(agent: AgentSpec, *, deterministic: bool = False, device: str = "cpu", seed: int = 0):
    """The agent (``brawl_env.bots.Agent``) a spec names: a bot through ``brawl_env.bots.bot_agent``
    (unguarded: whoever plays untrusted bots guards them), a checkpoint through its trainer's plugin.

    :param deterministic: a network presses a key when its probability is above 1/2 instead of sampling.
    :param seed: seeds a bot's per-row seeds for resets that come without seeds.
    """
    if agent.kind == "bot":
        from brawl_env.bots import bot_agent

        return bot_agent(bot_class_for(agent), seed=seed, name=agent.name)
    from .registry import load_checkpoint_agent

    trainer = agent.trainer or _trainer_of(Path(agent.path), agent.spec)
    return load_checkpoint_agent(
        trainer,
        read_bytes(agent),
        name=agent.name,
        where=f"agent {agent.name!r} ({agent.path})",
        deterministic=deterministic,
        device=device,
        path=agent.path,
    )


def read_bytes(agent: AgentSpec) -> bytes:
    """The bytes of a checkpoint agent's file (or its payload), checked against the hash it was parsed with."""
    data = agent.payload
    if data is None:
        data = _read_file(agent, agent.path)
    if agent.sha256 is not None and hashlib.sha256(data).hexdigest() != agent.sha256:
        raise AgentError(f"agent {agent.name!r}: {agent.path} changed since the tournament started")
    return data


def _read_file(agent: AgentSpec, path: str) -> bytes:
    """A checkpoint file's bytes, refused unread if it is larger than its trainer loads (the plugin's
    ``max_checkpoint_bytes``), so a stranger's huge file never reaches memory."""
    limit = None
    if agent.kind != "bot":
        from .registry import max_checkpoint_bytes

        limit = max_checkpoint_bytes(agent.trainer or _trainer_of(Path(path), agent.spec))
    try:
        if limit is not None and (size := Path(path).stat().st_size) > limit:
            raise AgentError(
                f"agent {agent.name!r} ({path}): {size:,} bytes, larger than any checkpoint "
                f"can be ({limit:,}); not read"
            )
        return Path(path).read_bytes()
    except OSError as err:
        raise AgentError(f"agent {agent.name!r}: cannot read {path}: {err}") from None


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
