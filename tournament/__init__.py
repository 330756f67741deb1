"""Tournaments: round-robin schedules, match running (local worker processes or Ray), rating tables
(Bradley-Terry on the Elo scale with bootstrap intervals) and reports.

Nothing is implemented yet.
"""
