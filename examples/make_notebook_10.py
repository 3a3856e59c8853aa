"""Write notebooks/10_calibrate_to_your_data.ipynb (then execute it in place with nbconvert)."""

from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parent.parent
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell

cells = [
    md("# 10 — Calibrate to your own data, then compare strategies on *your* market\n\n"
       "Before trusting a comparison, the simulated customers must behave like yours, and the levers\n"
       "must move them as much as your own experiments showed. Teams usually have three kinds of data,\n"
       "and simlib fits a scenario to each:\n\n"
       "1. **A transaction log** (shop or CRM export: customer, date, amount) → how often customers buy\n"
       "   again, how soon they drop out, how much they spend: the traits `purchase_rate_per_day`,\n"
       "   `dropout_after_purchase`, `basket_value_cny`. Several purchase processes are fitted by maximum\n"
       "   likelihood (BG/NBD, MBG/NBD, Pareto/NBD, regular buyers MBG/CNBD-k); the one that predicts\n"
       "   a held-out part of the calibration period best is chosen, then checked on a holdout period.\n"
       "2. **Funnel counts per week** from a dashboard, with the policies that were running → the\n"
       "   funnel hazards under `behavior:` (method of simulated moments against the engine).\n"
       "3. **A past campaign with a control group** (an A/B test or a holdout) → the effect sizes that\n"
       "   decide rankings, such as `discount_effect`, with their standard errors, which a comparison\n"
       "   then carries into its verdict.\n\n"
       "Each gives a YAML fragment that a scenario `extends:`. The example data in `examples/` were\n"
       "drawn from known parameters (`examples/make_examples.py`), so we can see whether the fit\n"
       "finds them. The same steps run from the command line:\n\n"
       "```\nsimlib calibrate transactions examples/transactions.csv --calibration-end 2024-07-31 \\\n"
       "    --customer-col member_id --date-col order_date --amount-col paid_cny --out calibration/\n"
       "simlib calibrate funnel examples/funnel_weekly.csv --scenario baseline --out calibration/\n"
       "simlib calibrate uplift examples/coupon_test.csv --scenario examples/coupon_test_control.yaml \\\n"
       "    --arm coupon=examples/coupon_test_coupon.yaml --fit behavior.discount_effect --out calibration/\n"
       "simlib compare pond coupon_ladder --uncertain calibration/fitted_uplift.yaml\n```"),
    code("# parameters: small and fast by default (papermill can pass bigger ones)\n"
         "calibration_end = \"2024-07-31\"   # the log runs to 2024-12-31: the rest is the holdout\n"
         "funnel_weeks = 8                  # weeks of funnel counts to fit (the file has 26)\n"
         "funnel_users = 10_000             # simulated customers in the funnel fit (each stands for 2 of the 20,000)\n"
         "omega_runs = 6                    # engine runs for the uncertainty of the funnel fit\n"
         "jacobian_runs = 4                 # seeds behind the funnel fit's slopes\n"
         "uplift_users = 20_000             # simulated customers per arm when fitting the coupon test\n"
         "compare_users = 5_000             # market size for the strategy comparison\n"
         "compare_days = 120\n"
         "compare_reps = 16                 # replications per arm (8 parameter draws x 2 seeds)\n"
         "seed = 0", metadata={"tags": ["parameters"]}),
    code("import dataclasses\nimport sys\nimport tempfile\nfrom pathlib import Path\n\n"
         "import matplotlib\nmatplotlib.use(\"Agg\")\n%matplotlib inline\n"
         "import pandas as pd\n\nimport simlib\n"
         "from simlib.calibrate import calibrate_transactions, fit_funnel, read_funnel\n"
         "from simlib.calibrate import plots as plots_calibrate\n\n"
         "ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / \"examples\" / \"transactions.csv\").exists())\n"
         "sys.path.insert(0, str(ROOT / \"examples\"))\n"
         "from make_examples import TRUTH  # the parameters the example log was drawn from\n"
         "pd.set_option(\"display.width\", 160)\npd.set_option(\"display.precision\", 4)"),
    md("## 1. The transaction log\n\nOne row per transaction; the column names are the shop's own. Two rows of one customer on\n"
       "one day are one purchase occasion."),
    code("log = pd.read_csv(ROOT / \"examples\" / \"transactions.csv\")\nprint(log.head(4).to_string(index=False))\n"
         "print(f\"{len(log):,} rows, {log['member_id'].nunique():,} customers, \"\n"
         "      f\"{log['order_date'].min()} .. {log['order_date'].max()}\")"),
    md("Fit on the calibration period (to the end of July), then predict August–December for the same\n"
       "customers and compare with what they really did. The parameter table shows the estimate, its\n"
       "standard error (observed information) and a 95 % interval, and which scenario key it sets."),
    code("cal = calibrate_transactions(ROOT / \"examples\" / \"transactions.csv\", calibration_end,\n"
         "                             customer_col=\"member_id\", date_col=\"order_date\", amount_col=\"paid_cny\")\n"
         "print(cal.describe().replace(str(ROOT) + \"/\", \"\"))"),
    md("Does each interval hold the value the example was drawn from? (`mean_log` is the trait: the\n"
       "customer's mean order value; `sd_within` is the order-to-order spread the engine does not draw.)"),
    code("params = cal.parameters()\ntruth = {\"r\": TRUTH[\"r\"], \"alpha\": TRUTH[\"alpha\"], \"a\": TRUTH[\"a\"], \"b\": TRUTH[\"b\"],\n"
         "         \"mean_log\": TRUTH[\"mean_log\"], \"sd_between\": TRUTH[\"sd_log\"], \"sd_within\": TRUTH[\"order_sd_log\"]}\n"
         "check = params.loc[list(truth), [\"estimate\", \"lower\", \"upper\"]].assign(truth=pd.Series(truth))\n"
         "check[\"covered\"] = (check[\"lower\"] <= check[\"truth\"]) & (check[\"truth\"] <= check[\"upper\"])\n"
         "print(check.round(4).to_string())"),
    md("Cumulative repeat purchases week by week: the model from each customer's first purchase, and\n"
       "the forecast given each customer's history (holdout weeks)."),
    code("import matplotlib.pyplot as plt\nfig, axes = plt.subplots(1, 2, figsize=(12, 4))\n"
         "plots_calibrate.plot_weekly_tracking(cal.weekly, axes[0])\n"
         "_ = plots_calibrate.plot_by_frequency(cal.by_frequency, axes[1])"),
    md("## 2. Funnel counts from the dashboard\n\nWeekly stage counts, new interested and new buyers of a market of 20,000 while the two ad\n"
       "campaigns of the `baseline` scenario ran (the `policies` column), with each week's ad spend per\n"
       "campaign (`ad_spend_cny.NAME`). The default fit moves what the columns inform: each campaign's\n"
       "reach per impression and its saturation (the spend varies), how unevenly the ads reach people,\n"
       "word of mouth, the funnel hazards and how people differ in them; it says which of them the data\n"
       "identify. The engine is run at each trial with the same seed (common random numbers)."),
    code("funnel = read_funnel(ROOT / \"examples\" / \"funnel_weekly.csv\")\n"
         "funnel = dataclasses.replace(funnel, counts=funnel.counts.iloc[:funnel_weeks])\n"
         "print(funnel.counts.head(3).to_string())\n"
         "ffit = fit_funnel(funnel, simlib.load_scenario(\"baseline\"), users=funnel_users, omega_runs=omega_runs,\n"
         "                  jacobian_runs=jacobian_runs, seed=seed)\n"
         "print(ffit.describe().replace(str(ROOT) + \"/\", \"\"))"),
    md("Each fitted value beside the one the example was drawn from (`EXAMPLE_TRUTH` in\n"
       "`simlib.calibrate.funnel_example`; the rest is the baseline's), and the fitted engine (lines)\n"
       "against the counts (points):"),
    code("from simlib.calibrate.funnel_example import EXAMPLE_TRUTH\n"
         "drawn = {**{k: simlib.load_scenario(\"baseline\").get(k) for k in ffit.keys}, **EXAMPLE_TRUTH}\n"
         "check = ffit.table()[[\"estimate\", \"lower\", \"upper\", \"identified\"]].assign(truth=pd.Series(drawn))\n"
         "check[\"covered\"] = (check[\"lower\"] <= check[\"truth\"]) & (check[\"truth\"] <= check[\"upper\"])\n"
         "print(check.round(5).to_string())\n"
         "print(f\"{check['covered'].sum()} of {len(check)} intervals hold the value the example was drawn from\")\n"
         "fig = plots_calibrate.plot_funnel_fit(ffit.observed, ffit.fitted, funnel.stocks + funnel.flows)"),
    md("The selection table above is the choice of the purchase process: each candidate is fitted on\n"
       "the calibration period up to the split date and scored on the rest; the winner is refitted on\n"
       "the whole period. The example log was drawn from BG/NBD, and that is what is chosen:"),
    code("print(f\"chosen: {cal.process.label}; holdout error {cal.check['relative_difference']:+.1%} \"\n"
         "      f\"({abs(cal.check['z']):.1f} standard errors)\")\n"
         "assert cal.fit.process == \"bgnbd\", \"the selector no longer picks the process the example was drawn from\"\n"
         "assert abs(cal.check[\"z\"]) < 3, \"the holdout total is no longer within sampling error\""),
    md("The chosen process is then tested for a **new-buyer period**: a purchase rate that starts high\n"
       "after the first purchase and fades (welcome offers, onboarding, a catalogue still new to the\n"
       "customer), `1 + boost x exp(-days since the first purchase / new_buyer_days)`. It is a\n"
       "likelihood-ratio test against the plain process, and the period is used when p < 0.01. On the\n"
       "CDNOW logs it is strong (`benchmarks/real_logs.py`). The example log was drawn without one:"),
    code("period = cal.new_buyers\n"
         "print(f\"new-buyer period: boost {period.boost:.2f}, {period.days:.0f} days; likelihood ratio \"\n"
         "      f\"{period.likelihood_ratio:.1f}, p {period.p_value:.2f}: {'used' if cal.clock is period else 'not used'}\")\n"
         "assert cal.clock is None, \"a new-buyer period was read into a log drawn without one\""),
    md("## 3. Effect sizes from a past campaign\n\n"
       "`examples/coupon_test.csv` is a coupon test: 20,000 pond members got a 30 % coupon every two\n"
       "weeks for 28 days, 20,000 did not. One row per customer: the arm, orders and spend in the\n"
       "window. What ran is said with two scenarios: the control arm's market and the treated arm,\n"
       "which `extends:` it and adds the coupon. The fit runs both arms on the same simulated\n"
       "customers with the same seed (common random numbers) and moves `behavior.discount_effect`\n"
       "until the engine's relative uplifts over the control group match the test's, then reports a\n"
       "standard error and a test that can reject the model (J, chi-square)."),
    code("from simlib.calibrate.uplift import calibrate_uplift\n"
         "from make_examples import COUPON_TRUTH  # the effect the example test was drawn with\n\n"
         "test = pd.read_csv(ROOT / \"examples\" / \"coupon_test.csv\")\n"
         "print(test.groupby(\"arm\")[[\"orders\", \"spend_cny\"]].agg([\"count\", \"mean\"]).round(3).to_string())\n"
         "uplift = calibrate_uplift(ROOT / \"examples\" / \"coupon_test.csv\", ROOT / \"examples\" / \"coupon_test_control.yaml\",\n"
         "                          fit=[\"behavior.discount_effect\"], users=uplift_users, seed=seed,\n"
         "                          arms={\"coupon\": ROOT / \"examples\" / \"coupon_test_coupon.yaml\"})\n"
         "print(uplift.describe().replace(str(ROOT) + \"/\", \"\"))"),
    code("row = uplift.table().loc[\"behavior.discount_effect\"]\n"
         "truth = COUPON_TRUTH[\"behavior.discount_effect\"]\n"
         "print(f\"discount_effect: fitted {row['estimate']:.2f} (95% interval {row['lower']:.2f} to {row['upper']:.2f}), \"\n"
         "      f\"drawn with {truth}; the shipped default is {simlib.load_scenario('pond').get('behavior.discount_effect')}\")\n"
         "assert abs(row[\"estimate\"] - truth) < 3 * row[\"std_error\"], \"the fit is more than 3 standard errors from the truth\""),
    md("## 4. A comparison whose verdict carries the fitted uncertainty\n\n"
       "The two strategies run on the calibrated market: each arm extends its built-in scenario with\n"
       "the fitted purchase process (`fitted_traits.yaml`) and funnel hazards (`fitted_behavior.yaml`),\n"
       "so the arms differ by the strategy only. The discount effect is not known exactly, so we pass\n"
       "the uplift fit as `uncertain`: each replication draws it once from its fitted distribution,\n"
       "the same draw for both arms (common random numbers hold), and the interval and P(better)\n"
       "cover both the parameter's and the simulation's uncertainty."),
    code("folder = Path(tempfile.mkdtemp())\ncal.write(folder, plots=False)\nffit.write(folder, plots=False)\n"
         "uplift.write(folder)\n"
         "arms = {}\n"
         "for arm in (\"pond\", \"coupon_ladder\"):\n"
         "    path = folder / f\"{arm}_calibrated.yaml\"\n"
         "    path.write_text(f\"name: {arm}_calibrated\\n\"\n"
         "                    f\"extends: [{simlib.load_scenario(arm).source}, fitted_traits.yaml, fitted_behavior.yaml]\\n\")\n"
         "    arms[arm] = path\n"
         "decision = simlib.compare(arms, reps=compare_reps, users=compare_users, days=compare_days, seed=seed,\n"
         "                          uncertain=folder / \"fitted_uplift.yaml\")\n"
         "print(decision.verdict)"),
    md("How much of the spread of the difference comes from the fitted parameter, and how much from\n"
       "the simulation; and the interval the simulation alone would have given:"),
    code("u = decision.uncertainty.set_index([\"outcome\", \"arm\"]).loc[\"net_profit_cny\"]\n"
         "t = decision.table.query(\"outcome == 'net_profit_cny' and arm == 'coupon_ladder'\").iloc[0]\n"
         "print(u[[\"share_param\", \"share_sim\", \"voi_parameter\", \"voi_share\"]].round(2).to_string())\n"
         "print(f\"net profit, coupon_ladder - pond: {t['diff']:+,.0f} CNY; 95% interval with the parameter's uncertainty \"\n"
         "      f\"{t['diff_low']:+,.0f} to {t['diff_high']:+,.0f}, from the simulation alone {t['diff_low_sim']:+,.0f} to \"\n"
         "      f\"{t['diff_high_sim']:+,.0f}; P(better) {t['p_better']:.2f} (simulation alone {t['p_better_sim']:.2f})\")\n"
         "share = u[\"share_param\"].iloc[0]\n"
         "draws = int(u[\"draws\"].iloc[0])\n"
         "if share >= 0.5:\n"
         "    reading = (f\"the fitted discount effect carries {share:.0%} of the variance of the difference: measuring it \"\n"
         "               \"better would narrow the verdict more than more runs\")\n"
         "elif share > 0.005:\n"
         "    reading = (f\"the fitted discount effect carries {share:.0%} of the variance of the difference: at the precision \"\n"
         "               \"of this test the simulation's noise dominates, so more replications narrow the interval\")\n"
         "else:\n"
         "    reading = (\"the fitted discount effect's share of the variance is estimated at or below zero (shown as 0 %): the \"\n"
         "               \"spread between parameter draws is no larger than the simulation's noise explains, so its part cannot \"\n"
         "               \"be told from zero here and more replications narrow the interval\")\n"
         "wider = (t[\"diff_high\"] - t[\"diff_low\"]) > (t[\"diff_high_sim\"] - t[\"diff_low_sim\"])\n"
         "if wider:\n"
         "    reading += (f\"; the interval with the parameter is still the wider one ({t['diff_high'] - t['diff_low']:,.0f} against \"\n"
         "                f\"{t['diff_high_sim'] - t['diff_low_sim']:,.0f} CNY) because it rests on {draws} parameter draws, not \"\n"
         "                f\"{compare_reps} runs\")\n"
         "print(\"reading: \" + reading)\n"
         "assert abs(u[\"share_param\"].iloc[0] + u[\"share_sim\"].iloc[0] - 1) < 1e-9\n"
         "assert t[\"diff_high\"] - t[\"diff_low\"] >= t[\"diff_high_sim\"] - t[\"diff_low_sim\"], \\\n"
         "    \"the interval with the parameter's uncertainty is narrower than the simulation's alone\""),
    md("When the parameter's share is large, more replications will not settle the question: a\n"
       "better measurement of the parameter (a larger or longer test) will. To use your own data,\n"
       "pass your CSVs and column names to the same calls (or the command lines above) and extend your\n"
       "scenarios with the fragments they write. What the fits assume, and the likelihood and moments\n"
       "behind them, are in `docs/calibration.md`."),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbf.write(nb, ROOT / "notebooks" / "10_calibrate_to_your_data.ipynb")
print("wrote notebooks/10_calibrate_to_your_data.ipynb")
