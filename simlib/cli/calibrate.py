"""``simlib calibrate transactions|funnel``: fit a scenario fragment to a team's own data."""

from __future__ import annotations

import argparse

from simlib.cli.options import progress_lines
from simlib.errors import UserError

PROCESS_CHOICES = ("auto", "bgnbd", "bgnbd-daily", "mbgnbd", "mbgnbd-daily", "pnbd", "cnbd")


def register(subparsers) -> None:
    """Add the ``calibrate`` command with its ``transactions`` and ``funnel`` sub-commands."""
    cal = subparsers.add_parser(
        "calibrate", help="fit scenario parameters to transaction logs, funnel counts or past campaigns (uplift)",
        description="Fit the customer behaviour of a scenario to a team's own data and write a "
                    "scenario fragment (YAML) that scenarios can `extends:`.")
    sub = cal.add_subparsers(dest="calibrate_command", metavar="DATA", parser_class=type(cal))
    cal.set_defaults(func=lambda args: _missing(cal))

    tx = sub.add_parser(
        "transactions", help="fit repeat buying, dropout and basket value to a transaction CSV",
        description="Choose and fit the purchase process (BG/NBD, MBG/NBD, Pareto/NBD or MBG/CNBD-k "
                    "regular buyers: purchase rates, dropout, lifetimes, regularity) and the basket value "
                    "(basket_value_cny) by maximum likelihood to a CSV with one row per transaction; "
                    "check the fit on a holdout period.")
    tx.add_argument("transactions", help="CSV: one row per transaction (customer, date, amount)")
    tx.add_argument("--calibration-end", required=True, metavar="DATE",
                    help="last day of the calibration period (a date, or a day number for day-numbered logs)")
    tx.add_argument("--holdout-end", metavar="DATE", help="last day of the holdout period (default: last day in the file)")
    tx.add_argument("--cohort-start", metavar="DATE",
                    help="fit only customers first seen on or after this day (leave a lead-in when the log "
                         "starts mid-relationship: old customers' next purchase would look like a first one)")
    tx.add_argument("--customer-col", default="customer_id", metavar="C", help="customer id column (default: customer_id)")
    tx.add_argument("--date-col", default="date", metavar="D", help="date column, dates or whole day numbers (default: date)")
    tx.add_argument("--amount-col", default="amount", metavar="A", help="amount column in CNY (default: amount)")
    tx.add_argument("--date-format", metavar="FMT", help="strptime layout of the dates, e.g. %%d/%%m/%%Y (default: detected)")
    tx.add_argument("--process", choices=PROCESS_CHOICES, default="auto",
                    help="purchase process: auto (choose by held-out likelihood on the last part of the "
                         "calibration period and report every candidate), bgnbd, bgnbd-daily (at most one "
                         "occasion a day), mbgnbd, mbgnbd-daily, pnbd (Pareto/NBD), cnbd (MBG/CNBD-k regular "
                         "buyers) (default: auto)")
    tx.add_argument("--validation-days", type=int, metavar="N",
                    help="days at the end of the calibration period used to choose the process "
                         "(default: a third of it, in whole weeks)")
    season = tx.add_mutually_exclusive_group()
    season.add_argument("--seasonal", action="store_true",
                        help="fit a monthly seasonal index of purchase rates (12 multipliers, mean 1) jointly with "
                             "the process; needs more than a year of calibration data (bgnbd, mbgnbd, cnbd)")
    season.add_argument("--seasonal-index", metavar="S1,..,S12",
                        help="declare the monthly index from earlier years: 12 numbers, January to December "
                             "(rescaled to mean 1)")
    tx.add_argument("--new-buyer-period", choices=("auto", "on", "off"), default="auto",
                    help="a purchase rate that starts high after the first purchase and fades (welcome offers, "
                         "onboarding): auto tests it on the chosen process by likelihood ratio and uses it when "
                         "p < 0.01; on, off (BG/NBD, MBG/NBD, MBG/CNBD-k; not with a seasonal index) (default: auto)")
    tx.add_argument("--time-model", choices=("daily", "continuous"), default=None,
                    help="older option: daily = --process bgnbd-daily, continuous = --process bgnbd")
    tx.add_argument("--out", default="calibration", metavar="DIR", help="folder for the fragment, tables and plots (default: calibration)")
    tx.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    tx.set_defaults(func=cmd_transactions)

    fn = sub.add_parser(
        "funnel", help="fit funnel hazards, reach per yuan and its saturation to stage counts per day or week",
        description="Fit a scenario by the method of simulated moments so the engine's stage shares and flows match "
                    "a CSV of counts per period: behaviour hazards, word of mouth, forgetting, heterogeneity, and "
                    "with the team's ad spend per period each ad policy's reach per impression and saturation. Says "
                    "which parameters the data identify; holds out the last weeks and predicts them; predicts a "
                    "budget plan with a band that carries the fitted covariance.",
        epilog="examples:\n"
               "  simlib calibrate funnel funnel.csv --scenario baseline\n"
               "  simlib calibrate funnel funnel.csv --scenario ours.yaml --spend spend.csv --holdout-weeks 8\n"
               "  simlib calibrate funnel funnel.csv --scenario ours.yaml --fit forget_per_day,"
               "policies.douyin_ads.awareness_per_impression\n"
               "  simlib calibrate funnel funnel.csv --scenario ours.yaml --predict double_from_week_14.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    fn.add_argument("funnel", help="CSV: one row per period (day or week) with a count column per stage, optional "
                    "flows (new_interested, new_buyers, ...) and ad spend (ad_spend_cny.NAME per policy or channel)")
    fn.add_argument("--scenario", required=True, metavar="S", help="scenario to fit (file or built-in name)")
    fn.add_argument("--fit", metavar="KEYS", help="comma-separated keys to fit: behavior.KEY, policies.NAME.KEY, "
                    "policies.NAME.channels.CHANNEL.KEY, or a bare name where one parameter has it (default: what the "
                    "counted columns inform: each ad policy's reach per impression (and its saturation when the spend "
                    "varies), word of mouth, forgetting, interest, losing interest, first purchase, dormancy, waking, "
                    "dormant loss; organic awareness without ads)")
    fn.add_argument("--spend", metavar="CSV", help="the team's ad spend per period in a file of its own: the period "
                    "column and one column per policy or channel, CNY per period")
    hold = fn.add_mutually_exclusive_group()
    hold.add_argument("--holdout-weeks", type=int, metavar="N", help="fit all but the last N weeks and report how the "
                      "fit predicts them, with a band")
    hold.add_argument("--holdout-from", metavar="P", help="fit the periods before P (a period number, or a date in a "
                      "dated file) and predict the rest")
    fn.add_argument("--predict", metavar="PLAN", help="a budget plan (scenario file or name, usually extending the "
                    "fitted scenario with other budgets or a schedule): predict its weeks after the data with a band "
                    "that carries the fitted covariance")
    fn.add_argument("--predict-weeks", type=int, metavar="N", help="weeks after the data to predict the plan for "
                    "(default: as many as the data cover)")
    fn.add_argument("--predict-draws", type=int, default=40, metavar="N",
                    help="runs behind a prediction band, each with parameters drawn from the fit (default: 40)")
    fn.add_argument("--period-col", metavar="P", help="period column: week or day numbers, or dates "
                    "(default: the first of period, week, day, date)")
    fn.add_argument("--period-days", type=int, metavar="N", help="days per period (default: 7 if the column is named week*, else detected)")
    fn.add_argument("--users", type=int, help="simulated customers per run (default: the data's market size; "
                    "policies with absolute budgets act differently on a smaller market)")
    fn.add_argument("--replications", type=int, default=1, help="runs averaged per evaluation, same seeds at every trial (default: 1)")
    fn.add_argument("--omega-runs", type=int, default=39, metavar="N",
                    help="independent engine runs at the fit for the intervals and the goodness-of-fit p-value "
                         "(at least 19 to be able to reject at 5 %%; the p-value cannot go below 1/(N+1); default: 39)")
    fn.add_argument("--bootstrap", type=int, default=0, help="parametric bootstrap refits for intervals (default 0: the sandwich only)")
    fn.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    fn.add_argument("--out", default="calibration", metavar="DIR", help="folder for the fragment, tables and plot (default: calibration)")
    fn.add_argument("--no-plots", action="store_true", help="skip the PNG figure")
    fn.set_defaults(func=cmd_funnel)

    # --- uplift: effect sizes from past campaigns (issue 10 part 2, branch uplift) -------------
    from simlib.cli.calibrate_uplift import register as register_uplift
    register_uplift(sub)
    # --- end uplift ------------------------------------------------------------------------------


