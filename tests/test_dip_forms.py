"""The dip after a promotion in two forms a test at one depth cannot tell apart (issue 16):
``--fit promotion`` fits both, weighs them by their fit, writes them beside the fragment, and a
comparison's parameter draws come from both by weight; the verdict says so."""

import numpy as np
import pandas as pd
import pytest
import yaml

import simlib
import simlib.calibrate.uplift as uplift
from simlib.calibrate.uplift.fit import Target
from simlib.calibrate.uplift.result import UpliftFit, weigh_forms
from simlib.experiment.uncertainty import extrapolation_sentence, load_uncertain
from simlib.promotion import DIP_FORMS, FORM_KEYS

DEPTH, BUYERS = DIP_FORMS


def _form_fit(form, estimates, se, objective, moments=8):
    targets = [Target(k, 0.0, 40.0 if k.endswith("discount_effect") else 1.0, 1.0, "", "") for k in form.parts]
    weeks = pd.DataFrame({"campaign": "test", "arm": "coupon", "outcome": "orders", "period": range(moments),
                          "periods": moments, "observed": 0.1, "fitted": 0.1, "std_error": 0.05, "z": 0.0})
    fit = UpliftFit([], targets, np.array(estimates, float), np.diag(np.square(se)), objective, weeks,
                    pd.DataFrame(columns=["campaign", "outcome", "data", "simulated", "z"]), 10, True, 0, 1)
    fit.form = form
    return fit


def test_the_forms_fit_or_hold_the_same_keys_and_differ_in_how_the_dip_scales():
    for form in DIP_FORMS:
        assert set(form.parts) | {k for k, _ in form.fixed} == set(FORM_KEYS)
        assert not set(form.parts) & {k for k, _ in form.fixed}
    assert "behavior.stockpile_share" in BUYERS.parts and dict(DEPTH.fixed)["behavior.stockpile_share"] == 0
    assert dict(BUYERS.fixed) == {"behavior.acceleration_share": 0.0, "behavior.reference_price_adaptation": 0.0}


def test_forms_are_weighed_by_fit_with_a_penalty_for_each_effect_fitted():
    a = _form_fit(DEPTH, [10, 0.3, 0.1], [1, 0.1, 0.05], objective=4.0)     # score 4 + 2 x 3 = 10
    b = _form_fit(BUYERS, [11, 0.4], [1, 0.1], objective=5.0)              # score 5 + 2 x 2 = 9
    best = weigh_forms([a, b])
    assert best is b
    weights = dict((f.form.name, w) for f, w in best.forms)
    assert weights[BUYERS.name] / weights[DEPTH.name] == pytest.approx(np.exp(0.5))
    assert sum(weights.values()) == pytest.approx(1.0)
    assert a.forms == b.forms                                              # each form knows the others
    worse = _form_fit(BUYERS, [11, 0.4], [1, 0.1], objective=30.0)
    assert weigh_forms([a, worse]) is a


def test_the_fragment_holds_the_form_and_the_covariance_file_every_form(tmp_path):
    a = _form_fit(DEPTH, [10, 0.3, 0.1], [1, 0.1, 0.05], objective=4.0)
    b = _form_fit(BUYERS, [11, 0.4], [1, 0.1], objective=5.0)
    best = weigh_forms([a, b])
    best.write(tmp_path)
    fragment = yaml.safe_load((tmp_path / "fitted_uplift.yaml").read_text())
    assert fragment["behavior"] == {"acceleration_share": 0.0, "reference_price_adaptation": 0.0,
                                    "discount_effect": 11.0, "stockpile_share": 0.4}
    doc = yaml.safe_load((tmp_path / "fitted_uplift_covariance.yaml").read_text())
    assert doc["form"] == BUYERS.name
    assert [f["name"] for f in doc["forms"]] == [DEPTH.name, BUYERS.name]
    assert "forms of the dip" in best.describe().lower()

    unc = load_uncertain(str(tmp_path / "fitted_uplift.yaml"))
    assert set(unc.keys) == set(FORM_KEYS)
    draws = unc.draws(seed=5, count=400)
    col = {k: draws[:, j] for j, k in enumerate(unc.keys)}
    from_buyers = col["behavior.acceleration_share"] == 0.0
    w_buyers = dict((f.form.name, w) for f, w in best.forms)[BUYERS.name]
    assert from_buyers.mean() == pytest.approx(w_buyers, abs=0.01)        # balanced picks, by weight
    assert np.all(col["behavior.reference_price_adaptation"][from_buyers] == 0.0)
    assert np.all(col["behavior.stockpile_share"][~from_buyers] == 0.0)   # the other form holds stockpiling at 0
    assert col["behavior.stockpile_share"][from_buyers].mean() == pytest.approx(0.4, abs=0.02)
    assert col["behavior.discount_effect"][from_buyers].mean() == pytest.approx(11, abs=0.2)
    assert col["behavior.discount_effect"][~from_buyers].mean() == pytest.approx(10, abs=0.3)
    assert np.array_equal(unc.draws(seed=5, count=400), draws)             # keyed by the seed
    assert set(np.unique(from_buyers[:4])) == {False, True}                # a handful of draws holds both
    # the mixture's moments: its mean between the forms', its spread wider than either's
    j = unc.keys.index("behavior.discount_effect")
    assert unc.mean[j] == pytest.approx(w_buyers * 11 + (1 - w_buyers) * 10)
    assert unc.std_errors[j] > 1.0

    # a comparison stores the declaration and draws the same again from the stored copy
    again = load_uncertain(unc.to_plain())
    assert np.allclose(again.draws(seed=5, count=50), unc.draws(seed=5, count=50))


