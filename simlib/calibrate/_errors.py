"""The error a user can cause while calibrating (a bad CSV, a bad date, a bad option).

`simlib.errors.UserError` is the project's single user-error type; it is imported lazily so
this package can be imported on its own.
"""

from __future__ import annotations


def user_error(message: str) -> Exception:
    """Return (not raise) a `simlib.UserError` carrying the full human message."""
    from simlib.errors import UserError

    return UserError(message)
