"""The league's errors. Each message names the file, player or entry at fault."""

from __future__ import annotations


class LeagueError(Exception):
    """Base class: something about a league directory or its database is wrong."""


class LeagueNotFoundError(LeagueError):
    """No league database where one was expected."""


class LeagueCorruptError(LeagueError):
    """The file is not a readable league database (not SQLite, damaged, or without a league schema)."""


class SchemaTooNewError(LeagueError):
    """The database was written by a newer version of brawl-league than this one."""


class SnapshotError(LeagueError):
    """A snapshot file is missing or its contents do not match the hash recorded when it was registered."""


class UnknownPlayerError(LeagueError, LookupError):
    """A player name or id that the league does not hold."""
