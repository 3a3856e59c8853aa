"""Robust verdicts: does the ranking of the arms hold across the assumptions it rests on?

The effects the compared arms act through (``effects_for``: the behaviour effects each policy
type declares in ``acts_through``, the policies' own effect parameters and a few market-wide
effects, for the policies the arms differ by) are drawn over their plausible ranges
(``Param.plausible``) on a Latin hypercube of N assumption sets (``design``); fitted effects
(``uncertain``) are drawn from their posterior instead. Every arm runs at every set on the
same seed (common random numbers), and ``analyse`` says how often each ranking holds and,
where a pair of arms flips, which effect decides it and where: the best one-effect threshold,
and a box of one or two effects found by peeling (PRIM, Friedman & Fisher 1999, as in the EMA
Workbench's scenario discovery).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .discovery import best_split, explanation, prim_box, split_null
from .errors import ExperimentError

# behaviour effects that scale what every strategy's extra orders are worth: the ceiling on any
# lift, trust and what it keeps, what a purchase adds to trust
MARKET_WIDE = ("baseline_brand_share", "trust_effect", "retention_trust_effect", "trust_gain_purchase")
EVIDENCE = ("domain", "published", "practitioner", "assumption", "fitted")
CLOSE_Z = 1.96           # a pair closer than this many noise sds at a set is "too close to call"
MIN_SIDE = 3             # a pair flips when each side wins at least this many sets by more than the noise


@dataclass(frozen=True)
class Effect:
    """One effect drawn by a robust verdict: a dotted scenario key and where its range comes from."""
    key: str
    low: float
    high: float
    basis: str = ""
    source: str = ""
    integer: bool = False
    arms: tuple = ()            # the arms whose scenario has the key
    mean: float | None = None   # fitted effects: drawn from the posterior N(mean, cov)
    sd: float | None = None

    @property
    def name(self) -> str:
        """The key as a reader searches the parameter reference for it."""
        parts = self.key.split(".")
        return parts[-1] if parts[0] == "behavior" else ".".join(parts[1:]) if parts[0] == "policies" else self.key

    @property
    def range_text(self) -> str:
        if self.mean is not None:
            return f"fitted {self.mean:.3g} ± {self.sd:.2g} (sd)"
        return f"{self.low:g} to {self.high:g}"


def _declared(key: str, data: dict):
    from ..keys import declared_param
    return declared_param(key, data)


def _policies_that_differ(arms_data: dict) -> dict:
    """(name, type) -> arms that run it, for the enabled policies not identical in every arm."""
    seen: dict = {}
    for arm, data in arms_data.items():
        for name, cfg in (data.get("policies") or {}).items():
            if isinstance(cfg, dict) and cfg.get("enabled", True):
                seen.setdefault((name, cfg.get("type")), []).append((arm, cfg))
    out = {}
    for (name, kind), having in seen.items():
        same = len(having) == len(arms_data) and all(cfg == having[0][1] for _, cfg in having)
        if not same:
            out[(name, kind)] = tuple(arm for arm, _ in having)
    return out


def effects_for(arms_data: dict, over: dict | None = None, source: str = "robust") -> list[Effect]:
    """The effects the arms act through, each with its plausible range: the market-wide behaviour
    effects, and for every policy the arms differ by, the behaviour effects its type declares
    (``Policy.acts_through``) and its own number parameters that rest on a figure or a judgement.
    ``over`` ({key: {low, high}}) adds keys or narrows ranges. Nested items (a catalogue's gifts,
    festivals) are not drawn."""
    from ..behavior import BEHAVIOR_PARAMS
    from ..policies.base import policy_types
    arms = tuple(arms_data)
    wanted: dict = {}
    for key in MARKET_WIDE:
        wanted[f"behavior.{key}"] = arms
    types = policy_types()
    for (name, kind), having in _policies_that_differ(arms_data).items():
        cls = types.get(kind)
        if cls is None:
            continue
        for key in getattr(cls, "acts_through", ()):
            wanted.setdefault(f"behavior.{key}", arms)
        for key, p in cls.params.items():
            if p.basis in EVIDENCE and p.plausible is not None and p.kind in (int, float):
                wanted.setdefault(f"policies.{name}.{key}", having)
    out = []
    for key, having in wanted.items():
        p = BEHAVIOR_PARAMS.get(key.split(".", 1)[1]) if key.startswith("behavior.") else \
            _declared(key, arms_data[having[0]])
        if p is None or p.plausible is None:
            continue
        out.append(Effect(key, float(p.plausible[0]), float(p.plausible[1]), p.basis, p.source,
                          p.kind is int, having))
    return _with_over(out, over or {}, arms_data, source)


def _with_over(effects: list, over: dict, arms_data: dict, source: str) -> list:
    by_key = {e.key: e for e in effects}
    for key, rng in over.items():
        lo, hi = rng.get("low"), rng.get("high")
        if lo is None or hi is None or not lo < hi:
            raise ExperimentError(source, f"robust.over.{key}", "give low < high")
        having = tuple(a for a, d in arms_data.items() if _declared(key, d) is not None) if arms_data else ()
        p = next((_declared(key, arms_data[a]) for a in having), None)
        if arms_data and not having:
            raise ExperimentError(source, f"robust.over.{key}", "no arm's scenario has this number parameter")
        old = by_key.get(key)
        by_key[key] = Effect(key, float(lo), float(hi), old.basis if old else (p.basis if p else ""),
                             old.source if old else (p.source if p else ""),
                             bool(rng.get("integer")) or bool(p is not None and p.kind is int),
                             having or old.arms if old else having)
    return list(by_key.values())


def with_posterior(effects: list, uncertain) -> list:
    """Fitted effects (``experiment.uncertainty.UncertainParameters``) replace their ranges by
    their posterior; fitted keys the arms do not otherwise act through are added."""
    if uncertain is None:
        return effects
    by_key = {e.key: e for e in effects}
    for j, key in enumerate(uncertain.keys):
        old = by_key.get(key)
        by_key[key] = Effect(key, float(uncertain.low[j]), float(uncertain.high[j]), "fitted",
                             f"fitted: {uncertain.source}", False, old.arms if old else (),
                             float(uncertain.mean[j]), float(np.sqrt(uncertain.cov[j, j])))
    return list(by_key.values())


def design(effects: list, points: int, seed: int, uncertain=None) -> pd.DataFrame:
    """N assumption sets, one row each: a Latin hypercube over the effects' ranges (uniform), fitted
    effects through the normal quantile of their posterior (with its correlations), kept inside
    their bounds. Deterministic in the seed."""
    from scipy.stats import qmc
    if not effects:
        raise ExperimentError("robust", "", "nothing to draw: the arms act through no effect with a plausible "
                              "range (add robust.over: {KEY: {low, high}})")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x0B0B]))
    unit = qmc.LatinHypercube(d=len(effects), rng=rng).random(points)
    out = {}
    fitted = [j for j, e in enumerate(effects) if e.mean is not None]
    if fitted:
        keys = [effects[j].key for j in fitted]
        idx = [list(uncertain.keys).index(k) for k in keys]
        cov = uncertain.cov[np.ix_(idx, idx)]
        vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
        chol = vecs * np.sqrt(np.clip(vals, 0, None))
        z = stats.norm.ppf(np.clip(unit[:, fitted], 1e-9, 1 - 1e-9))
        x = uncertain.mean[idx] + z @ chol.T
        for col, j in enumerate(fitted):
            e = effects[j]
            out[e.key] = np.clip(x[:, col], e.low, e.high)
    for j, e in enumerate(effects):
        if e.mean is None:
            x = e.low + unit[:, j] * (e.high - e.low)
            out[e.key] = np.minimum(np.floor(e.low + unit[:, j] * (e.high - e.low + 1)), e.high) if e.integer else x
    df = pd.DataFrame({e.key: out[e.key] for e in effects})
    for e in effects:
        if e.integer:
            df[e.key] = df[e.key].astype(int)
    df.index.name = "point"
    return df


# -- the analysis -----------------------------------------------------------------------------

@dataclass
class PairVerdict:
    """How often ``first`` beats ``second`` across the assumption sets, and what decides it."""
    first: str
    second: str
    wins: int                   # sets where first beats second
    losses: int                 # sets where second beats first
    close: int                  # sets where the gap is within the noise of one run (either side, ties too)
    points: int
    close_losses: int = 0       # losses within the noise
    ties: int = 0               # sets where the two earn exactly the same (a policy that never acted)
    close_wins: int = 0         # wins within the noise
    rule: dict | None = None    # the best one-effect threshold (when the pair flips)
    runner_rule: dict | None = None
    box: dict | None = None     # PRIM box of the sets where the minority side wins

    @property
    def share(self) -> float:
        return self.wins / self.points if self.points else float("nan")

    @property
    def clear_wins(self) -> int:
        return self.wins - self.close_wins

    @property
    def clear_losses(self) -> int:
        return self.losses - self.close_losses

    @property
    def flips(self) -> bool:
        """Each side wins at least MIN_SIDE sets (or a tenth of them, if fewer) by more than the noise."""
        need = min(MIN_SIDE, max(1, self.points // 10))
        return self.clear_wins >= need and self.clear_losses >= need


@dataclass
class RobustVerdict:
    outcome: str
    sign: float
    arms: list
    points: int
    replications: int
    effects: list                       # [Effect]
    rankings: pd.DataFrame              # ranking, sets, share
    pairs: list                         # [PairVerdict], the headline pair first
    table: pd.DataFrame                 # per effect: what it decides for the headline pair
    means: pd.DataFrame                 # point x arm: the outcome's mean at each set
    design: pd.DataFrame                # point x effect key
    noise_sd: float = float("nan")      # sd of one run's paired difference (headline pair)
    ranking: tuple = ()                 # the ranking the verdict is about (best first)
    focus: tuple = ()                   # the pair ``table`` is about: the first that flips, else the top two

    def holds(self) -> float:
        """Share of the assumption sets at which ``ranking`` holds."""
        hit = self.rankings.loc[self.rankings["ranking"] == " > ".join(self.ranking), "sets"]
        return float(hit.sum()) / self.points if self.points else float("nan")

    def text(self) -> str:
        from ..report.rests_on import verdict_text
        return verdict_text(self)

    def __str__(self) -> str:
        return self.text()


def _point_means(runs: pd.DataFrame, outcome: str, arms: list) -> pd.DataFrame:
    g = runs[runs["arm"].isin(arms)].groupby(["point", "arm"])[outcome].mean().unstack("arm")
    return g[[a for a in arms if a in g.columns]].sort_index()


def defaults(spec) -> dict:
    """The robust verdict's settings when the experiment file declares none (``robust=N`` from
    Python, ``--robust N``): every arm, the first outcome, nothing added."""
    return {"points": 64, "replications": 1, "outcome": spec.outcomes[0].name, "arms": list(spec.arms), "over": {}}


def effects_of(exp) -> list:
    """The effects an experiment's robust verdict draws."""
    return effects_from(exp.spec, exp.arms_data(), exp.uncertain)