def _missing(parser) -> int:
    parser.print_help()
    return 2




def cmd_transactions(args) -> int:
    from simlib.calibrate.report import calibrate_transactions
    result = calibrate_transactions(args.transactions, args.calibration_end, args.holdout_end,
                                    customer_col=args.customer_col, date_col=args.date_col,
                                    amount_col=args.amount_col, date_format=args.date_format,
                                    time_model=args.time_model, cohort_start=args.cohort_start,
                                    process=args.process, validation_days=args.validation_days,
                                    seasonal="fit" if args.seasonal else args.seasonal_index,
                                    new_buyers=args.new_buyer_period, progress=progress_lines())
    paths = result.write(args.out, plots=not args.no_plots)
    print(result.describe())
    print(f"\nwrote {args.out}/: " + ", ".join(p.name for p in paths))
    return 0


def cmd_funnel(args) -> int:
    from simlib.calibrate.funnel import calibrate_funnel
    if args.users is not None and args.users < 100:
        raise UserError(f"--users {args.users}: use at least 100 simulated customers")
    if not 2 <= args.omega_runs <= 1000:
        raise UserError(f"--omega-runs {args.omega_runs}: allowed: 2 .. 1000 (at least 19 to reject at 5 %)")
    if not 0 <= args.bootstrap <= 1000:
        raise UserError(f"--bootstrap {args.bootstrap}: allowed: 0 .. 1000")
    if args.predict_weeks is not None and args.predict is None:
        raise UserError("--predict-weeks: give the plan to predict with --predict PLAN")
    keys = [k.strip() for k in args.fit.split(",") if k.strip()] if args.fit else None
    result = calibrate_funnel(args.funnel, args.scenario, fit_keys=keys, period_col=args.period_col,
                              period_days=args.period_days, users=args.users,
                              replications=args.replications, bootstrap=args.bootstrap, seed=args.seed,
                              omega_runs=args.omega_runs, spend=args.spend, holdout_weeks=args.holdout_weeks,
                              holdout_from=args.holdout_from)
    paths = result.write(args.out, plots=not args.no_plots)
    print(result.describe())
    if result.data.holdout:
        held = result.predict(draws=args.predict_draws)
        paths += held.write(args.out, "funnel_holdout")
        print("\n" + held.describe())
    if args.predict is not None:
        plan = result.predict(args.predict, weeks=args.predict_weeks, draws=args.predict_draws)
        paths += plan.write(args.out, "funnel_prediction")
        print("\n" + plan.describe())
    print(f"\nwrote {args.out}/: " + ", ".join(p.name for p in paths))
    return 0
