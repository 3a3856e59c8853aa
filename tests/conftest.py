import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def simlib_cli(*args, cwd=None, timeout=300):
    """Run the installed command line as a user would; returns CompletedProcess."""
    import subprocess
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "simlib.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=timeout, env=env)


def pond_scenario(policies=None, users=8000, days=150):
    """The baseline with a pond filling from both ad channels (add-staff and parcel QR codes),
    plus ``policies``: the small market the lever tests measure on."""
    base = {"douyin_ads": {"pond_entry_per_day": 0.02, "pond_entry_on_purchase": 0.3},
            "search_ads": {"pond_entry_on_purchase": 0.3}}
    return {"extends": "baseline", "market": {"users": users, "days": days},
            "policies": {**base, **(policies or {})}}
