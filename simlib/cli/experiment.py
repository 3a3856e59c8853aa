"""`simlib compare` and `simlib experiment`: sub-commands registered into the main CLI.

The main parser (simlib/cli/main.py) calls `register(subparsers)`. `main(argv)` runs these two
commands on their own (`python -m simlib.cli.experiment experiment FILE.yaml`).
Exit codes: 0 ok, 2 a user error (message, no traceback), 3 a worker crashed, 130 interrupted
(finished runs are kept; run the same command again to resume).
"""
from __future__ import annotations

import argparse
import os
import sys

EXIT_USER, EXIT_CRASH, EXIT_INTERRUPTED = 2, 3, 130


def _add_execution(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", "-w", type=int, default=None,
                   help="worker processes (default: all cores); 1 runs in this process")
    p.add_argument("--executor", choices=["serial", "processes", "dask"], default=None,
                   help="how runs execute (default: processes; dask with --scheduler)")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address (tcp://host:8786), or 'local' for a local cluster")
    p.add_argument("--out", "-o", default=None, help="experiment folder (results, inputs, resume)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--lang", choices=["en", "zh"], default="en",
                   help="language of report.html: en (default) or zh (Chinese: verdict, headings, labels, costs)")


def register(subparsers) -> None:
    """Add the `compare` and `experiment` sub-commands to the main parser."""
    c = subparsers.add_parser(
        "compare", help="compare strategy scenarios against a base (CRN, paired differences)",
        description="Run BASE and each ARM for R replications with common random numbers and "
                    "print a verdict on net profit, then each arm's mean, its paired difference to "
                    "BASE with an interval, the probability it beats BASE, the replications needed to "
                    "detect it, the cost breakdown and what each arm changes. --out keeps the runs "
                    "and writes a self-contained report.html there.")
    c.add_argument("base", help="the reference scenario (YAML file or built-in name)")
    c.add_argument("arms", nargs="+", help="scenarios to compare against the base")
    c.add_argument("--reps", "-r", type=int, default=10, help="replications (default 10)")
    c.add_argument("--seed", "-s", type=int, default=0, help="experiment seed (default 0)")
    c.add_argument("--users", type=int, default=None, help="market size for every run")
    c.add_argument("--days", type=int, default=None, help="simulated days for every run")
    c.add_argument("--outcomes", default=None,
                   help="comma-separated metrics; the first decides the verdict (default: net profit, "
                        "gross profit, GMV, ROI, repurchase, churn, marketing cost)")
    c.add_argument("--detect", action="append", default=[], metavar="OUTCOME=DIFF",
                   help="smallest difference worth detecting, for 'reps to detect' (repeatable)")
    c.add_argument("--crn-check", action="store_true",
                   help="also run with independent seeds and print the variance of the paired "
                        "difference both ways")
    c.add_argument("--uncertain", default=None, metavar="FILE",
                   help="fitted parameters that are not known exactly: a fitted fragment with its _covariance.yaml "
                        "beside it (simlib calibrate uplift writes both), or a file with parameters: {KEY: "
                        "{estimate, std_error}} (or lower/upper) and covariance:; each replication draws them once "
                        "for every arm, and the output splits the variance into parameters and simulation")
    c.add_argument("--robust", type=int, default=None, metavar="N",
                   help="also run every arm at N assumption sets (a Latin hypercube over the plausible ranges of the "
                        "effects the arms act through; fitted ones from --uncertain's posterior) and say how often "
                        "the ranking holds and, where it flips, on which effect (e.g. 64)")
    c.add_argument("--robust-reps", type=int, default=1, metavar="R",
                   help="with --robust: runs per arm at each assumption set (default 1)")
    c.add_argument("--inner", type=int, default=None, metavar="N",
                   help="with --uncertain: seeds per parameter draw (default 2; replications = draws x N)")
    c.add_argument("--assignment", default=None, metavar="FILE",
                   help="a planned campaign's customers: a CSV of customer_id and arm (or of customer_id alone); "
                        "every arm but BASE sends its campaign to the treated arm's customers, and the table adds "
                        "per-treated outcomes (purchases_per_treated, net_profit_cny_per_treated, ...)")
    c.add_argument("--assignment-arm", default=None, metavar="ARM",
                   help="with --assignment: the arm that receives the campaign (default: the file's one arm besides "
                        "control)")
    _add_execution(c)
    c.set_defaults(func=compare_command)

    e = subparsers.add_parser(
        "experiment", help="run an experiment file: comparison, sweeps, sensitivity, optimisation",
        description="Run every analysis an experiment YAML declares. Each finished run is saved "
                    "at once in the --out folder; running again resumes an interrupted experiment.")
    e.add_argument("file", help="experiment YAML")
    e.add_argument("--only", default=None,
                   help="comma-separated analyses to run: compare,sweep,sensitivity,optimize,robust")
    e.add_argument("--reps", "-r", type=int, default=None, help="override replications")
    e.add_argument("--no-plots", action="store_true", help="do not write PNG figures (report.html is always written)")
    _add_execution(e)
    e.set_defaults(func=experiment_command)


def _executor(args):
    from simlib.experiment import make_executor
    scheduler = args.scheduler
    kind = args.executor
    if scheduler == "local":
        scheduler, kind = None, "dask"
    return make_executor(kind, args.workers, scheduler)


def _guard(fn, args):
    """Run a command body with user-facing handling of errors and interruptions."""
    from simlib import UserError
    from simlib.experiment import WorkerCrashed
    args.status = {}  # stage -> [runs stored, runs planned], kept up to date while running
    try:
        return fn(args)
    except KeyboardInterrupt:
        print("\n" + _interrupted(args.status, args.out), file=sys.stderr)
        return EXIT_INTERRUPTED
    except WorkerCrashed as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_CRASH
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USER
    except BrokenPipeError:  # the reader went away (`... | head`): main() ends quietly
        raise
    except OSError as e:  # a folder that cannot be written, a full disk
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_USER


def _interrupted(status: dict, out: str | None) -> str:
    """What an interruption kept: the finished runs of each stage, and how to resume."""
    if not out:
        return "interrupted: nothing kept (no --out folder to save runs in)"
    if not status:
        return f"interrupted before any run finished; nothing to resume in {out}"
    stages = ", ".join(f"{stage} {done} of {total} runs" + (" (complete)" if done == total else "")
                       for stage, (done, total) in status.items())
    return (f"interrupted: finished runs are saved in {out}: {stages}; run the same command again "
            "to resume (saved runs are not recomputed)")


def _check_out(out: str | None) -> None:
    from simlib.experiment import ExperimentError
    if out and os.path.exists(out) and not os.path.isdir(out):
        raise ExperimentError("--out", "", f"{out} is a file; the results need a folder (a new one, or the "
                              "folder of this experiment to resume it)")


def compare_command(args) -> int:
    import matplotlib
    matplotlib.use("Agg")   # the report draws off screen: a terminal may have no display
    return _guard(_compare, args)


def _compare(args) -> int:
    from simlib.experiment import ExperimentError, compare_experiment, compare_scenarios, crn_variance
    from simlib.report import Decision, write_report
    from simlib.report.inputs import from_experiment
    if args.reps < 2:
        raise ExperimentError("--reps", "", f"got {args.reps}; allowed: at least 2 (intervals need two)")
    from simlib.experiment.schema import TOP_LEVEL
    for key in ("users", "days"):
        if getattr(args, key) is not None:
            TOP_LEVEL[key].check(getattr(args, key), f"--{key}", "")
    _check_out(args.out)
    from .options import say_if_compiling
    say_if_compiling()
    outcomes = [s.strip() for s in args.outcomes.split(",") if s.strip()] if args.outcomes else None
    detect = {}
    for item in args.detect:
        name, _, value = item.partition("=")
        try:
            detect[name.strip()] = float(value)
        except ValueError:
            raise ExperimentError("--detect", "", f"got {item[:100]!r}; allowed: OUTCOME=NUMBER, e.g. "
                                  "net_profit_cny=5000") from None
    uncertain = None
    if args.uncertain is not None:
        uncertain = {"file": os.path.abspath(args.uncertain)}
        if args.inner is not None:
            uncertain["inner_replications"] = args.inner
    elif args.inner is not None:
        raise ExperimentError("--inner", "", "only with --uncertain (seeds per draw of the uncertain parameters)")
    robust = None
    if args.robust is not None:
        robust = {"points": args.robust, "replications": args.robust_reps}
    elif args.robust_reps != 1:
        raise ExperimentError("--robust-reps", "", "only with --robust N (runs per arm at each assumption set)")
    if args.assignment_arm is not None and args.assignment is None:
        raise ExperimentError("--assignment-arm", "", "only with --assignment (the file whose arm it names)")
    with _executor(args) as ex:
        kw = dict(replications=args.reps, seed=args.seed, users=args.users, days=args.days,
                  outcomes=outcomes, executor=ex, progress=not args.no_progress,
                  detect_difference=detect or None, status=args.status, uncertain=uncertain,
                  assignment=args.assignment, assignment_arm=args.assignment_arm)
        exp = compare_experiment([args.base, *args.arms], out=args.out, robust=robust, **kw)
        res = exp.compare()
        results = {"robust": exp.robust()} if robust else {}
        if args.out:
            path, decision = write_report(args.out, lang=args.lang)
        else:
            decision = Decision(from_experiment(exp, res, results))
        print(decision.text(), flush=True)
        for w in decision.warnings:
            print(f"warning: {w}", file=sys.stderr)
        if args.crn_check:
            ind = compare_scenarios(args.base, args.arms, out=args.out, crn=False, **kw)
            print("Common random numbers: variance of the paired difference to the reference")
            for o in res.table["outcome"].unique():
                for arm in res.runs["arm"].unique():
                    if arm == res.reference:
                        continue
                    v = crn_variance(res.runs, ind.runs, o, arm, res.reference)
                    print(f"  {o:<22}{arm:<20} CRN {v['var_diff_crn']:.4g}   independent seeds "
                          f"{v['var_diff_independent']:.4g}   ratio {v['ratio']:.1f}x")
    if args.out:
        print(f"results in {args.out}; the report to forward: {path}")
    return 0


def experiment_command(args) -> int:
    import matplotlib
    matplotlib.use("Agg")
    return _guard(_experiment, args)


def _experiment(args) -> int:
    from simlib.experiment import Experiment, load_experiment
    from simlib.experiment.spec import did_you_mean, ExperimentError
    _check_out(args.out)
    spec = load_experiment(args.file)
    if args.reps is not None:
        spec.set_replications(args.reps, "--reps")
    out = args.out or os.path.join("results", spec.name)  # the name is a plain file name
    _check_out(out)
    args.out = out
    allowed = ["compare", "sweep", "sensitivity", "optimize", "robust"]
    only = [s.strip() for s in args.only.split(",")] if args.only else None
    for s in only or []:
        if s not in allowed:
            raise ExperimentError("--only", "", f"got {s[:100]!r}; allowed: {', '.join(allowed)}."
                                  + did_you_mean(s, allowed))
    declared = []
    if len(spec.arms) > 1 or spec.compare is not None:
        declared.append("compare")
    declared += [s for s in allowed[1:] if getattr(spec, s) is not None]
    todo = [s for s in (only or declared)]
    for s in todo:
        if s != "compare" and getattr(spec, s) is None:
            raise ExperimentError(args.file, s, "not declared in the experiment file (asked for by --only)")
    if not todo:
        raise ExperimentError(args.file, "", "nothing to run: declare 2+ arms, or sweep:, sensitivity:, "
                              "optimize: or robust:")
    with _executor(args) as ex:
        exp = Experiment(spec, out=out, executor=ex, progress=not args.no_progress, status=args.status)
        results = {}
        for stage in todo:
            results[stage] = getattr(exp, stage)()
            _report(stage, results[stage], spec)
    if not args.no_plots:
        _plots(results, spec, out)
    from simlib.report import write_report
    path, decision = write_report(out, lang=args.lang)
    if decision.outcome:
        print(f"Verdict: {decision.verdict}")
    print(f"results in {out}; the report to forward: {path}", flush=True)
    for w in decision.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _report(stage, res, spec) -> None:
    import pandas as pd
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:,.4g}".format):
        if stage == "compare":
            from simlib.report.text import format_comparison, format_uncertainty
            print(format_comparison(res.table, res.reference, res.confidence))
            print()
            shares = format_uncertainty(res.table, res.reference)
            if shares:
                print(shares)
                print()
        elif stage == "sweep":
            from simlib.report.text import format_frame
            labels = {p.key: p.label for p in spec.parameters() if p.label}
            keys = [o.key for o in spec.outcomes if o.key in res.runs.columns]
            print(f"sweep: {len(res.design)} design points x {res.runs['arm'].nunique()} arms x "
                  f"{spec.replications} replications; mean per point")
            print(format_frame(res.means(keys), labels))
            print()
            arms = list(res.runs["arm"].unique())
            params = [c for c in res.runs.columns if c.startswith("param:")]
            if spec.reference in arms and len(arms) > 1 and len(params) <= 2 and keys:
                o = spec.outcomes[0]
                for arm in arms:
                    if arm == spec.reference:
                        continue
                    d = res.difference(o.key, arm, spec.reference, spec.confidence)
                    print(f"paired difference {arm} - {spec.reference} in {o.name} at each point "
                          f"(P(higher) = probability the difference is > 0):")
                    print(format_frame(d, labels, diff_of=o.key))
                    print()
        elif stage == "sensitivity":
            print("Sobol' indices (first order S1, total ST, with intervals)")
            cols = ["arm", "outcome", "label", "first", "first_low", "first_high", "total",
                    "total_low", "total_high"]
            t = res.table[[c for c in cols if c in res.table.columns]].copy()
            if "label" in t and "parameter" in res.table:
                from simlib.report.units import param_label
                t["label"] = [param_label(k) if lab == k and "." in k else lab
                              for k, lab in zip(res.table["parameter"], t["label"])]
            print(t.to_string(index=False, float_format="{:.2f}".format))
            print()
        elif stage == "robust":
            print(res.text())
            print()
        elif stage == "optimize":
            from simlib.report.text import format_frame
            from simlib.report.units import fmt_metric, metric_label, nice_number, param_label
            labels = {p.key: p.label or param_label(p.key) for p in spec.levers}
            if res.best is None:
                print("optimisation: no candidate satisfies every constraint")
            else:
                b = res.best
                settings = ", ".join(f"{labels[k]} = {nice_number(_scalar(b[k]))}" for k in labels)
                print(f"best feasible: {settings}  ->  {metric_label(res.outcome)} "
                      f"{fmt_metric(res.outcome, b['objective'])} (robust score)")
            if len(res.frontier):
                fkey = res.frontier_metric.split(":", 1)[-1]
                print(f"frontier ({metric_label(res.outcome)} vs {metric_label(fkey)}):")
                cols = list(labels) + ["objective", res.frontier_metric]
                table = res.frontier[cols].rename(columns={"objective": res.outcome, res.frontier_metric: fkey})
                print(format_frame(table, labels))
            print()


