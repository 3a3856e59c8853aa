"""Options every sub-command reads the same way: ``--set KEY=VALUE`` overrides and the ``--out``
folder. Its own module so that sub-command modules use them without importing ``cli.main``
(which imports them to register their parsers)."""

from __future__ import annotations

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
