"""The ``simlib`` command: run, validate, and the sub-commands other modules register.

Exit codes: 0 ok, 2 user error (a bad scenario, CSV or argument; the message says what to
fix), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..errors import UserError
from .options import check_out_folder, parse_set, say_if_compiling

PROGRESS_MIN_CUSTOMER_DAYS = 20_000_000  # show a progress bar above this much work


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own usage errors are user errors: exit 2
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__
    parser = _Parser(prog="simlib", description="Simulate private-domain marketing strategies before rollout.")
    parser.add_argument("--version", action="version", version=f"simlib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run one scenario and print its summary",
                         description="Run one scenario (default: the built-in baseline) and print a summary table.")
    run.add_argument("scenario", nargs="?", default="baseline", help="scenario file or built-in name (default: baseline)")
    run.add_argument("--users", type=int, help="market size N (overrides market.users)")
    run.add_argument("--days", type=int, help="days to simulate (overrides market.days)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any scenario key; repeatable")
    run.add_argument("--out", help="folder for summary.json, daily.csv, ledger.csv, scenario.yaml, meta.json")
    run.add_argument("--transactions", action="store_true", help="also write transactions.csv (one row per order)")
    run.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
    bar = run.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show a progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")
    run.set_defaults(func=cmd_run)

    val = sub.add_parser("validate", help="check a scenario file", description="Check a scenario file; exit 0 if valid, 2 with the problem.")
    val.add_argument("scenario", nargs="+", help="scenario file(s) or built-in names")
    val.set_defaults(func=cmd_validate)

    show = sub.add_parser("show", help="print a scenario fully resolved (defaults filled in)")
    show.add_argument("scenario", nargs="?", default="baseline")
    show.add_argument("--set", action="append", metavar="KEY=VALUE")
    show.set_defaults(func=cmd_show)

    comp = sub.add_parser("compile", help="compile the simulation's inner loop now (once per install, 1-2 min)",
                          description="Compile the population step (numba) and cache its machine code, so that no "
                                      "later run pays for it. Runs do this themselves the first time; this is for "
                                      "an install script, a CI image or a notebook server.")
    comp.set_defaults(func=cmd_compile)

    lst = sub.add_parser("scenarios", help="list the built-in scenarios")
    lst.set_defaults(func=cmd_list)

    ex = sub.add_parser("example", help="write example data to try the path from data (an order log and A/B tests)",
                        description="Write a made-up brand's data (drawn with plain numpy, not by the engine) and "
                                    "the offer files the README's path from data uses, to try it from an installed "
                                    "simlib.")
    ex.add_argument("name", nargs="?", default="your_pond", help="which example (default: your_pond)")
    ex.add_argument("--out", default=None, help="folder to write (default: the example's name)")
    ex.add_argument("--seed", type=int, default=2024)
    ex.set_defaults(func=cmd_example)

    from . import calibrate, experiment, report  # each adds its sub-commands
    experiment.register(sub)
    report.register(sub)
    calibrate.register(sub)
    from . import twin   # issue 15 (twin): a team's order log -> a scenario of their market
    twin.register(sub)
    return parser


def cmd_compile(args) -> int:
    import time
    from ..run import compile_step, step_compiled
    if step_compiled():
        print("simlib: the population step is compiled and cached already")
        return 0
    print("simlib: compiling the population step (1-2 min) ...", flush=True)
    started = time.perf_counter()
    compile_step()
    print(f"done in {time.perf_counter() - started:.0f} s; later runs load the machine code from the cache")
    return 0


def cmd_run(args) -> int:
    from ..run import as_scenario, run
    if args.out:
        check_out_folder(args.out)
    scenario = as_scenario(args.scenario)
    overrides = parse_set(args.set)
    if overrides:
        scenario = scenario.override(overrides, source="--set")
    users = args.users if args.users is not None else scenario.data["market"]["users"]
    days = args.days if args.days is not None else scenario.data["market"]["days"]
    progress = args.progress if args.progress is not None else (users * days >= PROGRESS_MIN_CUSTOMER_DAYS
                                                                and sys.stderr.isatty())
    say_if_compiling()
    try:
        result = run(scenario, seed=args.seed, users=args.users, days=args.days, progress=progress,
                     record_transactions=args.transactions)
    except KeyboardInterrupt as exc:
        exc.add_note("the run stopped before it finished; nothing was written")
        raise
    if args.json:
        from ..results import _jsonable
        print(json.dumps(_jsonable(result.summary), indent=2))
    else:
        from ..report.text import format_run
        print(format_run(result))
    if args.out:
        try:
            folder = result.save(args.out)
        except OSError as exc:
            notes = " ".join(getattr(exc, "__notes__", []))
            raise UserError(f"--out {args.out}: cannot write the results there ({exc.strerror or exc}); {notes} "
                            "The summary is printed above; choose a folder you can write to") from None
        except KeyboardInterrupt as exc:
            exc.add_note("the run finished and its summary is printed above")
            raise
        print(f"\nwrote {folder}/ (summary.json, daily.csv, ledger.csv, scenario.yaml, meta.json"
              + (", transactions.csv)" if args.transactions else ")"), file=sys.stderr if args.json else sys.stdout)
    return 0


def cmd_validate(args) -> int:
    from ..scenario import load_scenario
    for item in args.scenario:
        sc = load_scenario(item)
        print(f"ok: {sc.source} ({sc.name}: {len(sc.data['policies'])} policies)")
    return 0


def cmd_show(args) -> int:
    from ..scenario import load_scenario
    sc = load_scenario(args.scenario)
    overrides = parse_set(args.set)
    if overrides:
        sc = sc.override(overrides, source="--set")
    print(sc.to_yaml(), end="")
    return 0


def scenario_question(text: str) -> str:
    """The question a built-in scenario answers: its leading comment up to the first question
    mark (or its first sentence), as one line, however many lines of the file it takes."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    words = " ".join(part for part in lines if part)
    end = words.find("?")
    if end < 0:
        end = words.find(". ")
        end = end if end >= 0 else len(words) - 1
    return words[:end + 1].strip()


