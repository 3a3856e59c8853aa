"""Report sections for the analyses an experiment file may add: sensitivity, the flip point of a
one-parameter sweep, a response surface and the best lever settings (English, wide charts that
scale to the screen)."""

from __future__ import annotations

import html

from .units import metric_name, nice_number, param_label


def analyses(decision, words, figure) -> str:
    """Sensitivity and sweep sections, when the experiment ran them."""
    from ..experiment import plots as pe
    inputs, out = decision.inputs, []
    scenario = inputs.scenarios.get(decision.best or decision.reference)
    sens = inputs.sensitivity
    if sens is not None and len(sens):
        out.append("<h2>What the answer depends on</h2>")
        outcome = decision.outcome or inputs.outcomes[0].name
        arms = sorted(set(sens["arm"]))
        differences = [a for a in arms if " - " in a]   # what the decision turns on, when analysed
        for arm in differences or arms:
            if outcome in set(sens.loc[sens["arm"] == arm, "outcome"]):
                out.append(figure(lambda narrow, arm=arm: pe.sensitivity_bars(sens, outcome, arm=arm,
                                                                               scenario=scenario),
                                  f"Share of the variance of {metric_name(outcome).lower()} ({arm}) each "
                                  "setting explains, alone (first order) and with its interactions (total).",
                                  narrow_too=False))
    if decision.flip is not None:
        param, d, arm = decision.flip
        out.append("<h2>Where the answer flips</h2>")
        out.append(figure(lambda narrow: pe.difference_plot(d, param, decision.outcome,
                                                            f"{arm} - {decision.reference}", scenario=scenario,
                                                            labels=inputs.labels),
                          f"Paired difference {arm} minus {decision.reference} along "
                          f"{param_label(param, scenario, inputs.labels)}, with its interval.", narrow_too=False))
    elif inputs.sweep_runs is not None and len(inputs.sweep_runs):
        params = [c for c in inputs.sweep_runs.columns if c.startswith("param:")][:2]
        key = inputs.outcomes[0].key
        if params and key in inputs.sweep_runs.columns:
            out.append("<h2>Across the design</h2>")
            out.append(figure(lambda narrow: pe.response_surface(inputs.sweep_runs, params, key, scenario=scenario,
                                                                 labels=inputs.labels),
                              f"Mean {metric_name(key).lower()} over the sweep.", narrow_too=False))
    opt = inputs.optimize
    if opt is not None and len(opt) and inputs.lever_keys:
        out.append("<h2>Best lever settings found</h2>")
        out.append(_optimum_table(opt, inputs.lever_keys, scenario, inputs.labels))
    return "\n".join(out)


def _optimum_table(opt, levers, scenario, labels=None) -> str:
    shown = opt[opt["feasible"]].head(5) if "feasible" in opt.columns else opt.head(5)
    head = "".join(f"<th>{html.escape(param_label(k, scenario, labels))}</th>" for k in levers)
    rows = [f"<div class=\"scroll\"><table><tr>{head}<th>robust score</th></tr>"]
    for _, r in shown.iterrows():
        cells = "".join(f"<td class=\"num\">{nice_number(r[k])}</td>" for k in levers if k in r)
        rows.append(f"<tr>{cells}<td class=\"num\">{r['objective']:,.0f}</td></tr>")
    rows.append("</table></div>")
    return "\n".join(rows)
