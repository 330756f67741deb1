"""The tiny model and PPO sizes that tests train with (`--set` overrides of the default trainer), in one
place; each test adds its own cadences and length. Importable from any test: pytest puts tests/ on the
path for tests/conftest.py."""

TINY_MODEL = [
    "model.frame_dim=16",
    "model.d_model=16",
    "model.heads=2",
    "model.layers=1",
    "model.window=8",
    "model.ffn=16",
    "model.lstm=16",
    "ppo.n_envs=8",
    "ppo.n_steps=16",
    "ppo.batch_size=64",
    "ppo.n_epochs=1",
    "env.max_frames=40",
]
