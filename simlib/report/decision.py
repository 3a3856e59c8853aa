"""The decision object: comparison table, verdict, cost breakdown, arm diffs and the report.

    d = simlib.compare(["baseline", "coupon_ladder", "points_program"], reps=20, users=20_000)
    print(d.verdict)            # one line a manager reads
    d.table                     # outcome x arm: means, paired differences, intervals, P(better)
    d.costs                     # ledger lines x arms, mean CNY per run
    d.report("report.html")     # self-contained HTML to forward
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..errors import UserError
from . import diff as diff_mod
from .arms import describe_arms, format_described, settings_frame
from .costs import cost_breakdown, format_breakdown, format_cost_differences
from .inputs import ReportInputs, from_experiment, from_folder
from .lang import LANGS, Words
from .text import format_comparison, format_uncertainty, per_treated_sentence
from .verdict import Verdict, decide, turns_on_flip, turns_on_sensitivity, uncertainty_sentence

REPORT_NAME = "report.html"


class Decision:
    """Everything a comparison says, computed once from ``ReportInputs``."""

    def __init__(self, inputs: ReportInputs):
        from ..experiment.table import comparison_table
        self.inputs = inputs
        self.reference = inputs.reference
        self.arms = inputs.arms
        runs = inputs.runs
        compared = len(runs) and runs["arm"].nunique() > 1
        self.table = (comparison_table(runs, inputs.outcomes, inputs.reference, inputs.confidence,
                                       inputs.detect_difference, inputs.uncertain, inputs.settings["seed"])
                      if compared else pd.DataFrame())
        self.costs = cost_breakdown(runs, [a for a in self.arms if a in set(runs["arm"])]) if len(runs) else None
        have = all(a in inputs.scenarios for a in self.arms)
        self.diffs = diff_mod.arm_diffs(inputs.scenarios, inputs.reference) if have and len(self.arms) > 1 else {}
        self.warnings = diff_mod.warnings(self.diffs) if not inputs.model else []
        self.described = describe_arms(self.diffs, inputs.scenarios, inputs.reference) if self.diffs else {}
        self.flip = None            # (parameter, difference table) when a one-parameter sweep ran
        self.robust = self._robust()    # experiment.robust.RobustVerdict when a robust stage ran
        self._verdict: Verdict | None = None
        if len(self.table):
            first = decide(self.table, self.reference, confidence=inputs.confidence, runs=runs)
            contender = first.best if first.best != self.reference else self._closest(first.outcome)
            pct = f"{round(inputs.confidence * 100):g}%"
            # the sentences after the verdict, in English and in Chinese from the same numbers
            turns, per = {}, {}
            for lang in LANGS:
                words = Words(lang)
                parts = [self._turns_on(first.outcome, contender, words)] if contender else []
                if contender:
                    from ..experiment.uncertainty import extrapolation_sentence
                    parts += [uncertainty_sentence(self.table, first.outcome, contender,
                                                   inputs.scenarios.get(contender), words),
                              extrapolation_sentence(inputs.uncertain, inputs.scenarios.get(contender), words)]
                if self.robust is not None:
                    from .rests_on import headline
                    parts.append(headline(self.robust, words))
                turns[lang] = " ".join(p for p in parts if p)
                # a campaign sent to listed customers: what it does per customer sent
                per[lang] = per_treated_sentence(self.table, contender, pct, words) if contender else ""
            verdict = decide(self.table, self.reference, first.outcome, inputs.confidence, runs, turns["en"])
            facts = dict(verdict.facts or {}, turns_on_zh=turns["zh"], per_treated_zh=per["zh"])
            text = f"{verdict.text} {per['en']}" if per["en"] else verdict.text
            self._verdict = replace(verdict, text=text, facts=facts)

    # -- what a manager reads ----------------------------------------------------------------
    @property
    def verdict(self) -> str:
        return self._verdict.text if self._verdict else "No comparison ran: one arm only."

    def _robust(self):
        """The robust verdict on the robust stage's runs: the ranking the comparison found (best
        first), checked across the assumption sets, with the comparison's replications as the noise
        of one run."""
        inputs = self.inputs
        runs = inputs.robust_runs
        if runs is None or not len(runs) or not inputs.robust_outcome:
            return None
        from ..experiment.robust import analyse
        outcome = next(o for o in inputs.outcomes if o.name == inputs.robust_outcome)
        arms = [a for a in self.arms if a in set(runs["arm"])]
        ranking = None
        if len(self.table):
            t = self.table[(self.table["outcome"] == outcome.name) & self.table["arm"].isin(arms)]
            if len(t) == len(arms):
                ranking = tuple(t.assign(s=outcome.sign * t["mean"]).sort_values("s", ascending=False,
                                                                                 kind="stable")["arm"])
        return analyse(runs, inputs.robust_effects, outcome.key, outcome.sign, arms, ranking, inputs.runs)

    def rests_on(self) -> dict:
        """The section "What this answer rests on" (empty without a robust stage)."""
        from .rests_on import rests_on
        return rests_on(self.robust)

    @property
    def uncertainty(self) -> pd.DataFrame:
        """Per outcome and arm: the shares of the paired difference's variance from the fitted
        parameters and from the simulation, and the parameter whose measurement removes the most
        (empty without uncertain parameters)."""
        cols = ["outcome", "arm", "var_param", "var_sim", "share_param", "share_sim", "voi_parameter", "voi_share",
                "p_better", "p_better_sim", "draws", "inner"]
        if "share_param" not in self.table.columns:
            return pd.DataFrame(columns=cols)
        return self.table.loc[self.table["share_param"].notna(), cols].reset_index(drop=True)

    @property
    def arm_settings(self) -> pd.DataFrame:
        """What each arm does: one row per arm and setting it changes against the reference (a
        policy it adds with every one of its settings), values in their declared units."""
        return settings_frame(self.described)

    @property
    def best(self) -> str | None:
        return self._verdict.best if self._verdict else None

    @property
    def outcome(self) -> str | None:
        return self._verdict.outcome if self._verdict else None

    def text(self) -> str:
        """Verdict, then the supporting tables, each number in its unit."""
        parts = [f"Verdict: {self.verdict}", ""]
        if len(self.table):
            parts += [format_comparison(self.table, self.reference, self.inputs.confidence), ""]
            shares = format_uncertainty(self.table, self.reference, self.inputs.scenarios.get(self.reference))
            if shares:
                parts += [shares, ""]
        if self.robust is not None:
            from .rests_on import format_rests_on
            parts += [format_rests_on(self.rests_on()), ""]
        if self.costs is not None and len(self.costs):
            parts += ["Where the money goes (mean per run, CNY)", format_breakdown(self.costs)]
            more = format_cost_differences(self.costs, self.reference)
            parts += ([more] if more else []) + [""]
        if self.diffs:
            parts += ["What each arm changes against the reference",
                      format_described(self.described, self.reference)]
            parts += [f"warning: {w}" for w in diff_mod.warnings(self.diffs)] + [""]
        return "\n".join(parts).rstrip() + "\n"

    def __str__(self) -> str:
        return self.text()

    def html(self, lang: str = "en") -> str:
        from .html import render
        return render(self, lang)

    def report(self, path, lang: str = "en") -> Path:
        """Write the self-contained HTML report to ``path`` (a file, or a folder for report.html);
        ``lang="zh"`` writes it in Chinese (verdict, headings, labels, footnotes, cost table)."""
        from ..fileio import write_text
        path = Path(path)
        if path.is_dir():
            path = path / REPORT_NAME
        if not path.parent.is_dir():
            raise UserError(f"{path}: the folder {path.parent} does not exist")
        return write_text(path, self.html(lang))

    def _repr_html_(self) -> str:   # notebooks show the verdict, not the object
        import html
        return f"<p><b>Verdict:</b> {html.escape(self.verdict)}</p>"

    # -- helpers -----------------------------------------------------------------------------
    def _closest(self, outcome):
        t = self.table[(self.table["outcome"] == outcome) & (self.table["arm"] != self.reference)]
        if t.empty:
            return None
        sign = 1.0 if t["direction"].iloc[0] == "maximize" else -1.0
        return t.loc[(sign * t["diff"]).idxmax(), "arm"]

    def _turns_on(self, outcome: str, arm: str, words=None) -> str:
        inputs = self.inputs
        scenario = inputs.scenarios.get(arm)
        if inputs.sensitivity is not None and len(inputs.sensitivity):
            text = turns_on_sensitivity(inputs.sensitivity, outcome, arm, self.reference, scenario, inputs.labels,
                                        words)
            if text:
                return text
        sweep = inputs.sweep_runs
        if sweep is None or not len(sweep) or outcome not in sweep.columns:
            return ""
        params = [c for c in sweep.columns if c.startswith("param:")]
        arms = set(sweep["arm"])
        if len(params) != 1 or not {arm, self.reference} <= arms:
            return ""
        if self.flip is None or self.flip[2] != arm:   # computed once, phrased in each language
            from ..experiment.core import SweepResult
            d = SweepResult(pd.DataFrame(), sweep).difference(outcome, arm, self.reference, inputs.confidence)
            self.flip = (params[0][6:], d, arm)
        d = self.flip[1]
        sign = 1.0 if self.table.loc[self.table["outcome"] == outcome, "direction"].iloc[0] == "maximize" else -1.0
        return turns_on_flip(d, params[0][6:], outcome, arm, self.reference, scenario, sign, inputs.labels, words)


def compare(arms, reference: str | None = None, *, reps: int = 10, seed: int = 0, users: int | None = None,
            days: int | None = None, outcomes=None, out: str | None = None, workers: int | None = None,
            executor=None, progress: bool = False, uncertain=None, robust: int | None = None,
            lang: str = "en", assignment=None, assignment_arm: str | None = None) -> Decision:
    """Compare strategy arms with common random numbers and decide on net profit.

    ``arms``: a list of built-in names, scenario paths or ``Scenario`` objects (the first is the
    reference unless ``reference`` names another), or a mapping arm name -> one of those.
    ``out`` keeps every run in that folder (resumable) and writes report.html there.
    ``lang``: the language of report.html written with ``out`` ('en' or 'zh').
    ``uncertain``: fitted parameters not known exactly (``calibration/fitted_uplift.yaml`` with its
    covariance beside it, or a mapping); each replication draws them once for every arm, so the
    verdict covers parameter and simulation uncertainty and says how much each contributes.
    ``robust``: N assumption sets at which every arm runs once more, the effects the arms act through
    drawn over their plausible ranges (fitted ones from their posterior): the verdict says how often
    the ranking holds and, where it flips, on which effect (``Decision.robust``, ``Decision.rests_on``).
    ``assignment``: a planned campaign's customers (a CSV of customer_id and arm, or of ids):
    every arm but the reference sends to them, and the table adds per-treated outcomes
    (``purchases_per_treated``, ``net_profit_cny_per_treated``, ...).
    """
    from ..experiment import compare_experiment, make_executor
    from ..experiment.spec import ExperimentError
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 2:
        raise UserError(f"reps must be an integer of at least 2 (intervals need two), got {reps!r}")
    own = executor is None and workers is not None and workers > 1
    ex = make_executor("processes", workers) if own else executor
    try:
        exp = compare_experiment(arms, reference, replications=reps, seed=seed, users=users, days=days,
                                 outcomes=outcomes, out=out, executor=ex, progress=progress, uncertain=uncertain,
                                 robust=robust, assignment=assignment, assignment_arm=assignment_arm)
        result = exp.compare()
        results = {"robust": exp.robust()} if robust else {}
    except ExperimentError as exc:
        raise UserError(str(exc)) from None
    finally:
        if own:
            ex.close()
    if out:
        return write_report(out, lang=lang)[1]
    return Decision(from_experiment(exp, result, results))


def write_report(folder, path=None, lang: str = "en") -> tuple[Path, Decision]:
    """Rebuild the decision from an experiment folder and write its report.html (or ``path``)."""
    from .lang import Words
    Words(lang)   # an unknown language is a user error before any work
    decision = Decision(from_folder(folder))
    target = Path(path) if path else Path(folder) / REPORT_NAME
    return decision.report(target, lang), decision


def load_decision(folder) -> Decision:
    """The decision stored in an experiment folder, without writing anything."""
    if not os.path.isdir(folder):
        raise UserError(f"{folder}: no such folder")
    return Decision(from_folder(folder))
