"""Errors a user can cause. Their ``str()`` is the whole message; the CLI prints it, exit 2."""

from __future__ import annotations

import datetime
import difflib
import itertools

MAX_KEY_CHARS = 300        # a key path longer than this is shortened in the middle
MAX_PROBLEM_CHARS = 4000   # backstop: no message grows with the size of a user's value


class UserError(Exception):
    """A problem in the user's input (a scenario, a CSV, a parameter), not in simlib."""


class ScenarioError(UserError):
    """A scenario file or override that does not validate.

    ``source`` is the file (or ``<override>``), ``key`` the dotted key path.
    """

    def __init__(self, source: str, key: str, problem: str):
        self.source, self.key = _clip(str(source), MAX_KEY_CHARS), _clip(key, MAX_KEY_CHARS)
        self.problem = _clip(problem, MAX_PROBLEM_CHARS)
        where = f"{self.source}: {self.key}" if self.key else self.source
        super().__init__(f"{where}: {self.problem}")


def did_you_mean(word: str, allowed) -> str:
    """' Did you mean 'x'?' for the closest allowed word, or ''."""
    word = str(word) if isinstance(word, (str, int, float)) else ""
    if not word or len(word) > 100:
        return ""
    close = difflib.get_close_matches(word, [str(a) for a in allowed], n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def key_text(key) -> str:
    """A key as it goes into a dotted key path: itself if short and printable, else ``short_repr``."""
    if isinstance(key, str) and len(key) <= 60 and key.isprintable():
        return key
    return short_repr(key, 40)


def short_repr(value, limit: int = 60, depth: int = 2, items: int = 4) -> str:
    """``repr`` of a user's value, bounded: at most about ``limit`` characters, ``items`` entries
    per list or mapping and ``depth`` levels, whatever the value's size (an error message must
    never walk an expanded alias bomb or print a megabyte)."""
    return _clip(_short(value, limit, depth, items), limit * 2)


def _short(value, limit: int, depth: int, items: int) -> str:
    if value is None or isinstance(value, (bool, float, datetime.date)):
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 64:
            return f"<an integer of about {int(value.bit_length() * 0.30103) + 1} digits>"
        return repr(value)
    if isinstance(value, (str, bytes)):
        if len(value) <= limit:
            return repr(value)
        return repr(value[:limit]) + f"... ({len(value):,} {'characters' if isinstance(value, str) else 'bytes'})"
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        brackets = "[]" if isinstance(value, list) else "()" if isinstance(value, tuple) else "{}"
        if not value:
            return brackets
        if depth <= 0:
            return f"{brackets[0]}...{brackets[1]} ({len(value):,} entries)"
        sub = max(limit // items, 10)
        if isinstance(value, dict):
            parts = [f"{_short(k, sub, 0, items)}: {_short(v, sub, depth - 1, items)}"
                     for k, v in itertools.islice(value.items(), items)]
        else:
            parts = [_short(v, sub, depth - 1, items) for v in itertools.islice(value, items)]
        if len(value) > items:
            parts.append(f"... ({len(value):,} entries)")
        return brackets[0] + ", ".join(parts) + brackets[1]
    return f"<{type(value).__name__}>"


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = (limit - 5) // 2
    return f"{text[:half]} ... {text[-half:]}"
