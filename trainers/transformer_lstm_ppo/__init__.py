"""The default trainer plugin: a transformer strategy encoder and a 512-unit LSTM, trained end to end
with recurrent PPO (sb3-contrib), against opponents the league samples. See ``docs/trainer.md``."""
