"""`simlib compare` and `simlib experiment` from the command line: tables printed, folders
written with CSV/Parquet and the resolved inputs."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "baseline.yaml"


def simlib(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "simlib.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_compare_prints_table_and_writes_folder(tmp_path):
    arm = tmp_path / "coupon_pond.yaml"
    arm.write_text(yaml.safe_dump({
        "name": "coupon_pond", "extends": str(BASE),
        "policies": {"douyin_ads": {"pond_entry_on_purchase": 0.6},
                     "coupon": {"type": "flat_coupon", "every_days": 10, "off_share": 0.2}}}))
    out = tmp_path / "out"
    p = simlib("compare", BASE, arm, "--reps", 3, "--users", 300, "--days", 30, "--seed", 1,
               "--workers", 1, "--out", out, "--no-progress", "--outcomes",
               "gross_profit_cny,discount_cny", "--crn-check", "--detect", "discount_cny=0.001")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert any(l.startswith("Discounts, CNY (lower is better)") for l in lines)  # plain names, units
    row = next(l for l in lines if l.strip().startswith("coupon_pond"))
    assert "baseline" in p.stdout and "(reference)" in p.stdout
    assert "ratio" in p.stdout and "independent seeds" in p.stdout
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["arm"]) == {"baseline", "coupon_pond"} and len(table) == 4
    assert (out / "comparison.parquet").exists() and (out / "compare_runs.parquet").exists()
    disc = table[(table.outcome == "discount_cny") & (table.arm == "coupon_pond")].iloc[0]
    assert disc["diff"] > 0 and disc["p_better"] < 0.5  # a coupon gives money away
    assert disc["delta"] == 0.001 and disc["reps_needed"] > 1000  # a tiny difference needs many
    runs = sorted((out / "runs" / "compare").glob("*.json"))
    assert len(runs) == 6
    rec = json.loads(runs[0].read_text())
    assert {"seed", "scenario", "summary", "arm", "replication"} <= set(rec)
    assert (out / "scenarios" / "coupon_pond.yaml").exists()
    daily = pd.read_parquet(out / "compare_daily.parquet")
    assert {"arm", "replication", "day", "purchased"} <= set(daily.columns)


def test_experiment_runs_every_declared_analysis(tmp_path):
    exp = {"name": "toy", "model": "toy_funnel", "replications": 2, "seed": 1,
           "arms": {"plain": {}, "coupon": {"overrides": {"discount": 0.05}}},
           "uncertainties": {"price_sensitivity": {"low": 0.2, "high": 2.0}},
           "levers": {"discount": {"low": 0.0, "high": 0.3}},
           "outcomes": {"gross_profit_cny": "maximize", "gmv_cny": "maximize"},
           "sweep": {"design": "grid", "levels": 3, "arms": ["coupon"]},
           "sensitivity": {"samples": 8, "bootstrap": 50},
           "optimize": {"outcome": "gross_profit_cny", "candidates": 8, "scenarios": 2,
                        "frontier": "gmv_cny"}}
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(exp))
    out = tmp_path / "out"
    p = simlib("experiment", path, "--workers", 2, "--out", out, "--no-progress")
    assert p.returncode == 0, p.stderr
    assert "Sobol' indices" in p.stdout and "best feasible:" in p.stdout
    for name in ("comparison", "sweep_runs", "sensitivity", "optimize_candidates", "optimize_frontier"):
        assert (out / f"{name}.csv").exists() and (out / f"{name}.parquet").exists(), name
    assert len(pd.read_csv(out / "sweep_runs.csv")) == 9 * 2
    assert (out / "experiment.yaml").exists()
    assert len(list((out / "plots").glob("*.png"))) >= 4
    # a second run recomputes nothing and prints the same tables
    again = simlib("experiment", path, "--workers", 2, "--out", out, "--no-progress", "--no-plots")
    assert again.returncode == 0 and again.stdout == p.stdout


def test_a_reader_that_goes_away_is_not_an_error_and_every_run_is_kept(tmp_path):
    # `simlib compare ... | head -1`: the reader is gone before the tables are printed
    import subprocess
    import sys
    out = tmp_path / "cmp"
    proc = subprocess.Popen([sys.executable, "-m", "simlib.cli", "compare", "pond", "coupon_ladder", "--reps", "2",
                             "--users", "300", "--days", "20", "--workers", "1", "--no-progress", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 0, err
    assert "error" not in err.lower() and "Traceback" not in err
    assert (out / "report.html").exists() and len(list((out / "runs").rglob("*"))) >= 4