def effects_from(spec, arms_data: dict, uncertain=None) -> list:
    """The effects a robust verdict draws: those its arms act through (``effects_for``), with
    ``robust.over`` applied and fitted effects drawn from their posterior; for a model function,
    the ranges ``robust.over`` declares."""
    rb = spec.robust or defaults(spec)
    if spec.custom_model:
        effects = [Effect(**{**e.__dict__, "arms": tuple(spec.arms)})
                   for e in _with_over([], rb.get("over", {}), {}, spec.source)]
    else:
        effects = effects_for({a: arms_data[a] for a in rb["arms"]}, rb.get("over", {}), spec.source)
    return with_posterior(effects, uncertain)


@dataclass
class RobustResult:
    design: pd.DataFrame       # one row per assumption set: the effects drawn
    runs: pd.DataFrame         # arm x set x replication, with param:KEY columns
    effects: list              # [Effect]: what was drawn, over which range
    verdict: "RobustVerdict"

    def text(self) -> str:
        return self.verdict.text()

    def __str__(self):
        return self.text()


def run(exp, points: int | None = None, replications: int | None = None, ranking: tuple | None = None) -> RobustResult:
    """Run an experiment's robust stage (``Experiment.robust``): every arm at every set, ``replications``
    runs each on a seed per set and replication that the arms share; stored like every stage."""
    from .runner import Run
    spec = exp.spec
    if spec.robust is None:
        spec.robust = defaults(spec)
    rb = spec.robust
    points = rb["points"] if points is None else int(points)
    reps = rb["replications"] if replications is None else int(replications)
    effects = effects_of(exp)
    table = design(effects, points, spec.seed, exp.uncertain)
    runs = []
    for p, row in table.iterrows():
        for r in range(reps):
            seed = exp._seed(int(p) * reps + r)
            for arm in rb["arms"]:
                ov = {e.key: _plain(row[e.key]) for e in effects if arm in e.arms}
                runs.append(Run("robust", arm, int(p), r, seed, ov))
    df = exp._execute("robust", runs)
    exp.store.write_table("robust_runs", df)
    exp.store.write_table("robust_design", table.reset_index())
    outcome = spec.outcome(rb["outcome"])
    noise = exp.store.summary_frame("compare") if exp.out else None
    verdict = analyse(df, effects, outcome.key, outcome.sign, rb["arms"], ranking, noise)
    return RobustResult(table, df, effects, verdict)


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _pair_noise(runs: pd.DataFrame, outcome: str, a: str, b: str, reps: int, noise_runs) -> float:
    """sd of one run's paired difference a - b: within the sets when they have 2+ runs, else from
    the comparison's replications at the default assumptions, else nan."""
    from .compare import paired
    if reps >= 2:
        d = paired(runs, outcome, a, b)
        by_point = d.groupby(level="point")
        within = by_point.var(ddof=1).dropna()
        if len(within):
            return float(np.sqrt(within.mean()))
    if noise_runs is not None and len(noise_runs) and outcome in noise_runs.columns \
            and {a, b} <= set(noise_runs["arm"]):
        d = paired(noise_runs, outcome, a, b)
        if len(d) >= 2:
            return float(np.std(d, ddof=1))
    return float("nan")


