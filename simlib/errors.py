"""Errors a user can cause. Their ``str()`` is the whole message; the CLI prints it, exit 2."""

from __future__ import annotations

import difflib


class UserError(Exception):
    """A problem in the user's input (a scenario, a CSV, a parameter), not in simlib."""


class ScenarioError(UserError):
    """A scenario file or override that does not validate.

    ``source`` is the file (or ``<override>``), ``key`` the dotted key path.
    """

    def __init__(self, source: str, key: str, problem: str):
        self.source, self.key, self.problem = source, key, problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")


def did_you_mean(word: str, allowed) -> str:
    """' Did you mean 'x'?' for the closest allowed word, or ''."""
    close = difflib.get_close_matches(str(word), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""
