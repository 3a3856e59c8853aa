"""The ``simlib`` command line: ``main`` runs it; one module per group of sub-commands."""

from .main import main

__all__ = ["main"]
