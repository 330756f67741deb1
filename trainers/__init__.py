"""Trainer plugins.

A trainer is a class registered under the entry-point group ``brawl_league.trainers``, built from a
validated config, given a league and a run directory, and reporting progress through one callback hook.
The default plugin, ``transformer-lstm-ppo`` (a transformer strategy encoder feeding an LSTM, trained with
recurrent PPO), will live here. Nothing is implemented yet.
"""