def _scalar(v):
    return v.item() if hasattr(v, "item") else v


def _plots(results, spec, out) -> None:
    from simlib.experiment import plots as pe
    folder = os.path.join(out, "plots")
    os.makedirs(folder, exist_ok=True)
    figs = _Saver(folder)
    labels = {p.key: p.label for p in spec.parameters() if p.label}
    if "compare" in results:
        r = results["compare"]
        for o in r.table["outcome"].unique()[:3]:
            figs[f"forest_{o}"] = pe.forest_plot(r.table, o)
        if len(r.daily) and "purchased" in r.daily.columns:
            figs["fan_purchased"] = pe.fan_chart(r.daily, "purchased")
    if "sensitivity" in results:
        t = results["sensitivity"].table
        for (arm, o), _ in t.groupby(["arm", "outcome"]):
            figs[f"sensitivity_{arm}_{o}"] = pe.sensitivity_bars(t, o, arm=arm)
    if "sweep" in results:
        s = results["sweep"]
        params = [c for c in s.runs.columns if c.startswith("param:")]
        if params:
            figs["response"] = pe.response_surface(s.runs, params[:2], spec.outcomes[0].key, labels=labels)
        arms = list(s.runs["arm"].unique())
        if len(params) == 1 and spec.reference in arms:
            o = spec.outcomes[0]
            for arm in arms:
                if arm != spec.reference:
                    d = s.difference(o.key, arm, spec.reference, spec.confidence)
                    figs[f"flip_{arm}"] = pe.difference_plot(d, params[0][6:], o.name,
                                                             f"{arm} - {spec.reference}", labels=labels)
    if "optimize" in results and results["optimize"].frontier_metric:
        figs["frontier"] = pe.frontier_plot(results["optimize"])


class _Saver(dict):
    """figs[name] = fig writes plots/NAME.png at once (atomically) and closes the figure."""

    def __init__(self, folder):
        super().__init__()
        self.folder = folder

    def __setitem__(self, name, fig):
        import matplotlib.pyplot as plt

        from simlib.fileio import replacing
        with replacing(os.path.join(self.folder, f"{name}.png")) as tmp:
            fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
        plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="simlib")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
