"""The report's languages: English (the default) and Chinese (``lang="zh"``).

``Words(lang)`` turns the report's fixed phrases into the language asked for; ``money`` writes an
amount as a team writes it (in Chinese, 万 and 亿 from 10,000 CNY up); ``verdict_zh`` phrases the
verdict from the numbers the English one is made of (``Verdict.facts``), so both say the same.
"""

from __future__ import annotations

import math

import numpy as np

from .glossary import MONEY_TERMS, strategy_name
from .units import MONEY, PER_TREATED_SUFFIX, SHARE, fmt, fmt_metric, metric_name, metric_unit, span_decimals

LANGS = ("en", "zh")

ZH = {
    # headings and labels
    "Verdict.": "结论。",
    "Check the arms:": "请核对各方案：",
    "which arm earns most": "哪个方案赚得最多",
    "Outcomes, arm by arm": "各方案的结果",
    "Where the money goes": "钱花在哪里",
    "Profit over time": "利润随时间的变化",
    "What each arm changes": "各方案改了什么",
    "How to read this": "如何阅读本报告",
    "Where the uncertainty comes from": "不确定性从哪里来",
    "outcome": "指标",
    "(reference)": "（参照）",
    "higher is better": "越高越好",
    "lower is better": "越低越好",
    "setting": "设置",
    "reference": "参照",
    "this arm": "本方案",
    "CNY, mean per run": "元，每次运行的平均值",
    "identical.": "与参照相同。",
    "setting(s) differ.": "项设置不同。",
    "against": "相对于",
    "replications per arm": "每个方案的重复次数",
    "common random numbers": "共同随机数",
    "independent random numbers": "独立随机数",
    "simulated customers": "模拟客户",
    "days": "天",
    "seed": "随机种子",
    "reference: ": "参照：",
    "P(better)": "更优概率",
    "detectable with about": "约需重复次数",
    "replications": "次",
    "(not a policy)": "（不是策略设置）",
    "Strategy comparison: ": "策略比较：",
    "vs": "对比",
}

UNITS_ZH = {"CNY": "元", "CNY per day": "元/天", "days": "天", "day": "天", "per day": "每天", "points": "积分",
            "points per CNY": "积分/元", "orders": "单", "people": "人", "messages": "条", "messages per week": "条/周",
            "groups": "个群", "members": "人", "KOCs": "个 KOC", "(log-multiplier)": "（对数乘数）",
            "(0 to 1)": "（0 到 1）", "per cycle": "次/周期", "cycles": "个周期", "chats per day": "次私聊/天",
            "yes": "是", "no": "否", "none": "无"}


