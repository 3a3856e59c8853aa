"""Effect sizes from a team's past campaigns with a control group (issue 10, part 2).

    fit = simlib.calibrate_uplift("coupon_test.csv", "campaign.yaml", fit=["behavior.discount_effect"],
                                  arms={"coupon": "campaign_coupon.yaml"})
    print(fit.describe()); fit.write("calibration/")

Several campaigns are fitted jointly: pass a list of campaigns, each a mapping with
``results``, ``scenario`` and optionally ``arms``, ``control``, ``population``, ``users``,
``days``, ``name`` (or a campaigns YAML file: ``read_campaigns_file``). The moments, the
estimator and the test are described in ``fit.py`` and docs/calibration.md.
"""

from __future__ import annotations

from pathlib import Path

from simlib.calibrate._errors import user_error
from simlib.calibrate.uplift.campaign import POPULATIONS, Campaign, build_campaign, simulate
from simlib.calibrate.uplift.data import CampaignData, read_campaign
from simlib.calibrate.uplift.fit import Problem, Target, fit as _fit, targets_for
from simlib.calibrate.uplift.result import UpliftFit, assemble, covariance_path, weigh_forms

__all__ = ["POPULATIONS", "Campaign", "CampaignData", "Problem", "Target", "UpliftFit", "build_campaign",
           "calibrate_uplift", "covariance_path", "read_campaign", "read_campaigns_file", "simulate",
           "targets_for"]

CAMPAIGN_KEYS = ("results", "scenario", "arms", "control", "population", "users", "days", "window_start", "name")
MAX_CAMPAIGNS = 20
MAX_REPLICATIONS = 50


