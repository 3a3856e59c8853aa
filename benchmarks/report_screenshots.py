"""Screenshots of the decision report as a laptop and a phone show it (headless Chromium), in
English and in Chinese, to look at: arm settings, the cost table, the charts, nothing clipped.

    python benchmarks/report_screenshots.py                 # a small comparison, then 4 PNGs
    python benchmarks/report_screenshots.py --folder runs/cmp --out shots/

It runs `simlib compare pond coupon_ladder points_program` (2,000 customers, 180 days, 4
replications) into a temporary folder unless ``--folder`` names a finished comparison, writes
report.html and report_zh.html there, and screenshots each at 1280 and 400 px wide into
``--out`` (default: report_screenshots/ in the current folder). Chromium is Debian's
(`apt-get install chromium`; `fonts-noto-cjk` gives it Chinese glyphs); without it the script says
so and exits 0. It also prints which font matplotlib used for the Chinese charts.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WIDTHS = (1280, 400)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--force-device-scale-factor=1"]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def page_height(width: int) -> int:
    """A window tall enough to hold the whole page at this width (the screenshot is the window)."""
    return 9000 if width < 600 else 6000


def screenshot(browser: str, page: Path, png: Path, width: int) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
                        f"--window-size={width},{page_height(width)}", page.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folder", default=None, help="a finished comparison folder (default: run a small one)")
    ap.add_argument("--out", default="report_screenshots", help="folder for the PNGs")
    args = ap.parse_args(argv)
    browser = chromium()
    if browser is None:
        print("chromium not found: install Debian's (apt-get install chromium fonts-noto-cjk); nothing to do")
        return 0
    import matplotlib
    matplotlib.use("Agg")
    import simlib
    from simlib.report import write_report
    from simlib.report.lang import zh_font_available, zh_font_family
    folder = Path(args.folder) if args.folder else Path(tempfile.mkdtemp()) / "cmp"
    if not args.folder:
        simlib.compare(["pond", "coupon_ladder", "points_program"], reps=4, seed=1, users=2000, days=180,
                       out=str(folder))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pages = {"en": write_report(folder, folder / "report.html")[0],
             "zh": write_report(folder, folder / "report_zh.html", lang="zh")[0]}
    print("Chinese chart labels:", f"font {zh_font_family()[0]}" if zh_font_available()
          else "no CJK font for matplotlib: charts keep English labels")
    for lang, page in pages.items():
        for width in WIDTHS:
            png = out / f"report_{lang}_{width}.png"
            screenshot(browser, page, png, width)
            print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
