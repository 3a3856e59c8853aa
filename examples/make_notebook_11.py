"""Write notebooks/11_your_pond.ipynb (then execute it in place: jupyter nbconvert --to notebook
--execute --inplace notebooks/11_your_pond.ipynb)."""

from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parent.parent
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell

cells = [
    md("# 11 — Your pond: from your order log and last A/B test to the next campaign\n\n"
       "A brand has two files every shop system can export: its **order log** (16,000 customers,\n"
       "January to mid-July 2024: member id, date, amount paid) and the **assignment of a past A/B\n"
       "test**: on 1 June, half of 8,000 customers (at random) got 10 % off for 7 days. It plans the\n"
       "next one: on 20 July, **20 % off** for half of 8,000 *other* customers. Will it pay?\n\n"
       "The path, in three calls (or three commands, README \"The whole path from data\"):\n\n"
       "1. `simlib.calibrate_uplift(log=..., assignment=..., arms={\"coupon\": offer})` reads each arm's\n"
       "   orders from the log, builds the **twin** of the market on the send date (the log's own\n"
       "   customers, drawn from the fitted purchase process given each one's history) and fits the\n"
       "   coupon's effect so that the twin's arms differ as the test's did;\n"
       "2. `simlib.twin(log, as_of=\"2024-07-20\")`: the twin of the market today;\n"
       "3. `simlib.compare(..., assignment=next_ab.csv, uncertain=fit)`: the planned coupon sent to the\n"
       "   planned customers, per treated customer, with the fitted effect's uncertainty carried.\n\n"
       "The data in `examples/your_pond/` were drawn by `examples/make_your_pond.py` with plain numpy,\n"
       "not with simlib: the brand's customers buy at a regular rhythm (Erlang-2 gaps), a coupon lifts\n"
       "their rate linearly in its depth and pulls orders forward from the next four weeks. So the\n"
       "engine is tested on data it did not make. The generator also wrote what the next campaign\n"
       "really does (`truth.json`, the same customers with and without it); we open it only at the end."),
    code("# parameters (papermill can pass others)\n"
         "next_depth = 0.2        # the planned coupon: share off (truth.json knows 0.1, 0.2 and 0.3)\n"
         "window_days = 49        # days from each send date the outcomes are counted\n"
         "process = \"cnbd\"        # the twins' purchase process: regular buyers, the one \"auto\" picks on this log\n"
         "                        # (\"auto\" tries several: slower; \"bgnbd\" is quicker and fits this log less well)\n"
         "fit_iterations = 3      # Levenberg-Marquardt iterations of the refit (more: tighter, slower)\n"
         "reps = 6                # replications of the prediction (3 draws of the fitted effect x 2 seeds)\n"
         "seed = 0", metadata={"tags": ["parameters"]}),
    code("import json\nimport tempfile\nfrom pathlib import Path\n\n"
         "import numpy as np\nimport pandas as pd\n\nimport simlib\n\n"
         "ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / \"examples\" / \"your_pond\").is_dir())\n"
         "DATA = ROOT / \"examples\" / \"your_pond\"\n"
         "WORK = Path(tempfile.mkdtemp(prefix=\"your_pond_\"))     # everything this notebook writes\n"
         "COLUMNS = {\"customer_col\": \"member_id\", \"date_col\": \"order_date\", \"amount_col\": \"paid_cny\"}\n"
         "TWIN = {\"process\": process, \"new_buyers\": \"off\", \"gross_margin\": 0.6}   # the brand's gross margin: 60 %\n"
         "pd.set_option(\"display.width\", 160)"),
    md("## 1. The data\n\nThe log is the shop's export; the assignment says who was in which arm of the June test."),
    code("orders = pd.read_csv(DATA / \"orders.csv\")\npast_ab = pd.read_csv(DATA / \"past_ab.csv\")\n"
         "print(orders.head(3).to_string(index=False))\n"
         "print(f\"{len(orders):,} orders of {orders['member_id'].nunique():,} customers, \"\n"
         "      f\"{orders['order_date'].min()} to {orders['order_date'].max()}\")\n"
         "print(\"past test:\", past_ab[\"arm\"].value_counts().to_dict())"),
    md("## 2. The last campaign, refitted\n\nThe offer file says only what the treated arm got; the market is the log's twin on 1 June.\n"
       "Each arm's orders and spend per week of the window come from the log itself, adjusted by each\n"
       "customer's orders in the 49 days before (CUPED). The engine then runs the twin twice (with and\n"
       "without the coupon, the same customers and the same luck) and moves `behavior.discount_effect`\n"
       "until its weekly uplifts match."),
    code("offer10 = WORK / \"coupon10.yaml\"\n"
         "offer10.write_text(\"policies:\\n  coupon: {type: percentage_coupon, off_share: 0.1, valid_days: 7, \"\n"
         "                   \"on_date: 2024-06-01}\\n\")\n"
         "fit = simlib.calibrate_uplift(log=DATA / \"orders.csv\", assignment=DATA / \"past_ab.csv\",\n"
         "                              arms={\"coupon\": offer10}, window_days=window_days, columns=COLUMNS,\n"
         "                              twin_options=TWIN, max_iter=fit_iterations, seed=seed)\n"
         "fit.write(WORK / \"fit\")\n"
         "print(fit.table()[[\"estimate\", \"std_error\", \"lower\", \"upper\"]].round(3).to_string())\n"
         "print(fit.test_text())\n"
         "weekly = fit.moments.query(\"outcome == 'orders'\").set_index(\"period\")\n"
         "print(\"orders of the coupon arm against the control, week by week (observed in the log, fitted by the engine):\")\n"
         "print(pd.DataFrame({\"observed\": np.expm1(weekly[\"observed\"]).map(\"{:+.1%}\".format),\n"
         "                    \"fitted\": np.expm1(weekly[\"fitted\"]).map(\"{:+.1%}\".format),\n"
         "                    \"z\": weekly[\"z\"].round(2)}).rename_axis(\"week\").to_string())"),
    md("The levels of the control arm are the twin's test: the twin was not fitted to them. Per treated\n"
       "customer over the 49 days, what the log shows and what the fitted engine does:"),
    code("levels = fit.levels.set_index(\"outcome\")\n"
         "print(levels[[\"data\", \"simulated\", \"z\"]].round(3).to_string())\n"
         "per = fit.per_treated().set_index(\"outcome\")\n"
         "print(per[[\"observed\", \"std_error\", \"fitted\", \"z\"]].round(4).to_string())\n"
         "obs, se = per.loc[\"orders\", \"observed\"], per.loc[\"orders\", \"std_error\"]\n"
         "week1 = float(np.expm1(fit.moments.query(\"outcome == 'orders' and period == 1\")[\"observed\"].iloc[0]))\n"
         "print(f\"reading: in its first week the 10 % coupon lifted orders {week1:+.0%}, but over {window_days} days it \"\n"
         "      f\"added {obs:+.3f} orders per treated customer (standard error {se:.3f}): \"\n"
         "      + (\"the test alone cannot tell that total from zero, \" if abs(obs) < 1.96 * se else \"\")\n"
         "      + \"because the weeks after the coupon fell below the control (orders pulled forward).\")\n"
         "z = levels.loc[\"orders\", \"z\"]\n"
         "gap = levels.loc[\"orders\", \"simulated\"] / levels.loc[\"orders\", \"data\"] - 1\n"
         "print(f\"reading: the twin's control arm orders {levels.loc['orders', 'simulated']:.3f} per customer where the \"\n"
         "      f\"log shows {levels.loc['orders', 'data']:.3f} (z {z:+.1f}): \" + (\n"
         "          \"with no lever on, the twin on 1 June buys as the brand's customers did\" if abs(z) < 2 else\n"
         "          f\"the twin ({process}) buys {gap:+.0%} against the log with no lever on: another purchase process may \"\n"
         "          \"fit the log better (process='auto' compares them)\") + \".\")\n"
         "assert week1 > 0.2, \"the coupon's first week is its bump\"\n"
         "assert abs(levels.loc[\"orders\", \"z\"]) < 4, \"the twin's control arm strays from the log\"\n"
         "assert fit.values[\"behavior.discount_effect\"] > 0"),
    md("## 3. The twin today\n\nThe market on 20 July, from every order before it: each customer's rate, chance of having\n"
       "left and basket are drawn given their own history."),
    code("today = simlib.twin(DATA / \"orders.csv\", \"2024-07-20\", WORK / \"twin\", **COLUMNS, **TWIN)\n"
         "print(f\"{today.users:,} customers; expected still active: {today.expected_alive:,.0f}; forecast with no lever: \"\n"
         "      f\"{today.forecast:,.0f} orders in the first {today.days} days\")"),
    md("## 4. The next campaign, predicted\n\nThe planned coupon is the twin plus one policy sent once on 20 July; the assignment file\n"
       "sends it to the planned arm only (`next_ab.csv`, arm `coupon`). `uncertain=` draws the fitted\n"
       "effect once per replication, the same draw for both arms, so the intervals carry what the June\n"
       "test left uncertain."),
    code("twin_today = today.scenario\n"
         "offer = twin_today.override({\"policies\": {\"coupon\": {\"type\": \"percentage_coupon\", \"off_share\": next_depth,\n"
         "                                                      \"valid_days\": 7, \"on_date\": \"2024-07-20\"}}},\n"
         "                            source=\"the planned coupon\")\n"
         "decision = simlib.compare({\"twin\": twin_today, \"coupon\": offer}, reps=reps, seed=seed, days=window_days,\n"
         "                          assignment=DATA / \"next_ab.csv\", uncertain=WORK / \"fit\" / \"fitted_uplift.yaml\")\n"
         "print(decision.verdict)\n"
         "table = decision.table.query(\"arm == 'coupon' and outcome.str.endswith('_per_treated')\").set_index(\"outcome\")\n"
         "print(table[[\"n_treated\", \"diff\", \"diff_low\", \"diff_high\", \"p_better\"]].round(3).to_string())"),
    md("## 5. What really happened\n\nThe generator knows what the next campaign does to these customers (the same customers\n"
       "with and without it). Does the prediction hold?"),
    code("truth = json.loads((DATA / \"truth.json\").read_text())[\"by_depth\"].get(f\"{next_depth:.2f}\")\n"
         "if truth is None:\n"
         "    print(f\"truth.json has no campaign at {next_depth:.0%} off (it has \"\n"
         "          + \", \".join(json.loads((DATA / \"truth.json\").read_text())[\"by_depth\"]) + \")\")\n"
         "else:\n"
         "    rows = []\n"
         "    for key, name in ((\"purchases\", \"orders\"), (\"gmv_cny\", \"gmv_cny\"), (\"discount_cny\", \"discount_cny\"),\n"
         "                      (\"net_profit_cny\", \"net_profit_cny\")):\n"
         "        r = table.loc[f\"{key}_per_treated\"]\n"
         "        true = truth[f\"{name}_per_treated\"]\n"
         "        rows.append({\"per treated customer\": name, \"predicted\": r[\"diff\"], \"low\": r[\"diff_low\"],\n"
         "                     \"high\": r[\"diff_high\"], \"truth\": true, \"held\": r[\"diff_low\"] <= true <= r[\"diff_high\"]})\n"
         "    check = pd.DataFrame(rows).set_index(\"per treated customer\")\n"
         "    print(check.round(3).to_string())\n"
         "    held = check.index[check[\"held\"]].tolist()\n"
         "    missed = check.index[~check[\"held\"]].tolist()\n"
         "    print(\"reading: the 95 % interval holds the truth for \" + (\", \".join(held) or \"none of them\")\n"
         "          + (\"; it misses \" + \", \".join(f\"{m} (predicted {check.loc[m, 'predicted']:+.3f}, truth \"\n"
         "                                       f\"{check.loc[m, 'truth']:+.3f})\" for m in missed) if missed else \"\")\n"
         "          + \". The cost side (discounts: who redeems, on what basket) is mechanics the twin carries from the log; \"\n"
         "          \"the extra orders rest on the engine's promotion response, fitted to one test at another depth \"\n"
         "          \"(docs/calibration.md §5 and issue 16 on its shape).\")\n"
         "    d = check.loc[\"discount_cny\"]\n"
         "    assert abs(d[\"predicted\"] - d[\"truth\"]) < 0.3 * d[\"truth\"], \"the coupon's cost per treated customer is off\"\n"
         "    assert check.loc[\"orders\", \"truth\"] > 0, \"the generator's coupon adds orders\""),
    md("The same path from the command line (README, \"The whole path from data\"):\n\n"
       "```\nsimlib calibrate uplift --log orders.csv --assignment past_ab.csv --arm coupon=coupon10.yaml \\\n"
       "    --window-days 49 --customer-col member_id --date-col order_date --amount-col paid_cny --out fit\n"
       "simlib twin orders.csv --as-of 2024-07-20 --customer-col member_id --date-col order_date \\\n"
       "    --amount-col paid_cny --gross-margin 0.6 --out twin\n"
       "simlib compare twin/twin.yaml coupon20.yaml --assignment next_ab.csv --days 49 \\\n"
       "    --uncertain fit/fitted_uplift.yaml --out next\n```\n\n"
       "where `coupon20.yaml` is `extends: twin/twin.yaml` plus the coupon policy. The assumptions the\n"
       "refit rests on (randomised arms, the effect acting as the engine's promotion response says) are\n"
       "in `docs/calibration.md` §5."),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                               "language": "python"}})
nbf.write(nb, ROOT / "notebooks" / "11_your_pond.ipynb")
print("wrote notebooks/11_your_pond.ipynb")
