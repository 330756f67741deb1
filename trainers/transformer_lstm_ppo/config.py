"""The trainer's configuration: frozen pydantic models mirroring the TOML sections of a preset.

A run's config comes from a preset file (``presets/<name>.toml``), then an optional ``--config`` TOML
file, then ``--set section.key=value`` overrides, in that order; every key is checked and a bad one is
named with the allowed keys. ``test50k`` and ``full10m`` share every hyper-parameter: only the
``[run]`` section (length, cadences, debug logging) differs, and a test parses them to make sure.
"""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from brawl_env.config import EnvConfig
from league.config import LeagueConfig

PRESETS = ("standard", "smoke", "test50k", "full10m", "seed-guide")


class _Frozen(BaseModel):
    # strict: a TOML value or --set override of the wrong type is an error, never coerced ("yes" is not
    # True, 1.5e5 is not an int); floats still take integers (learning_rate = 1 is 1.0)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ModelConfig(_Frozen):
    """Network sizes (the guide's: 6 layers, 8 heads, 256 wide, 90 frames, LSTM 512). The upper bounds keep
    a model card from a stranger's file from asking for gigabytes (the weights a card implies are also
    capped as a whole when a file is loaded: ``checkpoint.MAX_WEIGHT_BYTES``)."""

    frame_dim: int = Field(256, ge=8, le=4096, description="Width of the per-frame feature MLP.")
    d_model: int = Field(256, ge=8, le=4096, description="Transformer width = strategy latent size.")
    heads: int = Field(8, ge=1, le=64, description="Attention heads (must divide d_model).")
    layers: int = Field(6, ge=1, le=48, description="Transformer layers the query reads through.")
    window: int = Field(90, ge=2, le=1024, description="Opponent frames the encoder reads (3 s at 30 fps).")
    ffn: int = Field(1024, ge=8, le=16384, description="Feed-forward width inside each layer.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout in the encoder (off in evaluation).")
    lstm: int = Field(512, ge=8, le=4096, description="LSTM hidden units.")
    initial_press_prob: float = Field(
        0.1, gt=0, lt=1, description="Each key's press probability at initialisation."
    )
    hit_features: bool = Field(
        False,
        description="The frame MLP also reads 44 flags: which of my moves and the opponent's would land "
        "if started now (trainers/transformer_lstm_ppo/hit_features.py).",
    )
    action_repeat: int = Field(
        1,
        ge=1,
        le=8,
        description="Frames each decision's keys are held (1 = decide every "
        "frame; the encoder then reads one frame per decision).",
    )

    @model_validator(mode="after")
    def _heads_divide(self):
        if self.d_model % self.heads:
            raise ValueError(f"model.heads ({self.heads}) must divide model.d_model ({self.d_model})")
        return self


class PPOConfig(_Frozen):
    """Recurrent PPO hyper-parameters, all passed to the learner (no dead keys)."""

    n_envs: int = Field(64, ge=1, description="Matches stepped together (one learner per match).")
    n_steps: int = Field(64, ge=1, description="Decisions (env steps) per env per rollout.")
    batch_size: int = Field(
        1024, ge=1, description="Minibatch size in steps (whole envs, or chunks of n_steps)."
    )
    n_epochs: int = Field(4, ge=1, description="Passes over each rollout.")
    learning_rate: float = Field(2.5e-4, gt=0, description="Adam learning rate.")
    gamma: float = Field(
        0.995, gt=0, le=1, description="Discount per decision (per frame when model.action_repeat = 1)."
    )
    gae_lambda: float = Field(0.95, ge=0, le=1, description="GAE lambda.")
    clip_range: float = Field(0.2, gt=0, description="PPO ratio clip.")
    ent_coef: float = Field(0.01, ge=0, description="Entropy bonus weight (0 allowed).")
    vf_coef: float = Field(0.5, ge=0, description="Value loss weight.")
    max_grad_norm: float = Field(0.5, gt=0, description="Gradient norm clip.")
    target_kl: float | None = Field(None, description="Stop an update's epochs early past this KL.")
    normalize_reward: bool = Field(
        True, description="Scale rewards by a running std of the discounted return."
    )
    teacher: str | None = Field(
        None, description="A bot spec whose keys the learner imitates early on (None: off)."
    )
    teacher_coef: float = Field(
        1.0, ge=0, description="Starting weight of the imitation loss (per decision, summed over keys)."
    )
    teacher_steps: int = Field(
        0, ge=0, description="Steps over which the imitation weight falls linearly to 0."
    )
    teacher_drive_steps: int = Field(
        0,
        ge=0,
        description="First steps in which the teacher's keys are played "
        "(behaviour cloning; the imitation weight stays at teacher_coef).",
    )

    @field_validator("teacher")
    @classmethod
    def _known_teacher(cls, v):
        if v is not None:
            from brawl_env.bots import bot_class

            bot_class(v)  # BotSpecError (a ValueError) names the spec and the closest known bots
        return v

    @model_validator(mode="after")
    def _whole_chunks(self):
        chunk = min(self.batch_size, self.n_steps)
        if self.batch_size % chunk or self.n_steps % chunk:
            raise ValueError(
                f"ppo.batch_size ({self.batch_size}) and ppo.n_steps ({self.n_steps}) must divide "
                "one another (a minibatch is whole envs, or whole chunks of each env's rollout)"
            )
        if (self.n_envs * self.n_steps) % self.batch_size:
            raise ValueError(
                f"a rollout (n_envs x n_steps = {self.n_envs * self.n_steps}) must split into whole "
                f"minibatches of ppo.batch_size ({self.batch_size})"
            )
        return self

    @property
    def steps_per_update(self) -> int:
        return self.n_envs * self.n_steps