def test_the_verdict_names_the_forms_when_it_extrapolates(tmp_path):
    best = weigh_forms([_form_fit(DEPTH, [10, 0.3, 0.1], [1, 0.1, 0.05], 4.0),
                        _form_fit(BUYERS, [11, 0.4], [1, 0.1], 5.0)])
    best.write(tmp_path)
    doc = tmp_path / "fitted_uplift_covariance.yaml"
    text = doc.read_text().replace("measured_on:\n  share_off: []", "measured_on:\n  share_off: [0.1]")
    doc.write_text(text)
    unc = load_uncertain(str(doc))
    assert load_uncertain(unc.to_plain()).measured_share_off == (0.1,)     # a comparison's stored copy keeps it
    twenty = {"policies": {"c": {"type": "percentage_coupon", "off_share": 0.2, "enabled": True}}}
    said = extrapolation_sentence(unc, twenty)
    assert DEPTH.name in said and BUYERS.name in said and "interval carries" in said
    assert "does not widen" not in said

    class Zh:
        zh = True
    assert DEPTH.name_zh in extrapolation_sentence(unc, twenty, Zh())


@pytest.mark.parametrize("change, key", [
    (lambda f: f[0].update(weight=-1), "forms[0].weight"),
    (lambda f: f[1]["fixed"].pop("behavior.acceleration_share"), "forms[1]"),
    (lambda f: f[0]["fixed"].update({"behavior.discount_effect": 3}), "forms[0].fixed.behavior.discount_effect"),
    (lambda f: f.extend([dict(f[0]) for _ in range(10)]), "forms"),
    (lambda f: f[0].update(run="import os"), "forms[0].run"),
])
def test_a_broken_forms_list_is_refused_with_its_key(tmp_path, change, key):
    best = weigh_forms([_form_fit(DEPTH, [10, 0.3, 0.1], [1, 0.1, 0.05], 4.0),
                        _form_fit(BUYERS, [11, 0.4], [1, 0.1], 5.0)])
    best.write(tmp_path)
    path = tmp_path / "fitted_uplift_covariance.yaml"
    doc = yaml.safe_load(path.read_text())
    change(doc["forms"])
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(simlib.UserError, match=key.replace("[", r"\[").replace("]", r"\]")):
        load_uncertain(str(path))


def test_fit_promotion_fits_each_form_unless_a_part_is_named(monkeypatch):
    seen = []

    def fake(campaigns, keys, seed, replications, max_iter, notes, progress, form=None):
        seen.append((tuple(keys), form))
        fit = _form_fit(form or DEPTH, [10, 0.3, 0.1][:len((form or DEPTH).parts)],
                        [1] * len((form or DEPTH).parts), 4.0 if form is not BUYERS else 9.0)
        return fit

    monkeypatch.setattr(uplift, "_fit_form", fake)
    monkeypatch.setattr("simlib.keys.canonical_key", lambda k, datas: k)
    best = uplift._fit_campaigns([], ["promotion"], 0, 1, 3)
    assert [form for _, form in seen] == list(DIP_FORMS) and len(best.forms) == 2 and best.form is DEPTH
    seen.clear()
    uplift._fit_campaigns([], ["promotion", "behavior.stockpile_share"], 0, 1, 3)
    assert seen == [(("promotion", "behavior.stockpile_share"), None)]      # exactly what is named
    seen.clear()
    uplift._fit_campaigns([], ["behavior.discount_effect"], 0, 1, 3)
    assert seen == [(("behavior.discount_effect",), None)]
