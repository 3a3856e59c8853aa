"""The report in the team's language: Chinese terms from the glossary docs/domain.md lists,
amounts in 万 / 亿, the verdict phrased from the same numbers as the English one."""

import pandas as pd
import pytest

from simlib.errors import UserError
from simlib.experiment.compare import compare_table
from simlib.experiment.spec import Outcome
from simlib.report.glossary import GLOSSARY
from simlib.report.lang import Words, money, verdict_zh
from simlib.report.verdict import decide

from conftest import ROOT


def test_every_chinese_term_is_one_docs_domain_lists():
    domain = (ROOT / "docs" / "domain.md").read_text(encoding="utf-8")
    missing = [term for term in GLOSSARY.values() if term not in domain]
    assert not missing, f"glossary terms not in docs/domain.md: {missing}"


@pytest.mark.parametrize("x, text", [(8055.0, "8,055元"), (39_688.0, "4.0万元"), (1_234_567.0, "123.5万元"),
                                     (-14_355.0, "-1.4万元"), (2.5e8, "2.5亿元"), (0.3, "0元")])
def test_amounts_read_in_wan_and_yi(x, text):
    assert money(x, "zh") == text


def test_amounts_printed_side_by_side_share_a_unit_and_never_round_to_zero():
    words = Words("zh")
    assert words.span("net_profit_cny", -14_355, -37_790, 9_080) == ("-1.4万元", "-3.8万元", "+0.9万元")
    m, lo, hi = words.span("net_profit_cny", 900, -20_000, 21_800)
    assert m != "0万元" and m.startswith("+0.") and lo.startswith("-2")


def _table(means, noise=100.0):
    runs = pd.DataFrame([{"arm": a, "replication": r, "net_profit_cny": m + noise * (r - 1)}
                         for a, m in means.items() for r in range(3)])
    return runs, compare_table(runs, [Outcome("net_profit_cny", "maximize")], "pond")


def test_the_chinese_verdict_says_what_the_english_one_says():
    runs, table = _table({"pond": 0.0, "coupon_ladder": 50_000.0})
    v = decide(table, "pond", runs=runs)
    zh = verdict_zh(v.facts, Words("zh"))
    assert v.text.startswith("Best: coupon_ladder") and zh.startswith("最优：优惠券阶梯 coupon_ladder")
    assert "+5.0万元" in zh and "3 次配对重复" in zh


def test_an_unknown_language_is_a_user_error():
    with pytest.raises(UserError, match="allowed: en, zh"):
        Words("fr")


def test_the_sentences_after_the_verdict_say_the_same_numbers_in_chinese():
    from simlib.report.text import per_treated_sentence
    from simlib.report.verdict import turns_on_flip
    sweep = pd.DataFrame({"depth": [0.1, 0.2, 0.3, 0.4], "diff": [300.0, 100.0, -100.0, -300.0]})
    en = turns_on_flip(sweep, "depth", "net_profit_cny", "coupon", "pond")
    zh = turns_on_flip(sweep, "depth", "net_profit_cny", "coupon", "pond", words=Words("zh"))
    assert "turns on" in en and "0.25" in en
    assert zh.startswith("结论取决于") and "0.25" in zh and "turns on" not in zh
    table = pd.DataFrame([{"arm": "coupon", "outcome": "net_profit_cny_per_treated", "diff": -2.5, "diff_low": -4.0,
                           "diff_high": -1.0, "n_treated": 10_000}])
    en = per_treated_sentence(table, "coupon")
    zh = per_treated_sentence(table, "coupon", words=Words("zh"))
    assert "10,000 sent" in en and "共发送 10,000 人" in zh and "-2.50" in en and "-2.50" in zh


def test_per_treated_rows_and_discounts_are_named_in_chinese():
    words = Words("zh")
    assert words.metric("net_profit_cny_per_treated") == "净利润（每位触达客户）"
    assert words.metric("purchases_per_treated") == "订单数（每位触达客户）"
    assert words.metric("discount_cny") == "折扣合计"
    assert Words("en").metric("purchases_per_treated") != "订单数（每位触达客户）"


def test_per_treated_amounts_keep_the_decimals_a_customer_figure_needs():
    for lang, unit in (("en", ""), ("zh", "元")):
        words = Words(lang)
        assert words.span("net_profit_cny_per_treated", -0.56, -1.19, 0.07) == \
            (f"-0.56{unit}", f"-1.19{unit}", f"+0.07{unit}")
        assert words.span("purchases_per_treated", 0.057, 0.034, 0.079) == ("+0.057", "+0.034", "+0.079")