class Words:
    """The fixed phrases of the report in one language (English passes through)."""

    def __init__(self, lang: str = "en"):
        if lang not in LANGS:
            from ..errors import UserError
            raise UserError(f"lang {lang!r}: allowed: {', '.join(LANGS)}")
        self.lang = lang

    def __call__(self, text: str) -> str:
        return ZH.get(text, text) if self.lang == "zh" else text

    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    def arm(self, name: str) -> str:
        return strategy_name(name, self.lang)

    def metric(self, key: str) -> str:
        if self.zh and key.endswith(PER_TREATED_SUFFIX) and key.removesuffix(PER_TREATED_SUFFIX) in MONEY_TERMS:
            return MONEY_TERMS[key.removesuffix(PER_TREATED_SUFFIX)] + "（每位触达客户）"
        if self.zh and key in MONEY_TERMS:
            return MONEY_TERMS[key]
        return metric_name(key)

    def metric_label(self, key: str) -> str:
        unit = metric_unit(key)
        if self.zh:
            return self.metric(key) + {MONEY: "（元）", SHARE: "（%）"}.get(unit, "")
        from .units import metric_label
        return metric_label(key)

    def value(self, text: str) -> str:
        """A value written by ``report.arms`` with its English unit words in Chinese."""
        if not self.zh:
            return text
        for en, zh in sorted(UNITS_ZH.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(f" {en}", zh) if not en.startswith("(") else text.replace(en, zh)
        return text

    def number(self, key: str, x, sign: bool = False, diff: bool = False, extra: int = 0) -> str:
        """A value of summary metric ``key``: money in 万/亿 in Chinese, everything else as in English."""
        unit = metric_unit(key)
        if key.endswith(PER_TREATED_SUFFIX):
            return self._per_treated(key, x, sign)
        if self.zh and unit == MONEY:
            return money(x, "zh", sign=sign)
        return fmt(x, unit, sign=sign, diff=diff, extra=extra)

    def _per_treated(self, key: str, x, sign: bool) -> str:
        """A per-treated value with the decimals a per-customer figure needs (units.fmt_metric)."""
        text = fmt_metric(key, x, sign=sign)
        return text + "元" if self.zh and metric_unit(key) == MONEY and text != "n/a" else text

    def span(self, key: str, mean, low, high, sign: bool = True, diff: bool = True):
        """(mean, low, high) with one number of decimals, enough that no bound rounds to zero."""
        unit = metric_unit(key)
        if key.endswith(PER_TREATED_SUFFIX):
            return tuple(self._per_treated(key, v, sign) for v in (mean, low, high))
        if self.zh and unit == MONEY:
            return tuple(money(v, "zh", sign=sign, close=(mean, low, high)) for v in (mean, low, high))
        extra = span_decimals([mean, low, high], unit, diff)
        return tuple(fmt(v, unit, sign=sign, diff=diff, extra=extra) for v in (mean, low, high))


def money(x, lang: str = "en", sign: bool = False, close=None) -> str:
    """An amount in CNY as a team writes it. English: '1,234,567'. Chinese: '123.5万元' from 10,000 up,
    '1.23亿元' from 100 million up, '8,055元' below; ``close`` (values printed side by side) share
    one unit and enough digits that none that differ print the same."""
    if x is None or not np.isfinite(x):
        return "n/a"
    plus = "+" if sign and x > 0 else ""
    if lang != "zh":
        return fmt(x, MONEY, sign=sign)
    scale_of = [abs(float(v)) for v in (close or (x,)) if v is not None and np.isfinite(v)]
    biggest = max(scale_of) if scale_of else abs(x)
    if biggest >= 1e8:
        div, word = 1e8, "亿元"
    elif biggest >= 1e4:
        div, word = 1e4, "万元"
    else:
        return f"{plus}{x:,.0f}元" if round(x) != 0 else "0元"
    digits = 1
    values = [float(v) / div for v in (close or (x,)) if v is not None and np.isfinite(v)]
    while digits < 4 and (len({round(v, digits) for v in values}) < len(set(values))
                          or any(round(v, digits) == 0 and v != 0 for v in values)):
        digits += 1
    v = x / div
    if round(v, digits) == 0:
        return "0" + word
    return f"{plus}{v:,.{digits}f}{word}"


def verdict_zh(facts: dict | None, words: Words) -> str:
    """The verdict in Chinese, from the same numbers as the English one."""
    if not facts:
        return "没有进行比较：只有一个方案。"
    outcome, ref, n = facts["outcome"], words.arm(facts["reference"]), facts["n"]
    pct = f"{round(facts['confidence'] * 100):g}%"
    name = words.metric(outcome)

    def diff_text(s):
        m, lo, hi = words.span(outcome, s["diff"], s["low"], s["high"])
        return f"相对{ref}为 {m}（{pct} 区间 {lo} 至 {hi}），更优概率 {s['p_better']:.2f}"

    kind, named = facts.get("kind"), facts.get("named")
    if kind == "best":
        r = facts.get("runner_up")
        opening = (f"最优：{words.arm(facts['best'])}。" if not r or r["separated"] else
                   f"最优：{words.arm(facts['best'])} 或 {words.arm(r['arm'])}（本规模下二者尚未分出高下）。")
        text = f"{opening}{name}{diff_text(named)}，基于 {n} 次配对重复。"
        if r:
            m, lo, hi = words.span(outcome, r["diff"], r["low"], r["high"])
            if r["separated"]:
                text += f"它也胜过第二名 {words.arm(r['arm'])}，领先 {m}（{lo} 至 {hi}）。"
            else:
                text += f"相对第二名 {words.arm(r['arm'])} 领先 {m}（{lo} 至 {hi}）：与零无法区分，本规模下尚未分出高下。"
    elif kind == "keep":
        text = (f"最优：保持{ref}（参照）。其他方案的{name}都更低；最接近的 {words.arm(named['arm'])} "
                f"{diff_text(named)}，基于 {n} 次配对重复。")
    else:
        text = f"{name}没有明确的赢家："
        if named:
            text += f"{words.arm(named['arm'])} {diff_text(named)}"
        text += f"；{n} 次配对重复后区间仍包含零。"
        if facts.get("leaning") and named:
            text += (f"就现有证据看，{words.arm(named['arm'])} 相对{ref}更可能"
                     f"{'提高' if facts['leaning'] > 0 else '降低'}{name}。")
        hint = facts.get("reps_hint")
        if hint:
            text += (f"要以 {hint['power']:.0%} 的把握分辨 {words.number(outcome, hint['delta'], diff=True)} 的差异，"
                     f"约需 {hint['need']:,} 次重复。")
    for more in (facts.get("turns_on_zh"), facts.get("per_treated_zh")):   # phrased in Chinese by report.decision
        if more:
            text += more
    return text


CJK_FONT_NAMES = ("Noto Sans CJK", "Noto Serif CJK", "Source Han Sans", "WenQuanYi", "Microsoft YaHei", "PingFang",
                  "SimHei", "Heiti", "AR PL", "Droid Sans Fallback")
_CJK_SCANNED = False


def _cjk_fonts() -> list[str]:
    """Names of the fonts with Chinese glyphs matplotlib can use; a font installed after
    matplotlib built its cache is found by scanning the system's font files once."""
    global _CJK_SCANNED
    from matplotlib import font_manager
    found = sorted({f.name for f in font_manager.fontManager.ttflist if any(w in f.name for w in CJK_FONT_NAMES)})
    if not found and not _CJK_SCANNED:
        _CJK_SCANNED = True
        for path in font_manager.findSystemFonts():
            low = path.lower()
            if any(w in low for w in ("cjk", "wqy", "wenquanyi", "droidsansfallback", "sourcehan", "yahei", "simhei")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = sorted({f.name for f in font_manager.fontManager.ttflist if any(w in f.name for w in CJK_FONT_NAMES)})
    return found


def zh_font_available() -> bool:
    """True when matplotlib has a font with Chinese glyphs (then charts are labelled in Chinese;
    without one they keep English labels rather than print empty boxes)."""
    return bool(_cjk_fonts())


def zh_font_family() -> list:
    """The Chinese font for chart labels (Simplified Chinese first), then DejaVu Sans for the rest."""
    names = _cjk_fonts()
    names.sort(key=lambda n: (" SC" not in n and "SC" not in n.split()[-1:], n))
    return names[:1] + ["DejaVu Sans"]
