"""Rewrite the regression baseline: golden ``summary.json`` and ``daily.csv`` for three presets.

    python tests/golden/make_golden.py            # rewrite every preset
    python tests/golden/make_golden.py --check    # compare only; exit 1 on any difference

This script is the only way the golden files change. Commit its output in a commit of its
own whose message says why the numbers moved; ``tests/test_golden.py`` compares a fresh run
with these files byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# preset -> (users, days, seed): small enough for the test suite, long enough for every
# policy of the preset to act (ladder steps, festivals, livestreams, tiers, referrals)
PRESETS = {
    "baseline": (3000, 120, 7),
    "livestream_host": (3000, 120, 7),
    "all_levers": (4000, 200, 7),
}


def render(preset: str) -> dict[str, str]:
    """The golden files of ``preset`` as text, from a fresh run."""
    import simlib
    from simlib.results import _jsonable

    users, days, seed = PRESETS[preset]
    res = simlib.run(preset, seed=seed, users=users, days=days)
    summary = json.dumps(_jsonable(res.summary), indent=1, sort_keys=True) + "\n"
    daily = res.daily.to_csv(index=False, float_format="%.17g", lineterminator="\n")
    return {"summary.json": summary, "daily.csv": daily}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the stored files instead of writing")
    ap.add_argument("presets", nargs="*", default=list(PRESETS))
    args = ap.parse_args(argv)
    bad = 0
    for preset in args.presets:
        folder = HERE / preset
        for name, text in render(preset).items():
            path = folder / name
            if args.check:
                same = path.is_file() and path.read_text() == text
                print(f"{'same' if same else 'DIFFERENT'}: {path.relative_to(HERE)}")
                bad += not same
            else:
                folder.mkdir(exist_ok=True)
                path.write_text(text)
                print(f"wrote {path.relative_to(HERE)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
