"""``simlib calibrate uplift``: effect sizes from past campaigns with a control group.

Registered from ``simlib/cli/calibrate.py`` (one delimited block there); everything else of
the command lives here.
"""

from __future__ import annotations

from simlib.errors import UserError, short_repr

EPILOG = """examples:
  simlib calibrate uplift coupon_test.csv --scenario campaign.yaml --arm coupon=campaign_coupon.yaml \\
      --fit behavior.discount_effect
  simlib calibrate uplift journey_results.csv --scenario journey_with_holdout.yaml --fit behavior.chat_effect
  simlib calibrate uplift a.csv b.csv --scenario a.yaml --scenario b.yaml --arm coupon=a_coupon.yaml \\
      --fit behavior.discount_effect behavior.chat_effect
  simlib calibrate uplift campaigns.yaml --fit behavior.discount_effect policies.points.goal_effect"""


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
    up.add_argument("results", nargs="+", metavar="RESULTS",
                    help="CSV per campaign: one row per customer (customer_id, arm, orders[, spend_cny, pre_orders, "
                         "pre_spend_cny]) or per arm and week (arm, week, customers, orders[, spend_cny]); or one "
                         "campaigns YAML file listing several")
    up.add_argument("--scenario", action="append", metavar="S", default=[],
                    help="what ran (file or built-in name): the control group's scenario, or one with a journey "
                         "whose holdout is the control group; once per RESULTS, or once for all")
    up.add_argument("--arm", action="append", metavar="ARM=SCENARIO", default=[],
                    help="a treated arm of the data and the scenario it ran (repeatable)")
    up.add_argument("--fit", nargs="+", required=True, metavar="KEY",
                    help="effects to fit, e.g. behavior.discount_effect behavior.chat_effect policies.points.goal_effect "
                         "(bounds from their declarations)")
    up.add_argument("--control", metavar="ARM", help="the control group's arm name (default: control, holdout or baseline)")
    up.add_argument("--population", help="customers in the test, on day 0, for arms as scenarios: pond (default), "
                                         "buyers, pond_buyers, everyone")
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
    out = {}
    for item in items:
        arm, sep, scenario = item.partition("=")
        if not sep or not arm.strip() or not scenario.strip():
            raise UserError(f"--arm {short_repr(item)}: expected ARM=SCENARIO, e.g. --arm coupon=campaign_coupon.yaml")
        if arm.strip() in out:
            raise UserError(f"--arm {arm.strip()}: given twice")
        out[arm.strip()] = scenario.strip()
    return out


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
    keys = [k.strip() for item in args.fit for k in item.split(",") if k.strip()]
    result = calibrate_uplift(campaign_specs(args), fit=keys, seed=args.seed, replications=args.replications)
    paths = result.write(args.out)
    print(result.describe())
    print(f"\nwrote {args.out}/: " + ", ".join(p.name for p in paths))
    return 0
