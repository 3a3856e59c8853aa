"""`simlib twin`: the twin of a market on a date is the log's own customers, and with no lever
on it books the fitted process's forecast, in total and per calibration-frequency group.

The logs here are drawn with plain numpy (not simlib), so the check does not lean on the code
it checks: a BG/NBD market whose customers first buy over 12 weeks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simlib
from simlib.calibrate.holdout import purchase_clock
from simlib.calibrate.processes import Histories, get_process
from simlib.calibrate.processes.posterior import draw_latent
from simlib.seating import SeatedBase

AS_OF = "2024-06-01"


def bgnbd_log(n: int, seed: int, r=0.9, alpha=25.0, a=0.9, b=4.0, days=152, origin="2024-01-01") -> pd.DataFrame:
    """Orders of n customers (plain numpy): first purchase in the first 12 weeks, then Poisson
    repeat buying at rate lambda ~ Gamma(r, 1/alpha), leaving after each repeat with p ~ Beta(a, b)."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 84, n)
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    ids, day = [np.arange(n)], [first]
    clock, alive = first.astype(float), np.ones(n, bool)
    while alive.any():
        i = np.flatnonzero(alive)
        clock[i] += rng.exponential(1.0, i.size) / lam[i]
        inside = clock[i] < days
        j = i[inside]
        ids.append(j)
        day.append(np.floor(clock[j]).astype(int))
        alive[i[~inside]] = False
        alive[j[rng.random(j.size) < p[j]]] = False
    ids, day = np.concatenate(ids), np.concatenate(day)
    amount = np.round(np.exp(rng.normal(4.0, 0.5, n))[ids] * np.exp(rng.normal(0, 0.3, ids.size)), 2)
    dates = (pd.Timestamp(origin) + pd.to_timedelta(day, unit="D")).strftime("%Y-%m-%d")
    return pd.DataFrame({"customer_id": [f"c{i}" for i in ids], "date": dates, "amount": amount})


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("twin")
    log = folder / "orders.csv"
    bgnbd_log(4000, seed=5).to_csv(log, index=False)
    tw = simlib.twin(log, AS_OF, folder / "twin", process="bgnbd", new_buyers="off", days=60)
    return tw, folder


def test_the_twin_is_the_logs_customers(built):
    tw, folder = built
    customers = pd.read_csv(folder / "twin" / "customers.csv", dtype={"customer_id": str})
    data = tw.calibration.data.customers
    assert len(customers) == len(data) == tw.users
    assert (customers["orders"].to_numpy() == data["frequency"].to_numpy() + 1).all()
    assert customers["last_order_day"].max() <= -1 and customers["first_order_day"].min() >= -152
    sc = tw.scenario
    assert sc.data["market"]["start_date"] == AS_OF and sc.data["policies"] == {}
    assert sc.data["behavior"]["social_proof_effect"] == 0 and sc.data["behavior"]["order_value_sd_log"] > 0.2
    pop = simlib.engine.World(sc, [3]).pop
    assert set(pop.customer_id) == set(customers["customer_id"])
    row = customers.set_index("customer_id").loc[pop.customer_id]
    assert (pop.orders == row["orders"].to_numpy()).all()
    assert (pop.last_purchase_day == row["last_order_day"].to_numpy()).all()
    # the customers the posterior says had gone before day 0 are not the run's churn
    gone = (pop.stage == simlib.population.LOST).mean()
    assert gone > 0.05 and pop.lost_before.mean() == gone
    churn = simlib.run(sc, seed=3, days=1).summary["churn_rate"]
    assert churn < 0.02, (gone, churn)


def test_a_forward_run_books_the_process_forecast(built):
    """The twin with no lever, 8 seeds: total orders within 2 % of the forecast and every
    frequency group within 3 standard errors of the model's conditional expectation."""
    tw, _ = built
    cal = tw.calibration
    x, t_x, T, ahead = purchase_clock(cal.data, cal.fit, 60)
    expected = pd.Series(cal.fit.conditional_expected(x, t_x, T, ahead), index=cal.data.customers["customer_id"])
    assert tw.forecast == pytest.approx(expected.sum())
    runs = simlib.run_batch(tw.scenario, seeds=range(8), days=60, record_transactions=True)
    market = tw.scenario.data["market"]
    ids = SeatedBase.choose(market, market["users"]).customer_id
    counts = np.array([np.bincount(r.transactions["customer_id"], minlength=ids.size) for r in runs])
    assert counts.sum(axis=1).mean() == pytest.approx(expected.sum(), rel=0.02)
    group = np.minimum(cal.data.customers.set_index("customer_id").loc[ids, "frequency"].to_numpy(), 7)
    for g in range(8):
        sel = group == g
        if sel.sum() < 30:
            continue
        se = counts[:, sel].std() / np.sqrt(counts[:, sel].size)
        assert abs(counts[:, sel].mean() - expected.loc[ids[sel]].mean()) < 3 * se + 1e-9, g


