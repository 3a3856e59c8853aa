"""A notebook's "best" is read from paired replications: named outright only when its lead over
the runner-up excludes zero, else "not resolved at this size"; check() holds the sentence to it."""

import pandas as pd
import pytest

from simlib.report.readings import pick_best


def test_a_clear_lead_is_named_and_a_noisy_one_is_not():
    clear = pd.DataFrame({"weekly": [100.0, 120.0, 90.0], "daily": [60.0, 85.0, 52.0], "none": [0.0, 5.0, -3.0]})
    pick = pick_best(clear, "net profit")
    assert pick.best == "weekly" and pick.runner_up == "daily" and pick.resolved
    assert str(pick).startswith("Most net profit: weekly (103 CNY), ahead of the runner-up, daily, by +38 CNY (95% interval +31 to +44")
    pick.check()
    noisy = pd.DataFrame({"even": [3000.0, 3100.0, 3015.0], "greedy": [3050.0, 3020.0, 3010.0]})
    tie = pick_best(noisy, "new buyers", key="new_buyers")
    assert not tie.resolved and "not resolved at this size" in str(tie)
    tie.check()


def test_smaller_is_better_and_check_fails_on_a_wrong_claim():
    cac = pd.DataFrame({"a": [150.0, 151.0, 152.0], "b": [160.0, 161.0, 163.0]})
    pick = pick_best(cac, "CAC", key="cac_cny", larger_is_better=False)
    assert pick.best == "a" and pick.resolved and pick.high < 0
    pick.check()
    wrong = pick.__class__(**{**pick.__dict__, "low": -1.0, "high": 1.0})   # the interval holds zero
    assert not wrong.resolved and "not resolved" in wrong.text()
    liar = pick.__class__(**{**pick.__dict__, "larger_is_better": True})   # names a clear best the other way
    with pytest.raises(AssertionError):
        liar.check()