def cmd_list(args) -> int:
    import textwrap

    from ..scenario import BUILTIN_DIR, builtin_scenarios
    for name in builtin_scenarios():
        question = scenario_question((BUILTIN_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
        print(textwrap.fill(question, width=110, initial_indent=f"{name:<31}", subsequent_indent=" " * 31))
    return 0


def _note(message, category, filename, lineno, line=None) -> str:
    """A warning from simlib reads as a note to the user, without the file and line it came from."""
    return f"note: {message}\n"


def cmd_example(args) -> int:
    from ..example_data import EXAMPLE_FILES, EXAMPLES, write_your_pond
    if args.name not in EXAMPLES:
        from ..errors import did_you_mean
        raise UserError(f"example {args.name!r}: allowed: {', '.join(EXAMPLES)}.{did_you_mean(args.name, EXAMPLES)}")
    out = args.out or args.name
    check_out_folder(out)
    from pathlib import Path
    there = [n for n in EXAMPLE_FILES if (Path(out) / n).exists()]
    if there:   # never write over a team's own files
        raise UserError(f"--out {out}: already holds {', '.join(there)}; allowed: a new or empty folder "
                        f"(e.g. --out {args.name}_2)")
    written = write_your_pond(out, args.seed)
    print(f"{args.name}: {EXAMPLES[args.name]}")
    print("files: " + ", ".join(p.name for p in written))
    print(f"next: cd {out} and run the README's three commands (The whole path from data)")
    return 0


def main(argv=None) -> int:
    """Run the command ``argv`` (default: this program's arguments) and return its exit code."""
    code = _command(argv)
    if argv is None:
        # The program itself (the ``simlib`` script, ``python -m simlib.cli``), which ends next:
        # the interpreter's collections at exit would walk every object the imports made
        # (pandas, scipy, numba: 0.2-0.4 CPU s of a 1.7 s ``simlib run``). Frozen objects are
        # still released (files closed) on exit; only the cycle collector skips them.
        import gc
        gc.freeze()
    return code


def _command(argv) -> int:
    import warnings
    warnings.formatwarning = _note
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print("interrupted" + "".join(f"; {note}" for note in getattr(exc, "__notes__", [])), file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`simlib ... | head`): what was computed is stored
        try:
            sys.stdout = open(os.devnull, "w")  # no second error when Python flushes at exit
        except OSError:
            pass
        return 0


if __name__ == "__main__":
    sys.exit(main())