def calibrate_uplift(results=None, scenario=None, fit=None, *, arms: dict | None = None,
                     control: str | None = None, population: str | None = None, users: int | None = None,
                     days: int | None = None, window_start: int = 0, seed: int = 0, replications: int = 1,
                     max_iter: int = 12, log=None, assignment=None, window_days: int | None = None,
                     send_date=None, pre_days: int | None = None, columns: dict | None = None,
                     twin_out=None, twin_options: dict | None = None, progress=None) -> UpliftFit:
    """Fit the effect sizes ``fit`` (dotted keys) to one campaign (``results`` a CSV path and
    ``scenario`` what ran) or to several (``results`` a list of campaign mappings, see the module
    docstring). ``arms`` maps treated arms of the data to the scenarios they ran; without it
    the scenario's journey with a holdout defines the arms. ``fit`` defaults to
    ``behavior.discount_effect``.

    From the order log itself (``from_log.py``): ``log`` (the orders CSV; ``columns`` its column
    names), ``assignment`` (customer_id, arm), ``arms`` {treated arm: offer file} and
    ``window_days``; the market is the log's twin on the send date (``send_date``, else the
    offers' on_date) unless ``scenario`` gives it, written to ``twin_out`` (default: a temporary
    folder kept while the result lives) and built with ``twin_options`` (``simlib.twin``'s keyword
    arguments: process, new_buyers, gross_margin, ...); ``fit`` defaults to what the offers act through.
    ``progress`` (a callable taking a line) hears what it is doing, for a person watching."""
    if isinstance(replications, bool) or not isinstance(replications, int) or not 1 <= replications <= MAX_REPLICATIONS:
        raise user_error(f"replications {replications!r}: allowed: a whole number from 1 to {MAX_REPLICATIONS}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise user_error(f"seed {seed!r}: allowed: a whole number >= 0")
    if log is not None or assignment is not None:
        return _from_log(log, assignment, arms, window_days, fit, scenario=scenario, send_date=send_date,
                         control=control, pre_days=pre_days, columns=columns, seed=seed, replications=replications,
                         max_iter=max_iter, results=results, population=population, twin_out=twin_out,
                         twin_options=twin_options, progress=progress)
    fit = ("behavior.discount_effect",) if fit is None else fit
    if isinstance(results, (str, Path)):
        if scenario is None:
            raise user_error(f"{results}: say what ran with a scenario (--scenario)")
        specs = [{"results": results, "scenario": scenario, "arms": arms, "control": control,
                  "population": population, "users": users, "days": days, "window_start": window_start}]
    else:
        specs = list(results)
        if not specs:
            raise user_error("no campaign to fit")
    if len(specs) > MAX_CAMPAIGNS:
        raise user_error(f"{len(specs)} campaigns; at most {MAX_CAMPAIGNS} are fitted jointly")
    campaigns = []
    for i, spec in enumerate(specs):
        unknown = [k for k in spec if k not in CAMPAIGN_KEYS]
        if unknown:
            raise user_error(f"campaign {i + 1}: unknown key {unknown[0]!r}; allowed: {', '.join(CAMPAIGN_KEYS)}")
        if spec.get("results") is None or spec.get("scenario") is None:
            raise user_error(f"campaign {i + 1}: needs results (a CSV) and scenario (what ran)")
        data = read_campaign(spec["results"], spec.get("control"))
        name = spec.get("name") or Path(str(spec["results"])).stem
        campaigns.append(build_campaign(data, spec["scenario"], spec.get("arms"), spec.get("population"),
                                        spec.get("users"), spec.get("days"), name=name,
                                        window_start=spec.get("window_start") or 0))
    return _fit_campaigns(campaigns, fit, seed, replications, max_iter, progress=progress)


def _fit_campaigns(campaigns, fit, seed, replications, max_iter, notes=(), progress=None) -> UpliftFit:
    """Fit ``fit``; ``promotion`` with no part of it named beside is fitted in each of its forms
    (``simlib.promotion.DIP_FORMS``) and the forms weighed by their fit (``result.weigh_forms``)."""
    from simlib.promotion import DIP_FORMS, FORM_KEYS
    from simlib.keys import canonical_key
    keys = [fit] if isinstance(fit, str) else list(fit)
    datas = [s.data for c in campaigns for s in c.scenarios()]
    named = {canonical_key(k, datas) for k in keys if k != "promotion"}
    if "promotion" not in keys or named & set(FORM_KEYS):
        return _fit_form(campaigns, keys, seed, replications, max_iter, notes, progress)
    fits = []
    for form in DIP_FORMS:
        if progress is not None:
            progress(f"form '{form.name}' ({form.says})")
        fits.append(_fit_form(campaigns, keys, seed, replications, max_iter, notes, progress, form))
    return weigh_forms(fits)


def _fit_form(campaigns, keys, seed, replications, max_iter, notes, progress, form=None) -> UpliftFit:
    targets = targets_for(campaigns, keys, None if form is None else form.parts)
    if progress is not None:
        progress(f"fitting {', '.join(t.key for t in targets)}: each engine evaluation runs every arm")
    fixed = {} if form is None else dict(form.fixed)
    problem = Problem(campaigns, targets, seed=seed, replications=replications, progress=progress, fixed=fixed)
    outcome = _fit(problem, max_iter=max_iter)
    notes = list(notes) + [f"{c.name}: {n}" for c in campaigns for n in c.data.notes]
    for c in campaigns:
        informed = [t.key for t in targets if any(_declares(s, t.key) for s in c.scenarios())]
        if not informed:
            notes.append(f"{c.name}: none of the fitted effects is declared by its scenarios; it only adds "
                         "moments to the test")
    result = assemble(campaigns, targets, outcome, problem.evaluations, seed, replications, notes)
    result.form = form
    for key in result.at_bound():
        result.notes.append(f"{key} ended at the edge of its range: the campaigns do not pin it down "
                            "(its interval is not valid); fix it or add a campaign that moves it")
    return result


def _from_log(log, assignment, arms, window_days, fit, *, scenario, send_date, control, pre_days, columns, seed,
              replications, max_iter, results, population, twin_out, twin_options, progress) -> UpliftFit:
    """A campaign read from the order log and its assignment (``from_log.py``), fitted."""
    from simlib.calibrate.uplift.from_log import build_log_campaign, default_fit
    if results is not None:
        raise user_error("give a results file or --log with --assignment, not both: with a log the outcomes are "
                         "computed from the orders")
    if log is None or assignment is None:
        raise user_error("a campaign read from a log needs both --log (the orders) and --assignment (customer_id, "
                         "arm)")
    if population is not None:
        raise user_error("--population: with --assignment the customers in the test are the assignment's")
    if window_days is None:
        raise user_error("--window-days: say how many days from the send date the campaign's outcomes are "
                         "counted (e.g. 49)")
    if isinstance(window_days, bool) or not isinstance(window_days, int):
        raise user_error(f"--window-days {window_days!r}: allowed: a whole number of days")
    kept = None
    if twin_out is None:   # the twin's files live as long as the result
        import tempfile
        kept = tempfile.TemporaryDirectory(prefix="simlib-twin-")
        twin_out = kept.name
    campaign, outcomes, offers = build_log_campaign(log, assignment, arms or {}, window_days, send_date=send_date,
                                                    scenario=scenario, control=control, pre_days=pre_days,
                                                    columns=columns, work_folder=twin_out,
                                                    twin_options=twin_options, progress=progress)
    keys = default_fit(offers) if fit is None else fit
    result = _fit_campaigns([campaign], keys, seed, replications, max_iter, progress=progress)
    result.log_outcomes = outcomes
    result.twin_folder = kept
    return result


def _declares(scenario, key) -> bool:
    from simlib.keys import declared_param
    if not key.startswith("policies."):
        return True
    return declared_param(key, scenario.data) is not None


def read_campaigns_file(path) -> list[dict]:
    """A YAML file listing campaigns (``campaigns: [{results, scenario, arms, ...}, ...]``);
    paths are relative to the file."""
    from simlib.safe_yaml import read_yaml_file
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise user_error(f"{source}: no such file")
    doc = read_yaml_file(path, source)
    if not isinstance(doc, dict) or set(doc) != {"campaigns"} or not isinstance(doc["campaigns"], list):
        raise user_error(f"{source}: expected `campaigns:` with a list of campaigns, each a mapping with keys "
                         + ", ".join(CAMPAIGN_KEYS))
    out = []
    base = path.parent
    for i, item in enumerate(doc["campaigns"][:MAX_CAMPAIGNS + 1]):
        where = f"{source}: campaigns[{i}]"
        if not isinstance(item, dict):
            raise user_error(f"{where}: expected a mapping with keys {', '.join(CAMPAIGN_KEYS)}")
        unknown = [k for k in item if k not in CAMPAIGN_KEYS]
        if unknown:
            raise user_error(f"{where}.{unknown[0]}: unknown key; allowed: {', '.join(CAMPAIGN_KEYS)}")
        for key in ("results", "scenario"):
            if not isinstance(item.get(key), str):
                raise user_error(f"{where}.{key}: missing or not a file name")
        arms = item.get("arms") or {}
        if not isinstance(arms, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in arms.items()):
            raise user_error(f"{where}.arms: expected ARM: SCENARIO_FILE pairs")
        for key, kind in (("control", str), ("population", str), ("users", int), ("days", int),
                          ("window_start", int), ("name", str)):
            if item.get(key) is not None and (not isinstance(item[key], kind) or isinstance(item[key], bool)):
                raise user_error(f"{where}.{key}: expected {'a whole number' if kind is int else 'text'}")
        spec = dict(item)
        spec["results"] = str(base / item["results"])
        spec["scenario"] = _relative(base, item["scenario"])
        spec["arms"] = {a: _relative(base, s) for a, s in arms.items()} or None
        out.append(spec)
    return out


def _relative(base: Path, ref: str) -> str:
    candidate = base / ref
    return str(candidate) if candidate.exists() else ref   # else a built-in scenario name
