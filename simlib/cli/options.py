"""Options every sub-command reads the same way: ``--set KEY=VALUE`` overrides and the ``--out``
folder. Its own module so that sub-command modules use them without importing ``cli.main``
(which imports them to register their parsers)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import UserError, key_text, short_repr
from ..safe_yaml import load_yaml


def parse_set(items) -> dict:
    """``["market.users=5000", "policies.ads.enabled=false"]`` -> dotted overrides (YAML values)."""
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(f"--set {short_repr(item)}: expected KEY=VALUE, e.g. --set policies.douyin_ads.budget_cny_per_day=3000")
        out[key.strip()] = load_yaml(value, f"--set {key_text(key.strip())}")
    return out


def check_out_folder(out: str) -> None:
    """``--out`` must be a folder or not exist yet: refuse a file before any work is done."""
    path = Path(out)
    for existing in (path, *path.parents):
        if existing.exists():
            if not existing.is_dir():
                raise UserError(f"--out {key_text(out)}: {existing} is a file, not a folder; --out names "
                                "a folder for the results (created if missing)")
            return


def progress_lines():
    """Stage lines on stderr when a person is watching (a terminal), else None."""
    import sys
    if not sys.stderr.isatty():
        return None
    return lambda line: print(f"... {line}", file=sys.stderr, flush=True)


def parse_named(items, option: str, example: str, form: str = "NAME=VALUE") -> dict:
    """``["a=x.csv", "b=y.csv"]`` -> {"a": "x.csv", "b": "y.csv"} for options of the form NAME=VALUE,
    each name once; ``example`` shows a good one in the message."""
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UserError(f"{option} {short_repr(item)}: expected {form}, e.g. {option} {example}")
        if name.strip() in out:
            raise UserError(f"{option} {name.strip()}: given twice; allowed: each name once")
        out[name.strip()] = value.strip()
    return out


def say_if_compiling() -> None:
    """A note on stderr before a run that will compile the population step first (``simlib compile``)."""
    from ..run import step_compiled
    if not step_compiled():
        print("simlib: compiling the simulation's inner loop first (once per install or upgrade, 30-60 s; "
              "`simlib compile` does it ahead)", file=sys.stderr, flush=True)
