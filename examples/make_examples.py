"""Write the small example data shipped with simlib (fixed seeds; re-run to regenerate).

- examples/transactions.csv: a shop's transaction log, one row per transaction, drawn from
  known BG/NBD parameters (TRUTH below) with order-to-order spread in the amounts and some
  orders split into two rows on the same day, as real exports often are.
- examples/funnel_weekly.csv: 26 weeks of stage counts, new interested, new buyers and ad spend
  per policy of the `baseline` market, simulated by the engine with known hazards
  (`EXAMPLE_TRUTH` in `simlib.calibrate.funnel_example`; the rest is baseline's), flighted
  budgets, a two-week test of a doubled Douyin budget (weeks 10-11) and the doubling from week 14
  (`make_example_funnel` there; tests/test_calibrate_funnel.py checks the shipped file is what
  the engine draws today).
- examples/coupon_test.csv: a past coupon test with a control group, one row per customer
  (20,000 per arm, 28 days), simulated by the engine from coupon_test_control.yaml and
  coupon_test_coupon.yaml with a known discount effect (COUPON_TRUTH below).

    python examples/make_examples.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
TRUTH = {"r": 0.7, "alpha": 35.0, "a": 1.1, "b": 3.5, "mean_log": 4.3, "sd_log": 0.45, "order_sd_log": 0.3}
START = pd.Timestamp("2024-01-01")
CUSTOMERS = 800
ACQUISITION_DAYS = 84     # first purchases spread over the first 12 weeks
END_DAY = 365             # the log covers 2024-01-01 .. 2024-12-31
COUPON_TRUTH = {"behavior.discount_effect": 5.0}


def make_transactions(seed: int = 20240101) -> pd.DataFrame:
    from simlib.calibrate.synthetic import simulate_repeat_buying
    rng = np.random.default_rng(seed)
    first = rng.integers(0, ACQUISITION_DAYS, CUSTOMERS)
    occ = simulate_repeat_buying(rng, first, END_DAY, TRUTH["r"], TRUTH["alpha"], TRUTH["a"], TRUTH["b"],
                                 mean_log=TRUTH["mean_log"], sd_log=TRUTH["sd_log"],
                                 order_sd_log=TRUTH["order_sd_log"])
    occ["customer_id"] = occ["customer_id"].str.replace("C", "WX", regex=False)
    # split one occasion in ten into two transactions on the same day
    split = rng.random(len(occ)) < 0.1
    share = np.round(rng.uniform(0.3, 0.7, int(split.sum())), 2)
    first_part = occ[split].copy()
    second_part = occ[split].copy()
    first_part["amount_cny"] = np.round(first_part["amount_cny"] * share, 2)
    second_part["amount_cny"] = np.round(occ.loc[split, "amount_cny"].to_numpy() - first_part["amount_cny"].to_numpy(), 2)
    rows = pd.concat([occ[~split], first_part, second_part]).sort_values(["day", "customer_id"], kind="stable")
    return pd.DataFrame({
        "order_date": (START + pd.to_timedelta(rows["day"], unit="D")).dt.strftime("%Y-%m-%d").to_numpy(),
        "member_id": rows["customer_id"].to_numpy(),
        "paid_cny": rows["amount_cny"].map(lambda v: f"{v:.2f}").to_numpy(),
    })


def main() -> None:
    tx = make_transactions()
    tx.to_csv(HERE / "transactions.csv", index=False)
    print(f"wrote {HERE / 'transactions.csv'}: {len(tx)} rows")
    from simlib.calibrate.funnel_example import make_example_funnel
    funnel = make_example_funnel()
    funnel.to_csv(HERE / "funnel_weekly.csv", index=False)
    print(f"wrote {HERE / 'funnel_weekly.csv'}: {len(funnel)} rows")
    coupon = make_coupon_test()
    coupon.to_csv(HERE / "coupon_test.csv", index=False)
    print(f"wrote {HERE / 'coupon_test.csv'}: {len(coupon)} rows")


def make_coupon_test(seed: int = 20240301) -> pd.DataFrame:
    """A coupon test as a team would export it: customer, arm, orders and spend in the window."""
    from simlib.calibrate.uplift.synthetic import campaign_results
    return campaign_results(HERE / "coupon_test_control.yaml", {"coupon": HERE / "coupon_test_coupon.yaml"},
                            truth=COUPON_TRUTH, users=20_000, days=28, seed=seed)


if __name__ == "__main__":
    main()
