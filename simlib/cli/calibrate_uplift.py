"""``simlib calibrate uplift``: effect sizes from past campaigns with a control group.

Registered from ``simlib/cli/calibrate.py`` (one delimited block there); everything else of
the command lives here.
"""

from __future__ import annotations

import os

from simlib.errors import UserError

EPILOG = """examples:
  simlib calibrate uplift coupon_test.csv --scenario campaign.yaml --arm coupon=campaign_coupon.yaml \\
      --fit behavior.discount_effect
  simlib calibrate uplift journey_results.csv --scenario journey_with_holdout.yaml --fit behavior.chat_effect
  simlib calibrate uplift a.csv b.csv --scenario a.yaml --scenario b.yaml --arm coupon=a_coupon.yaml \\
      --fit behavior.discount_effect behavior.chat_effect
  simlib calibrate uplift campaigns.yaml --fit behavior.discount_effect policies.points.goal_effect
  simlib calibrate uplift --log orders.csv --assignment ab.csv --arm coupon=offer.yaml --window-days 49 \\
      --customer-col member_id --date-col order_date --amount-col paid_cny      # outcomes from the log itself"""


def register(sub) -> None:
    """Add ``uplift`` to the ``calibrate`` sub-commands."""
    import argparse
    up = sub.add_parser(
        "uplift", help="fit effect sizes (discount, chat, content, points goal...) to past campaigns with a control group",
        description="Fit the named effect sizes by simulated moments against the engine (the same seeds at every "
                    "value: common random numbers) so that the simulated arms show the relative uplifts over the "
                    "control group the campaigns showed; print intervals and a goodness-of-fit test; write a "
                    "fragment scenarios can `extends:` and its covariance (for simlib compare --uncertain).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    up.add_argument("results", nargs="*", metavar="RESULTS",
                    help="CSV per campaign: one row per customer (customer_id, arm, orders[, spend_cny, pre_orders, "
                         "pre_spend_cny]) or per arm and week (arm, week, customers, orders[, spend_cny]); or one "
                         "campaigns YAML file listing several")
    up.add_argument("--scenario", action="append", metavar="S", default=[],
                    help="what ran (file or built-in name): the control group's scenario, or one with a journey "
                         "whose holdout is the control group; once per RESULTS, or once for all")
    up.add_argument("--arm", action="append", metavar="ARM=SCENARIO", default=[],
                    help="a treated arm of the data and the scenario it ran (repeatable)")
    up.add_argument("--fit", nargs="+", metavar="KEY",
                    help="effects to fit, e.g. behavior.discount_effect behavior.chat_effect policies.points.goal_effect, "
                         "or promotion (the immediate lift, buying ahead and reference prices: weekly data tell them apart) "
                         "(bounds from their declarations); default: behavior.discount_effect, or with --log what the "
                         "offer's policies act through")
    log = up.add_argument_group("a campaign read from the order log (instead of RESULTS)")
    log.add_argument("--log", metavar="ORDERS.csv", help="the order log: one row per order (customer, date, amount "
                                                         "paid); every customer of the assignment must be in it")
    log.add_argument("--assignment", metavar="A.csv", help="who was in which arm: customer_id, arm (control and the "
                                                           "treated arms, each declared with --arm ARM=OFFER.yaml)")
    log.add_argument("--window-days", type=int, metavar="N", help="days from the send date the outcomes are counted "
                                                                  "(weekly when a multiple of 7)")
    log.add_argument("--send-date", metavar="DATE", help="the day the campaign went out (default: the offer's on_date); "
                                                         "the market is the log's twin on that date")
    log.add_argument("--pre-days", type=int, metavar="N", help="days before the send date whose orders sharpen the "
                                                               "comparison (CUPED; default: the window's length)")
    log.add_argument("--customer-col", metavar="C", help="customer id column of the log (default: customer_id)")
    log.add_argument("--date-col", metavar="D", help="date column of the log (default: date)")
    log.add_argument("--amount-col", metavar="A", help="amount paid column of the log, CNY (default: amount)")
    log.add_argument("--date-format", metavar="FMT", help="strptime layout of the dates (default: detected)")
    up.add_argument("--control", metavar="ARM", help="the control group's arm name (default: control, holdout or baseline)")
    up.add_argument("--population", help="customers in the test, on day 0, for arms as scenarios: pond (default), "
                                         "buyers, pond_buyers (not lost), everyone (lost included)")
    up.add_argument("--users", type=int, help="simulated customers per run (default: the scenario's market.users)")
    up.add_argument("--days", type=int, help="length of the campaign window (default: the scenario's days; weekly "
                                             "data: 7 x its weeks)")
    up.add_argument("--window-start", type=int, default=0, metavar="DAY",
                    help="day of the run the window starts (a warm-up before it; default 0)")
    up.add_argument("--replications", type=int, default=1, help="seeds averaged per evaluation (default 1)")
    up.add_argument("--seed", type=int, default=0, help="random seed of the simulations (default 0)")
    up.add_argument("--out", default="calibration", metavar="DIR",
                    help="folder for fitted_uplift.yaml, its covariance and the tables (default: calibration)")
    up.set_defaults(func=cmd_uplift)


