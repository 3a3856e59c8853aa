"""A team's order log -> a twin of their pond: a runnable scenario of their market on a date
(`twin`, the `simlib twin` command). The customers it seats are the log's own, with their
latent state drawn from the fitted process's posterior (simlib.seating)."""

from simlib.calibrate.twin.build import Twin, twin

__all__ = ["Twin", "twin"]
