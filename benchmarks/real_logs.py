"""The transaction calibration on real public logs, against plain continuous BG/NBD.

The CDNOW logs (a 1997 cohort of an online music store's customers, their purchases to June
1998; Fader & Hardie's classic test set) are not shipped with simlib. Get them from the
`lifetimes` package's wheel, which carries them as lifetimes/datasets/CDNOW_master.txt (all
23,570 customers) and CDNOW_sample.txt (a 1/10 sample):

    pip download lifetimes==0.11.3 --no-deps -d /tmp/lt && unzip -o /tmp/lt/*.whl -d /tmp/lt
    python benchmarks/real_logs.py /tmp/lt/lifetimes/datasets/CDNOW_sample.txt \\
        /tmp/lt/lifetimes/datasets/CDNOW_master.txt

Calibration to 1997-09-30 (39 weeks), holdout to 1998-06-30 (39 weeks), as in Fader, Hardie &
Lee (2005). For each log it prints the holdout error of repeat purchases in total and per
calibration-frequency group (0, 1, ..., 6, 7+) for simlib's default (`simlib calibrate
transactions`, process and new-buyer period chosen on the log) and for plain continuous
BG/NBD, and in how many groups simlib is closer to the actual.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CALIBRATION_END, HOLDOUT_END = "1997-09-30", "1998-06-30"


def read_cdnow(path: Path) -> pd.DataFrame:
    """Whitespace columns: customer id (first column), ..., date YYYYMMDD, CDs, dollars."""
    raw = pd.read_csv(path, sep=r"\s+", header=None, dtype=str)
    if not raw.iloc[0, -3].isdigit():   # a header row
        raw = raw.iloc[1:]
    return pd.DataFrame({"customer_id": raw.iloc[:, 0].to_numpy(),
                         "date": pd.to_datetime(raw.iloc[:, -3], format="%Y%m%d").dt.strftime("%Y-%m-%d").to_numpy(),
                         "amount": raw.iloc[:, -1].astype(float).to_numpy()})


def calibrate(csv: Path, **options):
    """What `simlib calibrate transactions CSV --calibration-end ... --holdout-end ...` fits."""
    from simlib.calibrate.report import calibrate_transactions
    return calibrate_transactions(csv, CALIBRATION_END, HOLDOUT_END, **options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("logs", nargs="+", type=Path, help="CDNOW_master.txt and/or CDNOW_sample.txt")
    args = parser.parse_args()
    for path in args.logs:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            csv = Path(folder) / f"{path.stem}.csv"
            read_cdnow(path).to_csv(csv, index=False)
            ours = calibrate(csv)
            plain = calibrate(csv, process="bgnbd", new_buyers="off")
        seconds = time.perf_counter() - started
        a, b = ours.by_frequency.set_index("frequency"), plain.by_frequency.set_index("frequency")
        closer = (a["predicted"] - a["actual"]).abs() < (b["predicted"] - b["actual"]).abs()
        period = ours.new_buyers
        print(f"\n{path.name}: {len(ours.data.customers):,} customers, calibration to {CALIBRATION_END}, "
              f"holdout to {HOLDOUT_END} ({seconds:.0f} s)")
        print(f"  simlib default: {ours.process.label}"
              + (f" + new-buyer period (boost {period.boost:.2f}, {period.days:.0f} days, LR {period.likelihood_ratio:.0f})"
                 if ours.clock is period and period is not None else ""))
        print(f"  holdout repeat purchases: actual {ours.check['actual']:,.0f}; simlib {ours.check['predicted']:,.0f} "
              f"({ours.check['relative_difference']:+.1%}); BG/NBD {plain.check['predicted']:,.0f} "
              f"({plain.check['relative_difference']:+.1%})")
        table = pd.DataFrame({"customers": a["customers"], "actual": a["actual"], "simlib": a["predicted"],
                              "bgnbd": b["predicted"], "simlib closer": closer})
        print(table.round(3).to_string())
        print(f"  simlib closer to the actual in {int(closer.sum())} of {closer.size} frequency groups; total error "
              f"{'smaller' if abs(ours.check['relative_difference']) < abs(plain.check['relative_difference']) else 'not smaller'}")
        assert np.isfinite(ours.check["predicted"])


if __name__ == "__main__":
    main()