def _pairs(items) -> dict:
    from simlib.cli.options import parse_named
    return parse_named(items, "--arm", "coupon=campaign_coupon.yaml", form="ARM=SCENARIO")


LOG_OPTIONS = ("window_days", "send_date", "pre_days", "customer_col", "date_col", "amount_col", "date_format")


def _from_log(args, keys):
    from simlib.calibrate.uplift import calibrate_uplift
    from simlib.cli.options import progress_lines
    if args.results:
        raise UserError(f"{args.results[0]}: give a results file or --log with --assignment, not both (with a log the "
                        "outcomes are computed from the orders)")
    for option in ("window_start", "days", "users"):
        if getattr(args, option) not in (None, 0):
            raise UserError(f"--{option.replace('_', '-')}: not with --log (the window is --window-days from the send "
                            "date; the market is the log's twin)")
    if len(args.scenario) > 1:
        raise UserError("--scenario: once at most with --log (the market on the send date)")
    columns = {"customer_col": args.customer_col, "date_col": args.date_col, "amount_col": args.amount_col,
               "date_format": args.date_format}
    twin_out = os.path.join(args.out, "twin_at_send_date")
    return calibrate_uplift(fit=keys, seed=args.seed, replications=args.replications, log=args.log, twin_out=twin_out,
                            assignment=args.assignment, arms=_pairs(args.arm), window_days=args.window_days,
                            send_date=args.send_date, pre_days=args.pre_days, control=args.control,
                            population=args.population, scenario=args.scenario[0] if args.scenario else None,
                            columns=columns, progress=progress_lines())


def campaign_specs(args) -> list:
    """The campaigns the command line describes (several CSVs, or one campaigns YAML)."""
    from simlib.calibrate.uplift import read_campaign, read_campaigns_file
    results = list(args.results)
    if len(results) == 1 and results[0].lower().endswith((".yaml", ".yml")):
        if args.scenario or args.arm:
            raise UserError(f"{results[0]}: a campaigns file names each campaign's scenario and arms; drop "
                            "--scenario and --arm")
        return read_campaigns_file(results[0])
    if not args.scenario:
        raise UserError("--scenario: say what ran (the control group's scenario, or one with a journey and its holdout)")
    if len(args.scenario) not in (1, len(results)):
        raise UserError(f"--scenario given {len(args.scenario)} times for {len(results)} results files; give it once "
                        "(for all) or once per file, in the same order")
    scenarios = args.scenario * len(results) if len(args.scenario) == 1 else args.scenario
    arms = _pairs(args.arm)
    specs, used = [], set()
    for path, scenario in zip(results, scenarios):
        mine = arms
        if len(results) > 1 and arms:   # each campaign takes the --arm its data has
            names = set(read_campaign(path, args.control).arms)
            mine = {a: s for a, s in arms.items() if a in names}
        used |= set(mine)
        specs.append({"results": path, "scenario": scenario, "arms": mine or None, "control": args.control,
                      "population": args.population, "users": args.users, "days": args.days,
                      "window_start": args.window_start})
    unused = [a for a in arms if a not in used]
    if unused:
        raise UserError(f"--arm {unused[0]}: no results file has an arm named {unused[0]!r}")
    return specs


def cmd_uplift(args) -> int:
    from simlib.calibrate.uplift import calibrate_uplift
    from simlib.cli.options import check_out_folder
    check_out_folder(args.out)
    keys = [k.strip() for item in args.fit for k in item.split(",") if k.strip()] if args.fit else None
    if args.log is not None or args.assignment is not None:
        result = _from_log(args, keys)
    else:
        given = [f"--{k.replace('_', '-')}" for k in LOG_OPTIONS if getattr(args, k) is not None]
        if given:
            raise UserError(f"{given[0]}: only with --log and --assignment (a campaign read from the order log)")
        if not args.results:
            raise UserError("say which campaign: a results CSV (or a campaigns YAML), or --log ORDERS.csv "
                            "--assignment A.csv --arm ARM=OFFER.yaml --window-days N")
        result = calibrate_uplift(campaign_specs(args), fit=keys, seed=args.seed, replications=args.replications)
    paths = result.write(args.out)
    print(result.describe())
    print(f"\nwrote {args.out}/: " + ", ".join(p.name for p in paths))
    return 0