class RunConfig(_Frozen):
    """Length and cadences of a run (the only section test50k and full10m may differ in)."""

    total_steps: int = Field(
        50_000,
        ge=1,
        description="Env steps (learner decisions; frames = steps x model.action_repeat) to train for.",
    )
    checkpoint_every: int = Field(
        10_000, ge=1, description="Steps between checkpoints (rl_model_<steps>_steps.zip)."
    )
    snapshot_every: int = Field(
        10_000, ge=1, description="Steps between league snapshots (self-play opponents)."
    )
    eval_every: int = Field(10_000, ge=1, description="Steps between evaluations against the built-in bots.")
    eval_games: int = Field(20, ge=1, description="Seeded evaluation matches against each bot each time.")
    eval_bots: tuple[str, ...] = Field(
        ("ConstantBot", "RandomBot", "ClockworkBot", "BasedBot", "SpacerBot", "EdgeGuardBot", "ArmoryBot"),
        min_length=1,
        strict=False,
        description="Bots every evaluation plays (all in one batch, under the tournament's "
        "default rules: 2,700 frames, 3 stocks, no damage tie-break).",
    )
    keep_checkpoints: int = Field(10, ge=1, description="Checkpoints kept on disk (oldest removed).")
    max_minutes: float = Field(
        0.0,
        ge=0,
        allow_inf_nan=False,
        description="Wall-time budget of this "
        "session in minutes: training stops at the first step past it, with a final "
        "checkpoint, as if total_steps were reached (0 = no budget).",
    )
    debug_logging: bool = Field(True, description="Write reward_breakdown.csv and behavior_metrics.csv.")
    backend: Literal["local", "ray"] = Field(
        "local",
        description="Where the matches run: local (in the "
        "learner's process) or ray (run.shards Ray actors; docs/trainer.md).",
    )
    shards: int = Field(
        2,
        ge=1,
        description="Ray actors the matches are split among (run.backend = ray; at most "
        "ppo.n_envs, split as evenly as can be).",
    )
    address: str | None = Field(
        None,
        description="A Ray cluster's address (run.backend = ray; default: join "
        "an initialised Ray, else start a local instance).",
    )

    @field_validator("eval_bots")
    @classmethod
    def _known_bots(cls, v):
        from brawl_env.bots import bot_class

        for name in v:
            bot_class(name)  # BotSpecError (a ValueError) names the spec and the closest known bots
        return tuple(v)

    def missed(self, steps: int, last_eval_step: int, last_snapshot_step: int) -> tuple[bool, bool]:
        """(evaluation, snapshot): whether one was due at ``steps`` and is missing (a stop cut it short),
        so a resumed run makes it before going on."""
        return (
            bool(steps) and steps % self.eval_every == 0 and last_eval_step < steps,
            bool(steps) and steps % self.snapshot_every == 0 and last_snapshot_step < steps,
        )


