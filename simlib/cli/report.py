"""`simlib report DIR`: rebuild the decision report from an experiment folder's stored runs."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    r = subparsers.add_parser(
        "report", help="rebuild report.html from a finished comparison or experiment folder",
        description="Read the runs stored in DIR (written by `simlib compare --out DIR` or `simlib "
                    "experiment --out DIR`), print the verdict and write DIR/report.html: one "
                    "self-contained file (tables and figures inside) to open offline or forward by mail. "
                    "Nothing is simulated.")
    r.add_argument("folder", metavar="DIR", help="experiment folder (holds experiment.yaml and runs/)")
    r.add_argument("--out", "-o", default=None, help="write the report here instead of DIR/report.html")
    r.add_argument("--quiet", "-q", action="store_true", help="print only where the report went")
    r.add_argument("--lang", choices=["en", "zh"], default="en",
                   help="language of report.html: en (default) or zh (Chinese: verdict, headings, labels, costs)")
    r.set_defaults(func=report_command)


def report_command(args) -> int:
    import matplotlib
    matplotlib.use("Agg")   # off screen: a terminal may have no display
    from ..report import write_report
    path, decision = write_report(args.folder, args.out, lang=args.lang)
    if not args.quiet:
        print(decision.text())
        for w in decision.warnings:
            print(f"warning: {w}", file=sys.stderr)
    print(f"wrote {path}")
    return 0