def analyse(runs: pd.DataFrame, effects: list, outcome: str, sign: float = 1.0, arms: list | None = None,
            ranking: tuple | None = None, noise_runs: pd.DataFrame | None = None) -> RobustVerdict:
    """The robust verdict from the runs of the robust stage (one row per arm x set x replication,
    with ``param:KEY`` columns). ``ranking`` (best first) is the ranking the verdict is about, by
    default the ranking of the means across the sets; its first two arms are the headline pair.
    ``noise_runs``: the comparison's replications, for the noise of one run when each set ran once."""
    arms = list(arms or dict.fromkeys(runs["arm"]))
    means = _point_means(runs, outcome, arms)
    means = means.dropna()
    arms = [a for a in arms if a in means.columns]
    n = len(means)
    reps = int(runs["replication"].nunique()) if len(runs) else 0
    design = _design_from_runs(runs, effects).reindex(means.index)
    counts = pd.Series([_ranking_text(arms, sign * row) for row in means.to_numpy()]).value_counts()
    rankings = pd.DataFrame({"ranking": counts.index, "sets": counts.to_numpy(),
                             "share": counts.to_numpy() / max(n, 1)})
    if ranking is None:
        ranking = tuple(np.array(arms)[np.argsort(-sign * means.mean().to_numpy(), kind="stable")])
    pairs = []
    X = design.to_numpy(float)
    keys = list(design.columns)
    head_noise = float("nan")
    for i, a in enumerate(ranking):
        for b in ranking[i + 1:]:
            d = sign * (means[a] - means[b]).to_numpy(float)
            noise = _pair_noise(runs, outcome, a, b, reps, noise_runs) / np.sqrt(max(reps, 1))
            if not pairs:
                head_noise = noise * np.sqrt(max(reps, 1))
            near = np.abs(d) < CLOSE_Z * noise if np.isfinite(noise) else np.zeros(n, bool)
            pv = PairVerdict(a, b, int((d > 0).sum()), int((d < 0).sum()), int(near.sum()), n,
                             close_losses=int((near & (d < 0)).sum()), ties=int((d == 0).sum()),
                             close_wins=int((near & (d > 0)).sum()))
            if pv.flips and X.size:
                win = d > 0
                null = split_null(win)
                splits = []
                for j, key in enumerate(keys):
                    s = best_split(X[:, j], win, d)
                    if s is not None:
                        # a threshold is named only when a shuffled outcome rarely sorts as well
                        # (Bonferroni over the effects drawn)
                        p = (1 + int((null >= s["accuracy"] - 1e-12).sum())) / (len(null) + 1)
                        splits.append({**s, "key": key, "p": p, "significant": p < 0.05 / len(keys)})
                splits.sort(key=lambda s: -s["correct"])
                if splits:
                    pv.rule = splits[0]
                    pv.runner_rule = splits[1] if len(splits) > 1 else None
                minority = ~win if win.mean() >= 0.5 else win
                pv.box = prim_box(X, minority, keys)
                if pv.box is not None:
                    pv.box["winner"] = b if win.mean() >= 0.5 else a
            pairs.append(pv)
    # the pair the section is about: the first that flips (in the ranking's order), else the top two
    focus = next((p for p in pairs if p.flips), pairs[0] if pairs else None)
    table = _effects_table(effects, X, keys, means, sign, focus)
    return RobustVerdict(outcome, sign, arms, n, reps, effects, rankings, pairs, table, means, design,
                         head_noise, tuple(ranking), focus=(focus.first, focus.second) if focus else ())