class TrainConfig(_Frozen):
    """A whole run: ``[train]`` plus the ``[model]``, ``[ppo]``, ``[env]``, ``[league]`` and ``[run]`` sections."""

    trainer: Literal["transformer-lstm-ppo"] = "transformer-lstm-ppo"
    preset: str = Field("custom", description="Name of the preset this config started from.")
    seed: int = Field(
        0,
        ge=0,
        lt=2**32,
        description="Seeds the learner, the envs and the opponent sampler "
        "(below 2**32: SB3 seeds numpy's legacy generator, which takes 32 bits).",
    )
    device: str = Field("auto", description="auto | cuda | mps | cpu (auto: CUDA, else MPS, else CPU).")
    bf16: bool = Field(True, description="bf16 autocast on CUDA.")
    torch_threads: int = Field(
        0,
        ge=0,
        le=1024,
        description="torch's CPU threads in the training process; 0: auto (1 when training on the CPU, "
        "where a second thread made every preset slower on 2 cores, see docs/benchmarks.md; torch's "
        "default beside a GPU).",
    )
    model: ModelConfig = ModelConfig()
    ppo: PPOConfig = PPOConfig()
    env: EnvConfig = Field(
        default_factory=lambda: EnvConfig(rewards="guide"),
        description="The training matches (brawl_env's EnvConfig; the guide's rewards when the "
        "section is absent).",
    )
    league: LeagueConfig = Field(
        default_factory=LeagueConfig,
        description="Ratings and opponent sampling (league.config.LeagueConfig).",
    )
    run: RunConfig = RunConfig()

    @field_validator("device")
    @classmethod
    def _device(cls, v: str) -> str:
        if v not in ("auto", "cuda", "mps", "cpu") and not v.startswith("cuda:"):
            raise ValueError(f"device must be auto, cuda, cuda:N, mps or cpu; got {v!r}")
        return v

    @model_validator(mode="after")
    def _backend(self):
        run = self.run
        if run.backend == "ray" and run.shards > self.ppo.n_envs:
            raise ValueError(
                f"run.shards ({run.shards}) must be at most ppo.n_envs ({self.ppo.n_envs}): "
                "every shard runs at least one match"
            )
        if run.backend != "ray" and run.address is not None:
            raise ValueError('run.address is a Ray cluster\'s address: it needs run.backend = "ray"')
        return self

    @model_validator(mode="after")
    def _cadences(self):
        for key in ("checkpoint_every", "snapshot_every", "eval_every"):
            value = getattr(self.run, key)
            if value % self.ppo.n_envs:
                raise ValueError(
                    f"run.{key} ({value}) must be a multiple of ppo.n_envs ({self.ppo.n_envs}): "
                    "steps advance n_envs at a time and checkpoints land on exact step counts"
                )
        return self

    def hyper_parameters(self) -> dict:
        """Everything but the run section and the preset name (what test50k and full10m must share)."""
        return self.model_dump(exclude={"run", "preset"})


SECTIONS: dict[str, type[BaseModel]] = {
    "model": ModelConfig,
    "ppo": PPOConfig,
    "env": EnvConfig,
    "league": LeagueConfig,
    "run": RunConfig,
}
"""Each TOML section's model (the ``[train]`` keys are :class:`TrainConfig`'s own)."""


def preset_text(name: str) -> str:
    if name not in PRESETS:
        from brawl_env.names import unknown

        raise ValueError(unknown("preset", name, list(PRESETS)))
    return (resources.files(__package__) / "presets" / f"{name}.toml").read_text()


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key not in ("env", "league"):
            out[key] = _merge(out[key], value)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word: a string


def _flatten_train(raw: dict) -> dict:
    out = dict(raw)
    out.update(out.pop("train", {}))
    return out


def build_config(
    preset: str | None = None, config_file: str | None = None, overrides: list[str] = ()
) -> TrainConfig:
    """Preset, then a TOML file, then ``section.key=value`` overrides; errors name the bad key."""
    raw: dict = {}
    if preset is not None:
        raw = _flatten_train(tomllib.loads(preset_text(preset)))
        raw["preset"] = preset
    if config_file is not None:
        with open(config_file, "rb") as fh:
            raw = _merge(raw, _flatten_train(tomllib.load(fh)))
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"--set takes key=value (e.g. ppo.learning_rate=1e-4); got {item!r}")
        key, _, value = item.partition("=")
        parts = key.strip().split(".")
        if parts[0] == "train":
            parts = parts[1:]
        node = raw
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = _parse_value(value.strip())
    try:
        return TrainConfig(**raw)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = ".".join(str(x) for x in e["loc"])
            if e["type"] == "extra_forbidden":
                section = e["loc"][0] if len(e["loc"]) > 1 else None
                model = SECTIONS.get(section, TrainConfig)
                from brawl_env.names import did_you_mean

                hint = did_you_mean(str(e["loc"][-1]), list(model.model_fields))
                problems.append(
                    f"unknown key {loc!r}; allowed: {sorted(model.model_fields)}"
                    + (f" ({hint})" if hint else "")
                )
            else:
                problems.append(f"{loc}: {e['msg']}")
        raise ValueError("bad training config: " + "; ".join(problems)) from None


def to_toml(config: TrainConfig) -> str:
    """The resolved config as TOML (written first into every run directory)."""
    data = config.model_dump()
    lines = ["[train]"]
    for key in ("trainer", "preset", "seed", "device", "bf16", "torch_threads"):
        lines.append(f"{key} = {_toml(data[key])}")
    for section in ("model", "ppo", "env", "league", "run"):
        lines += ["", f"[{section}]"]
        for key, value in data[section].items():
            if value is not None:
                lines.append(f"{key} = {_toml(value)}")
    return "\n".join(lines) + "\n"


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml(x)}' for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return repr(v)
