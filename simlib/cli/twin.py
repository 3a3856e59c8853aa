"""``simlib twin LOG.csv --as-of DATE --out DIR``: a team's order log -> a twin of their market."""

from __future__ import annotations


def register(subparsers) -> None:
    tw = subparsers.add_parser(
        "twin", help="build a twin of your market from an order log: a runnable scenario on a date",
        description="Calibrate the purchase process and basket on the orders before --as-of (as `simlib calibrate "
                    "transactions` does) and write DIR/twin.yaml, a scenario of the market on that date whose "
                    "customers are the log's own (DIR/customers.csv: each one's history; their rates, dropout and "
                    "basket are drawn from the fitted model's posterior given it), with the calibration's tables "
                    "in DIR/calibration/. Effects an order log cannot identify are neutral until a lever "
                    "switches them on.")
    tw.add_argument("transactions", help="CSV: one row per transaction (customer, date, amount)")
    tw.add_argument("--as-of", required=True, metavar="DATE",
                    help="day 0 of the twin; only orders before it are used (a date, or a day number for "
                         "day-numbered logs)")
    tw.add_argument("--out", default="twin", metavar="DIR", help="folder for twin.yaml, customers.csv and "
                    "calibration/ (default: twin)")
    tw.add_argument("--customer-col", default="customer_id", metavar="C", help="customer id column (default: customer_id)")
    tw.add_argument("--date-col", default="date", metavar="D", help="date column (default: date)")
    tw.add_argument("--amount-col", default="amount", metavar="A", help="amount column in CNY (default: amount)")
    tw.add_argument("--date-format", metavar="FMT", help="strptime layout of the dates (default: detected)")
    tw.add_argument("--process", choices=("auto", "bgnbd", "mbgnbd", "pnbd", "cnbd"), default="auto",
                    help="purchase process (default: auto, chosen on the log as `simlib calibrate transactions` does)")
    tw.add_argument("--validation-days", type=int, metavar="N", help="days used to choose the process (default: a "
                    "third of the calibration period)")
    season = tw.add_mutually_exclusive_group()
    season.add_argument("--seasonal", action="store_true", help="fit a monthly seasonal index (more than a year of data)")
    season.add_argument("--seasonal-index", metavar="S1,..,S12", help="declare the monthly index (12 numbers)")
    tw.add_argument("--new-buyer-period", choices=("auto", "on", "off"), default="auto",
                    help="test and use a new-buyer period (default: auto)")
    tw.add_argument("--users", type=int, metavar="N", help="simulated customers (default: every customer and "
                    "prospect; fewer: a sample stratified by history, each standing for several real ones)")
    tw.add_argument("--days", type=int, default=91, metavar="N", help="run length twin.yaml states (default: 91)")
    tw.add_argument("--prospects", type=int, default=0, metavar="N",
                    help="people in the pond who have not bought yet (default: 0, a closed base)")
    pond = tw.add_mutually_exclusive_group()
    pond.add_argument("--pond-col", metavar="C", help="column of the log saying whether the customer is in the pond "
                      "(1/0, yes/no; their last order before --as-of counts)")
    pond.add_argument("--pond-ids", metavar="FILE", help="file of the ids in the pond (a customer_id column, or one "
                      "id a line); default: every customer is in the pond")
    channel = tw.add_mutually_exclusive_group()
    channel.add_argument("--channel-col", metavar="C", help="column of the log naming the customer's channel (their "
                         "last order before --as-of counts)")
    channel.add_argument("--channel-ids", action="append", metavar="NAME=FILE",
                         help="customers listed in FILE are on channel NAME (repeatable); default: one channel")
    tw.add_argument("--gross-margin", type=float, metavar="M", help="your gross margin, a share (e.g. 0.55 = 55 %%; "
                    "= 1 - cogs_share; default: simlib's 0.55)")
    tw.set_defaults(func=cmd_twin)


def cmd_twin(args) -> int:
    from simlib.cli.options import check_out_folder, parse_named, progress_lines
    from simlib.calibrate.twin import twin
    check_out_folder(args.out)
    result = twin(args.transactions, args.as_of, args.out, customer_col=args.customer_col, date_col=args.date_col,
                  amount_col=args.amount_col, date_format=args.date_format, process=args.process, users=args.users,
                  days=args.days, prospects=args.prospects, pond_col=args.pond_col, pond_ids=args.pond_ids,
                  channel_col=args.channel_col,
                  channel_ids=parse_named(args.channel_ids, "--channel-ids", "douyin=douyin_ids.csv") or None,
                  gross_margin=args.gross_margin, seasonal="fit" if args.seasonal else args.seasonal_index,
                  new_buyers=args.new_buyer_period, validation_days=args.validation_days, progress=progress_lines())
    print(result.describe())
    print(f"\nwrote {args.out}/: twin.yaml, customers.csv, calibration/\n"
          f"run it: simlib run {args.out}/twin.yaml --days {args.days}")
    return 0
