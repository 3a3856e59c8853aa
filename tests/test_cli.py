"""The command line as a user meets it: outputs, files, exit codes."""

import json

import pandas as pd
import yaml

import simlib

from conftest import simlib_cli

DAILY_COLUMNS = ["day", "unaware", "aware", "interested", "purchased", "loyal", "dormant", "lost", "in_pond",
                 "purchases", "gmv_cny", "discount_cny", "ad_spend_cny", "messages_sent", "unsubscribes"]
SUMMARY_KEYS = ["users", "days", "seed", "gmv_cny", "gross_profit_cny", "marketing_cost_cny", "roi", "cac_cny",
                "purchases", "buyers", "repeat_buyers", "repurchase_rate"]


def test_run_writes_the_promised_files(tmp_path):
    out = tmp_path / "run"
    done = simlib_cli("run", "--users", 3000, "--days", 40, "--seed", 5, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "GMV" in done.stdout and "ROI" in done.stdout and "net profit" in done.stdout
    daily = pd.read_csv(out / "daily.csv")
    assert list(daily.columns[:len(DAILY_COLUMNS)]) == DAILY_COLUMNS or set(DAILY_COLUMNS) <= set(daily.columns)
    assert len(daily) == 40
    summary = json.loads((out / "summary.json").read_text())
    assert set(SUMMARY_KEYS) <= set(summary)
    assert summary["users"] == 3000 and summary["days"] == 40 and summary["seed"] == 5
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 5 and "numpy" in meta["versions"] and meta["wall_seconds"] > 0
    resolved = yaml.safe_load((out / "scenario.yaml").read_text())
    assert resolved["market"]["users"] == 3000
    # the written scenario reproduces the run exactly
    again = simlib.run(simlib.load_scenario(out / "scenario.yaml"), seed=5)
    assert again.summary["gmv_cny"] == summary["gmv_cny"]


def test_run_matches_python_api():
    done = simlib_cli("run", "--users", 2000, "--days", 30, "--seed", 2, "--json",
                      "--set", "policies.search_ads.budget_cny_per_day=100")
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)
    api = simlib.run("baseline", seed=2, users=2000, days=30,
                     overrides={"policies.search_ads.budget_cny_per_day": 100}).summary
    assert cli["purchases"] == api["purchases"]
    assert cli["gmv_cny"] == api["gmv_cny"]


def test_user_errors_exit_2_without_traceback(tmp_path):
    cases = [
        (["run", "--set", "market.users=-3"], "market.users"),
        (["run", "--set", "nonsense"], "KEY=VALUE"),
        (["run", "no_such_scenario"], "no such scenario file"),
        (["run", "--users", "many"], "invalid int value"),
        (["validate", str(tmp_path / "missing.yaml")], "no such scenario file"),
    ]
    for args, fragment in cases:
        done = simlib_cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert fragment in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr


def test_show_prints_resolved_scenario_with_defaults():
    done = simlib_cli("show", "baseline", "--set", "market.users=99")
    assert done.returncode == 0
    data = yaml.safe_load(done.stdout)
    assert data["market"]["users"] == 99
    assert "first_purchase_per_day" in data["behavior"]  # defaults are filled in


def test_scenarios_lists_builtins():
    done = simlib_cli("scenarios")
    assert done.returncode == 0
    for name in simlib.builtin_scenarios():
        assert name in done.stdout


def test_unwritable_out_keeps_the_summary_and_exits_2(tmp_path):
    out = tmp_path / "run"
    (out / "ledger.csv").mkdir(parents=True)          # a folder where a result file must go
    done = simlib_cli("run", "--users", 1000, "--days", 10, "--out", out)
    assert done.returncode == 2
    assert "net profit" in done.stdout       # what was computed is shown, not lost
    assert "cannot write" in done.stderr and "Traceback" not in done.stderr
    assert "complete: summary.json, daily.csv; not written: ledger.csv, scenario.yaml, meta.json" in done.stderr


def test_interrupted_save_leaves_whole_files_and_says_which(tmp_path, monkeypatch, capsys):
    """Ctrl-C while writing ledger.csv: the files before it are whole, it and the rest are absent
    (no half-written file, no temporary file), and the message says so."""
    import pandas
    from simlib.cli.main import main
    real_to_csv = pandas.DataFrame.to_csv

    def to_csv(frame, path, *args, **kwargs):
        if ".ledger.csv." in str(path):
            real_to_csv(frame.head(3), path, *args, **kwargs)   # part of the file is on disk...
            raise KeyboardInterrupt                            # ...when the user presses Ctrl-C
        return real_to_csv(frame, path, *args, **kwargs)
    monkeypatch.setattr(pandas.DataFrame, "to_csv", to_csv)
    out = tmp_path / "run"
    assert main(["run", "--users", "800", "--days", "8", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert ("interrupted; saving to" in err and "complete: summary.json, daily.csv; not written: ledger.csv, "
            "scenario.yaml, meta.json" in err and "the run finished and its summary is printed above" in err), err
    assert sorted(p.name for p in out.iterdir()) == ["daily.csv", "summary.json"]
    assert len(pd.read_csv(out / "daily.csv")) == 8 and json.loads((out / "summary.json").read_text())["days"] == 8
    assert {oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {"0o644"}


def test_interrupted_run_says_nothing_was_written(tmp_path, monkeypatch, capsys):
    from simlib.cli.main import main
    from simlib.engine import Sim

    def interrupted(self):
        raise KeyboardInterrupt
    monkeypatch.setattr(Sim, "run", interrupted)
    assert main(["run", "--users", "500", "--days", "5", "--out", str(tmp_path / "run")]) == 130
    assert "interrupted; the run stopped before it finished; nothing was written" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
