"""The experiment layer's error: a UserError built like ScenarioError (file, key, problem)."""
from __future__ import annotations

from ..errors import ScenarioError, UserError


class ExperimentError(ScenarioError):
    """An experiment file, request or results folder that cannot be used.

    Built like ScenarioError: ``ExperimentError(file, key, problem)`` reads "file: key:
    problem"; ``ExperimentError(message)`` is for problems that belong to no key."""

    def __init__(self, source: str, key: str | None = None, problem: str | None = None):
        if problem is None:
            self.source, self.key, self.problem = "", "", source
            UserError.__init__(self, source)
        else:
            super().__init__(source, key or "", problem)
