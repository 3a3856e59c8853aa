"""calibrate uplift fits the promotion response in parts: ``--fit promotion``, a statement when two
parts cannot be told apart, and the depths the effects were measured at, which a comparison at
another depth names as an extrapolation."""

import numpy as np
import pandas as pd
import pytest

import simlib
from simlib.calibrate.uplift.fit import Target, expand_fit_keys
from simlib.calibrate.uplift.result import UpliftFit
from simlib.experiment.uncertainty import extrapolation_sentence, load_uncertain
from simlib.promotion import FITTED_PARTS, share_offs


def test_fit_promotion_names_the_parts_of_the_response():
    assert expand_fit_keys(["promotion"]) == list(FITTED_PARTS)
    assert expand_fit_keys(["behavior.chat_effect", "promotion", "behavior.discount_effect"]) == \
        ["behavior.chat_effect", *FITTED_PARTS]
    assert {"behavior.discount_effect", "behavior.acceleration_share"} <= set(FITTED_PARTS)


def _fit(cov, keys=("behavior.discount_effect", "behavior.acceleration_share")):
    targets = [Target(k, 0.0, 20.0, 1.0, "", "") for k in keys]
    return UpliftFit([], targets, np.ones(len(keys)), np.asarray(cov, float), 1.0, pd.DataFrame(), pd.DataFrame(),
                     10, True, 0, 1)


def test_two_parts_the_data_cannot_separate_are_named():
    tangled = _fit([[1.0, -0.95], [-0.95, 1.0]])
    assert tangled.inseparable() == [("behavior.discount_effect", "behavior.acceleration_share", pytest.approx(-0.95))]
    assert any("cannot separate behavior.discount_effect and behavior.acceleration_share" in n for n in tangled.notes)
    apart = _fit([[1.0, 0.3], [0.3, 4.0]])
    assert apart.inseparable() == [] and not apart.notes
    assert apart.correlation()[0, 1] == pytest.approx(0.15)


def test_share_offs_reads_every_price_cut_a_scenario_offers():
    assert share_offs(simlib.load_scenario("coupon_ladder").data["policies"]) == [0.05, 0.15, 0.42, 0.57, 0.72]
    assert share_offs(simlib.load_scenario("pond").data["policies"]) == []
    tiers = simlib.scenario_from_dict({"extends": "pond", "policies": {"t": {"type": "member_tiers"},
                                                                       "off": {"type": "member_tiers", "enabled": False,
                                                                               "tiers": [{"name": "x", "discount_share": 0.5}]}}})
    assert share_offs(tiers.data["policies"]) == [0.03, 0.05]          # a disabled policy offers nothing


def test_a_comparison_at_another_depth_says_it_extrapolates(tmp_path):
    doc = tmp_path / "fitted_uplift_covariance.yaml"
    doc.write_text("parameters:\n  behavior.discount_effect: {estimate: 7.5, std_error: 1.2, low: 0, high: 40}\n"
                   "covariance: [[1.44]]\nmeasured_on: {share_off: [0.1]}\ncorrelation: [[1.0]]\n")
    unc = load_uncertain(str(doc))
    assert unc.measured_share_off == (0.1,)
    twenty = {"policies": {"c": {"type": "percentage_coupon", "off_share": 0.2, "enabled": True}}}
    ten = {"policies": {"c": {"type": "percentage_coupon", "off_share": 0.1, "enabled": True}}}
    assert "measured at 10% off; this arm offers 20% off: an extrapolation in depth" in extrapolation_sentence(unc, twenty)
    assert "extrapolation" not in extrapolation_sentence(unc, ten)
    assert extrapolation_sentence(unc, {"policies": {}}) == ""
    doc.write_text("parameters:\n  behavior.discount_effect: {estimate: 7.5, std_error: 1.2}\n"
                   "measured_on: {share_off: [1.5]}\n")
    with pytest.raises(simlib.UserError, match="measured_on.share_off"):
        load_uncertain(str(doc))
