"""The ``simlib`` command: run, validate, and the sub-commands other modules register.

Exit codes: 0 ok, 2 user error (a bad scenario, CSV or argument; the message says what to
fix), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from ..errors import UserError

PROGRESS_MIN_CUSTOMER_DAYS = 20_000_000  # show a progress bar above this much work


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own usage errors are user errors: exit 2
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_set(items) -> dict:
    """``["market.users=5000", "policies.ads.enabled=false"]`` -> dotted overrides (YAML values)."""
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(f"--set {item!r}: expected KEY=VALUE, e.g. --set policies.douyin_ads.budget_cny_per_day=3000")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise UserError(f"--set {item!r}: the value is not valid YAML") from None
    return out


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__
    parser = _Parser(prog="simlib", description="Simulate private-domain marketing strategies before rollout.")
    parser.add_argument("--version", action="version", version=f"simlib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run one scenario and print its summary",
                         description="Run one scenario (default: the built-in baseline) and print a summary table.")
    run.add_argument("scenario", nargs="?", default="baseline", help="scenario file or built-in name (default: baseline)")
    run.add_argument("--users", type=int, help="market size N (overrides market.users)")
    run.add_argument("--days", type=int, help="days to simulate (overrides market.days)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any scenario key; repeatable")
    run.add_argument("--out", help="folder for summary.json, daily.csv, ledger.csv, scenario.yaml, meta.json")
    run.add_argument("--transactions", action="store_true", help="also write transactions.csv (one row per order)")
    run.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
    bar = run.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show a progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")
    run.set_defaults(func=cmd_run)

    val = sub.add_parser("validate", help="check a scenario file", description="Check a scenario file; exit 0 if valid, 2 with the problem.")
    val.add_argument("scenario", nargs="+", help="scenario file(s) or built-in names")
    val.set_defaults(func=cmd_validate)

    show = sub.add_parser("show", help="print a scenario fully resolved (defaults filled in)")
    show.add_argument("scenario", nargs="?", default="baseline")
    show.add_argument("--set", action="append", metavar="KEY=VALUE")
    show.set_defaults(func=cmd_show)

    lst = sub.add_parser("scenarios", help="list the built-in scenarios")
    lst.set_defaults(func=cmd_list)

    from . import calibrate, experiment  # each adds its sub-commands
    experiment.register(sub)
    calibrate.register(sub)
    return parser


def cmd_run(args) -> int:
    from ..run import as_scenario, run
    scenario = as_scenario(args.scenario)
    overrides = parse_set(args.set)
    if overrides:
        scenario = scenario.override(overrides, source="--set")
    users = args.users if args.users is not None else scenario.data["market"]["users"]
    days = args.days if args.days is not None else scenario.data["market"]["days"]
    progress = args.progress if args.progress is not None else (users * days >= PROGRESS_MIN_CUSTOMER_DAYS
                                                                and sys.stderr.isatty())
    result = run(scenario, seed=args.seed, users=args.users, days=args.days, progress=progress,
                 record_transactions=args.transactions)
    if args.json:
        from ..results import _jsonable
        print(json.dumps(_jsonable(result.summary), indent=2))
    else:
        print(format_summary(result))
    if args.out:
        try:
            folder = result.save(args.out)
        except OSError as exc:
            raise UserError(f"--out {args.out}: cannot write the results there ({exc.strerror or exc}); "
                            "the summary is printed above; choose a folder you can write to") from None
        print(f"\nwrote {folder}/ (summary.json, daily.csv, ledger.csv, scenario.yaml, meta.json"
              + (", transactions.csv)" if args.transactions else ")"), file=sys.stderr if args.json else sys.stdout)
    return 0


SUMMARY_ROWS = [
    ("Market", [("users", "customers", "{:,.0f}"), ("days", "days", "{:,.0f}"), ("seed", "", "{}")]),
    ("Money", [("gmv_cny", "CNY", "{:,.0f}"), ("discount_cny", "CNY", "{:,.0f}"), ("cogs_cny", "CNY", "{:,.0f}"),
               ("gross_profit_cny", "CNY", "{:,.0f}"), ("marketing_cost_cny", "CNY", "{:,.0f}"),
               ("roi", "net return per CNY of marketing", "{:,.2f}"), ("cac_cny", "CNY per new buyer", "{:,.1f}"),
               ("clv_cny", "gross profit per new buyer in its window", "{:,.1f}")]),
    ("Customers", [("purchases", "orders", "{:,.0f}"), ("buyers", "customers", "{:,.0f}"),
                   ("new_buyers", "first order in the run", "{:,.0f}"), ("repeat_buyers", "customers", "{:,.0f}"),
                   ("repurchase_rate", "repeat / buyers", "{:.1%}"), ("churn_rate", "ever-buyers lost", "{:.1%}")]),
    ("Pond", [("pond_size_end", "members at the end", "{:,.0f}"), ("pond_joins", "joined", "{:,.0f}"),
              ("messages_sent", "messages", "{:,.0f}"), ("unsubscribes", "left the pond", "{:,.0f}"),
              ("coupons_redeemed", "coupons", "{:,.0f}")]),
]


def represents_line(summary) -> str:
    """What the simulated customers stand for, in words."""
    users, real, w = summary["users"], summary.get("represents", summary["users"]), summary.get("customers_per_simulated", 1.0)
    if abs(w - 1.0) < 1e-12:
        return f"{users:,} simulated customers, one for each customer of the market; money in CNY."
    return (f"{users:,} simulated customers stand for a market of {real:,} ({w:,.2f} real customers each); "
            f"money is in CNY of the real market, counts are simulated customers.")


def format_summary(result) -> str:
    s = result.summary
    lines = [f"Scenario: {result.scenario.name}  ({result.scenario.source})"]
    lines.append(represents_line(s))
    for title, rows in SUMMARY_ROWS:
        lines.append(f"\n{title}")
        for key, unit, fmt in rows:
            value = s.get(key)
            text = "n/a" if value is None or value != value else fmt.format(value)
            lines.append(f"  {key:<22}{text:>16}  {unit}")
    stages = [f"{k[:-4]} {s[k]:,}" for k in s if k.endswith("_end") and k != "pond_size_end"]
    lines.append("\nStages at the end: " + ", ".join(stages))
    return "\n".join(lines)


def cmd_validate(args) -> int:
    from ..scenario import load_scenario
    for item in args.scenario:
        sc = load_scenario(item)
        print(f"ok: {sc.source} ({sc.name}: {len(sc.data['policies'])} policies)")
    return 0


def cmd_show(args) -> int:
    from ..scenario import load_scenario
    sc = load_scenario(args.scenario)
    overrides = parse_set(args.set)
    if overrides:
        sc = sc.override(overrides, source="--set")
    print(sc.to_yaml(), end="")
    return 0


def cmd_list(args) -> int:
    from ..scenario import BUILTIN_DIR, builtin_scenarios
    for name in builtin_scenarios():
        first = ""
        for line in (BUILTIN_DIR / f"{name}.yaml").read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                first = line.lstrip("# ").strip()
                break
        print(f"{name:<30} {first}")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