def _ranking_text(arms: list, score: np.ndarray) -> str:
    """'a > b = c': arms by score, best first, '=' where two earn exactly the same."""
    order = np.argsort(-score, kind="stable")
    text = arms[order[0]]
    for prev, k in zip(order[:-1], order[1:]):
        text += (" = " if score[k] == score[prev] else " > ") + arms[k]
    return text


def _design_from_runs(runs: pd.DataFrame, effects: list) -> pd.DataFrame:
    """The value of every effect at every set, read back from the runs (each arm's run holds the
    keys its scenario has)."""
    cols = {}
    for e in effects:
        c = f"param:{e.key}"
        if c in runs.columns:
            cols[e.key] = runs.groupby("point")[c].first()
    return pd.DataFrame(cols)


def _effects_table(effects, X, keys, means, sign, head: PairVerdict | None) -> pd.DataFrame:
    """Per effect, for the pair ``head``: the share of its margin across the sets the effect alone
    explains, and when the pair flips, the share of the flips its best threshold sorts."""
    rows = []
    d = sign * (means[head.first] - means[head.second]).to_numpy(float) if head is not None else None
    null = split_null(d > 0) if head is not None and head.flips else None
    for e in effects:
        row = {"key": e.key, "effect": e.name, "basis": e.basis, "range": e.range_text, "source": e.source,
               "explains": float("nan"), "significant": False, "sorts": float("nan"), "sorts_significant": False,
               "threshold": float("nan")}
        if e.key in keys and d is not None:
            x = X[:, keys.index(e.key)]
            row["explains"], p = explanation(x, d)
            # Bonferroni over the effects drawn: a share is read only when chance is unlikely to give it
            row["significant"] = bool(p < 0.05 / max(len(effects), 1))
            if null is not None:
                s = best_split(x, d > 0, d)
                if s is not None:
                    base = max(head.wins, head.losses) / head.points
                    row["sorts"] = max(0.0, (s["accuracy"] - base) / (1 - base)) if base < 1 else 0.0
                    row["threshold"] = s["threshold"]
                    p = (1 + int((null >= s["accuracy"] - 1e-12).sum())) / (len(null) + 1)
                    row["sorts_significant"] = bool(p < 0.05 / max(len(effects), 1))
        rows.append(row)
    t = pd.DataFrame(rows)
    if len(t):
        t["rank"] = np.where(t["significant"], t["explains"], -1.0)
        t["rank_sorts"] = np.where(t["sorts_significant"], t["sorts"], -1.0)
        t = t.sort_values(["rank_sorts", "rank"], ascending=False, kind="stable").drop(columns=["rank", "rank_sorts"])
    return t.reset_index(drop=True)