@pytest.mark.parametrize("name, params, k", [
    ("bgnbd", (0.8, 30.0, 0.9, 4.0), 1),
    ("pnbd", (0.8, 30.0, 1.3, 200.0), 1),
    ("cnbd", (1.5, 40.0, 0.9, 4.0), 3),
])
def test_posterior_draws_have_the_posterior_moments(name, params, k):
    """Alive share = P(alive | history); E[lambda | alive] = (r + x) / (alpha + T) (Erlang-k:
    its mixture over the phases done); E[p | alive] = a / (a + b + x + f)."""
    process = get_process(name)
    n = 40_000
    h = Histories.of(np.full(n, 3.0), np.full(n, 40.0), np.full(n, 100.0))
    rng = np.random.default_rng(0)
    draws = draw_latent(process, params, h, k, {key: rng.random(n) for key in ("alive", "rate", "dropout", "phase")})
    one = Histories.of(3.0, 40.0, 100.0)
    assert draws.alive.mean() == pytest.approx(float(process.probability_alive(params, one, k)[0]), abs=0.01)
    r, alpha = params[0], params[1]
    if k == 1:
        assert draws.rate_per_day.mean() == pytest.approx((r + 3) / (alpha + 100), rel=0.01)
    else:
        phases = np.bincount(draws.phases_done, minlength=k) / n
        assert phases[1:].sum() > 0.05   # part-way through the next gap
        mean = sum(phases[j] * (r + k * 3 + j) / (alpha + k * 100) for j in range(k))
        assert draws.rate_per_day.mean() == pytest.approx(mean, rel=0.01)
    if name == "pnbd":
        assert draws.lifetime_hazard_per_day.mean() == pytest.approx(params[2] / (params[3] + 100), rel=0.01)
    else:
        first = int(process.dropout_at_first_purchase)
        assert draws.dropout.mean() == pytest.approx(params[2] / (params[2] + params[3] + 3 + first), rel=0.01)


def test_a_sample_stands_for_the_base(built):
    """--users N below the base: a systematic sample in history order, each standing for
    base / N real customers; the frequency mix follows the base."""
    tw, _ = built
    sc = tw.scenario.override({"market.users": 1000})
    assert sc.data["market"]["represents"] == len(tw.customers)
    chosen = SeatedBase.choose(sc.data["market"], 1000)
    orders = tw.customers.set_index("customer_id").loc[chosen.customer_id, "orders"]
    base = tw.customers["orders"].clip(upper=5).value_counts(normalize=True).sort_index()
    sample = orders.clip(upper=5).value_counts(normalize=True).sort_index()
    assert (sample - base).abs().max() < 0.005
    res = simlib.run(sc, seed=1, days=30)
    assert res.summary["customers_per_simulated"] == pytest.approx(len(tw.customers) / 1000)


def test_saved_twin_runs_rerun_from_their_folder(built, tmp_path):
    tw, _ = built
    res = simlib.run(tw.scenario, seed=2, users=500, days=20)
    folder = res.save(tmp_path / "run")
    assert (folder / "customers.csv").is_file()
    again = simlib.run(simlib.load_scenario(folder / "scenario.yaml"), seed=2)
    assert again.summary["purchases"] == res.summary["purchases"]
    assert again.daily.equals(res.daily)


def test_prospects_pond_and_channels(tmp_path):
    log = tmp_path / "orders.csv"
    frame = bgnbd_log(600, seed=2)
    frame["shop"] = np.where(frame["customer_id"].str[-1].isin(list("01234")), "douyin", "tmall")
    frame.to_csv(log, index=False)
    pond = tmp_path / "pond.csv"
    pd.DataFrame({"customer_id": [f"c{i}" for i in range(0, 600, 3)]}).to_csv(pond, index=False)
    tw = simlib.twin(log, AS_OF, tmp_path / "tw", process="bgnbd", new_buyers="off", prospects=150,
                     pond_ids=pond, channel_col="shop", gross_margin=0.62)
    market = tw.scenario.data["market"]
    assert set(market["channels"]) == {"douyin", "tmall"}
    assert tw.scenario.data["economics"]["cogs_share"] == pytest.approx(0.38)
    pop = simlib.engine.World(tw.scenario, [0]).pop
    ids = pd.Series(pop.customer_id)
    prospect = ids.str.startswith("prospect-").to_numpy()
    assert prospect.sum() == 150 and (pop.orders[prospect] == 0).all() and pop.in_pond[prospect].all()
    assert (pop.stage[prospect] == simlib.STAGES.index("interested")).all()
    listed = ids.isin([f"c{i}" for i in range(0, 600, 3)]).to_numpy()
    assert (pop.in_pond[~prospect] == listed[~prospect]).all()
    assert "pond: the" in tw.describe() and "prospects" in tw.describe()
