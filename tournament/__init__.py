"""Tournaments: round-robin schedules, match running (local worker processes or Ray), rating tables
(Bradley-Terry on the Elo scale with bootstrap intervals) and reports.

- ``agents``: agent specs (bots, checkpoints, league snapshots, submission folders); weights loaded
  without unpickling.
- ``schedule``: every pair K seeded matches, sides swapped in half; batches.
- ``lanes``: a batch of matches in lock step, every call to untrusted code guarded.
- ``backends``: local worker processes (with a watchdog) or Ray tasks.
- ``config``: ``TournamentConfig``, the settings of a tournament (a frozen pydantic model).
- ``runner``: ``run_tournament``: plan, play, record, resume, tabulate, report.
- ``ratings``, ``tables``: the rating table and its files.
- ``cli``: the body of ``brawl-league tournament``.

See docs/tournament.md.
"""
