"""An experiment killed mid-way (SIGKILL to the runner) resumes and ends exactly as an
uninterrupted run: nothing finished is recomputed, nothing is lost or duplicated."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from simlib.experiment import Experiment, load_experiment, load_results

EXP = {"name": "kill", "model": "toy_slow", "replications": 4, "seed": 3,
       "arms": {"base": {"overrides": {"sleep": 0.12}}},
       "levers": {"x": {"low": 0.0, "high": 1.0}},
       "outcomes": {"value": "maximize"},
       "sweep": {"design": "lhs", "points": 10}}
TOTAL = 40


def cli(path, out):
    return [sys.executable, "-m", "simlib.cli", "experiment", str(path), "--workers", "2",
            "--out", str(out), "--no-progress", "--no-plots"]


def run_files(out):
    d = Path(out) / "runs" / "sweep"
    return sorted(d.glob("*.json")) if d.exists() else []


def children(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
    path = tmp_path / "kill.yaml"
    path.write_text(yaml.safe_dump(EXP))
    out = tmp_path / "out"
    proc = subprocess.Popen(cli(path, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while len(run_files(out)) < 8 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    workers = children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.5)
    for w in workers:  # the workers die with their parent (PR_SET_PDEATHSIG)
        alive = Path(f"/proc/{w}").exists() and "zombie" not in Path(f"/proc/{w}/status").read_text()
        if alive:
            os.kill(w, signal.SIGKILL)
        assert not alive, "an orphan worker outlived the killed runner"
    before = {f.name: f.stat().st_mtime_ns for f in run_files(out)}
    print(f"killed after {len(before)} of {TOTAL} runs")
    assert 8 <= len(before) < TOTAL

    again = subprocess.run(cli(path, out), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    after = {f.name: f.stat().st_mtime_ns for f in run_files(out)}
    assert len(after) == TOTAL
    assert all(after[name] == t for name, t in before.items())  # nothing finished was redone

    reference = tmp_path / "ref"
    Experiment(load_experiment(str(path)), out=str(reference)).sweep()
    resumed = load_results(str(out))
    uninterrupted = load_results(str(reference))
    assert len(resumed) == TOTAL and not resumed.duplicated(["arm", "point", "replication"]).any()
    pd.testing.assert_frame_equal(resumed, uninterrupted, check_exact=True)
    tables = pd.read_csv(out / "sweep_runs.csv")
    assert len(tables) == TOTAL


def test_ctrl_c_keeps_finished_runs(tmp_path):
    path = tmp_path / "kill.yaml"
    # slower runs than EXP's: the rest of the sweep (about 9 s) outlasts a test process starved
    # by a loaded machine between seeing 4 runs and sending the signal
    path.write_text(yaml.safe_dump({**EXP, "arms": {"base": {"overrides": {"sleep": 0.5}}}}))
    out = tmp_path / "out"
    # Ctrl-C as a terminal delivers it: the child starts with SIGINT's default action, whatever
    # this test process inherited (a process that ignores SIGINT passes the ignoring on to exec)
    proc = subprocess.Popen(cli(path, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60
    while len(run_files(out)) < 4 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    seen = len(run_files(out))
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, seen, signal.getsignal(signal.SIGINT), err[-500:])
    assert "run the same command again to resume" in err and "Traceback" not in err
    kept = len(run_files(out))
    assert 4 <= kept < TOTAL
    assert f"finished runs are saved in {out}: sweep {kept} of {TOTAL} runs;" in err
    assert not list(Path(out).rglob(".*.part"))  # no half-written file left behind


def test_crashed_worker_loses_nothing_and_resumes(tmp_path):
    from simlib.experiment import WorkerCrashed, make_executor, parse_experiment
    from simlib.experiment.toy import crash_once
    marker = tmp_path / "crash-once"
    marker.write_text("")
    d = {k: v for k, v in EXP.items() if k != "model"}
    d["arms"] = {"base": {"overrides": {"sleep": 0.02, "crash_file": str(marker)}}}
    out = tmp_path / "out"
    with make_executor("processes", 2) as ex:
        try:
            Experiment(parse_experiment(d, "crash.yaml"), out=str(out), executor=ex, model=crash_once).sweep()
            raise AssertionError("the worker crash went unnoticed")
        except WorkerCrashed as e:
            assert "run the same command again" in str(e)
    assert not marker.exists()
    kept = {f.name: f.stat().st_mtime_ns for f in run_files(out)}
    assert len(kept) < TOTAL
    with make_executor("processes", 2) as ex:
        Experiment(parse_experiment(d, "crash.yaml"), out=str(out), executor=ex, model=crash_once).sweep()
    after = {f.name: f.stat().st_mtime_ns for f in run_files(out)}
    assert len(after) == TOTAL and all(after[k] == t for k, t in kept.items())
    ref = Experiment(parse_experiment(d, "crash.yaml"), model=crash_once).sweep().runs
    pd.testing.assert_frame_equal(load_results(str(out)), ref, check_exact=True)


def test_more_replications_later_computes_only_the_new_ones(tmp_path):
    from simlib.experiment import parse_experiment
    d = {**EXP, "arms": {"base": {"overrides": {"sleep": 0.0}}}, "replications": 2}
    out = str(tmp_path / "out")
    Experiment(parse_experiment(d, "grow.yaml"), out=out).sweep()
    first = {f.name: f.stat().st_mtime_ns for f in run_files(out)}
    assert len(first) == 20
    grown = Experiment(parse_experiment({**d, "replications": 4}, "grow.yaml"), out=out).sweep()
    after = {f.name: f.stat().st_mtime_ns for f in run_files(out)}
    assert len(after) == 40 and all(after[k] == t for k, t in first.items())
    assert sorted(grown.runs["replication"].unique()) == [0, 1, 2, 3]
    fresh = Experiment(parse_experiment({**d, "replications": 4}, "grow.yaml")).sweep()
    pd.testing.assert_frame_equal(grown.runs, fresh.runs, check_exact=True)


def test_corrupt_stored_runs_are_named_set_aside_and_redone(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({**EXP, "arms": {"base": {"overrides": {"sleep": 0.0}}}}))
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "simlib.cli", "experiment", str(path), "--workers", "1",
            "--out", str(out), "--no-progress", "--no-plots"]
    assert subprocess.run(argv, capture_output=True, timeout=120).returncode == 0
    files = run_files(out)
    assert len(files) == TOTAL and all(f.stat().st_mode & 0o777 == 0o644 for f in files)
    truncated, garbage, foreign = files[3], files[17], files[31]
    truncated.write_text(truncated.read_text()[:40])
    garbage.write_bytes(b"\xff\x00 not json")
    other = json.loads(files[0].read_text())  # whole, but another run's record
    foreign.write_text(json.dumps(other))
    untouched = {f.name: f.stat().st_mtime_ns for f in files if f not in (truncated, garbage, foreign)}

    again = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "Traceback" not in again.stderr
    for f in (truncated, garbage, foreign):
        assert f"warning: {f}: stored run" in again.stderr
        assert (out / "corrupt" / "sweep" / f.name).exists()
    assert "unreadable (JSONDecodeError" in again.stderr and "not the run planned" in again.stderr
    after = {f.name: f.stat().st_mtime_ns for f in run_files(out)}
    assert len(after) == TOTAL and all(after[k] == t for k, t in untouched.items())
    reference = Experiment(load_experiment(str(path)), out=str(tmp_path / "ref")).sweep()
    pd.testing.assert_frame_equal(load_results(str(out)), reference.runs, check_exact=True)
    third = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert third.returncode == 0 and "warning" not in third.stderr
