"""Plain names and units: summary metrics and scenario keys as a manager reads them.

One money unit everywhere: CNY with thousands separators (tables, terminal and axes), never
"1e6" offsets or "10k CNY". Shares print as percentages (differences in percentage points),
ROI and ROAS as ratios with 2 decimals, counts as whole numbers.
"""

from __future__ import annotations

import math

import numpy as np

MONEY, SHARE, RATIO, COUNT = "CNY", "share", "ratio", "count"

# summary key -> (plain name, unit kind); other keys fall back on their suffix (_cny, _rate)
METRICS = {
    "net_profit_cny": ("Net profit", MONEY),
    "gross_profit_cny": ("Gross profit", MONEY),
    "gmv_cny": ("GMV (list value)", MONEY),
    "revenue_cny": ("Revenue (after discounts)", MONEY),
    "cogs_cny": ("Cost of goods", MONEY),
    "discount_cny": ("Discounts", MONEY),
    "discount_coupons_cny": ("Coupon discounts", MONEY),
    "discount_member_price_cny": ("Member-price discounts", MONEY),
    "marketing_cost_cny": ("Marketing cost (without discounts and points owed)", MONEY),
    "strategy_cost_cny": ("What the strategy costs (discounts, marketing, points owed)", MONEY),
    "acquisition_cost_cny": ("Acquisition cost", MONEY),
    "ad_spend_cny": ("Ad spend", MONEY),
    "points_liability_cny": ("Points owed (liability)", MONEY),
    "roi": ("ROI of the whole market (its net profit per CNY the strategy costs)", RATIO),
    "incremental_roi": ("Return on the strategy's extra cost (extra net profit per extra CNY, vs the reference)", RATIO),
    "roas": ("ROAS (GMV per CNY of marketing)", RATIO),
    "cac_cny": ("Acquisition cost per new buyer", MONEY),
    "clv_cny": ("Gross profit per new buyer within the CLV window", MONEY),
    "repurchase_rate": ("Repurchase rate (new buyers who ordered again)", SHARE),
    "churn_rate": ("Churn rate (buyers lost during the run)", SHARE),
    "churn_rate_new": ("Churn rate, new buyers", SHARE),
    "churn_rate_existing": ("Churn rate, existing customers", SHARE),
    "existing_customers": ("Existing customers (bought before day 0)", COUNT),
    "existing_repurchase_rate": ("Existing customers who ordered", SHARE),
    "pond_gmv_share": ("Share of GMV from pond members", SHARE),
    "left_pond_end": ("Left the pond (opted out)", COUNT),
    "purchases": ("Orders", COUNT),
    "buyers": ("Buyers", COUNT),
    "new_buyers": ("New buyers", COUNT),
    "repeat_buyers": ("Repeat buyers", COUNT),
    "pond_size_end": ("Pond members at the end", COUNT),
    "pond_joins": ("Joined the pond", COUNT),
    "messages_sent": ("Messages sent", COUNT),
    "unsubscribes": ("Left the pond", COUNT),
    "coupons_redeemed": ("Coupons redeemed", COUNT),
}

# words a key's last part is made of, spelled out for a label
_WORDS = {"cogs": "cost of goods", "cny": "CNY", "koc": "KOC", "kol": "KOL", "sop": "SOP", "gmv": "GMV", "roi": "ROI",
          "per_day": "per day", "pct": "%"}
# Param unit -> how an axis names it
_UNIT_WORDS = {"log": "log-multiplier", "x": "multiplier", "0-1": "0 to 1"}


PER_TREATED_SUFFIX = "_per_treated"   # a campaign's difference per treated customer (experiment.per_treated)


def metric_name(key: str) -> str:
    """'net_profit_cny' -> 'Net profit'; unknown keys are spelled out from their words."""
    if key.endswith(PER_TREATED_SUFFIX):
        return metric_name(key.removesuffix(PER_TREATED_SUFFIX)) + " per treated customer"
    if key in METRICS:
        return METRICS[key][0]
    if key.startswith("cost_") and key.endswith("_cny"):
        from ..ledger import ACCOUNT_NAMES
        account = key[5:-4]
        if account in ACCOUNT_NAMES:
            return ACCOUNT_NAMES[account][0].upper() + ACCOUNT_NAMES[account][1:]
    return humanize(key.removesuffix("_cny"))


def metric_unit(key: str) -> str:
    """MONEY, SHARE, RATIO or COUNT for a summary key."""
    key = key.removesuffix(PER_TREATED_SUFFIX)
    if key in METRICS:
        return METRICS[key][1]
    if key.endswith("_cny"):
        return MONEY
    if key.endswith(("_rate", "_share")):
        return SHARE
    return COUNT


def metric_label(key: str) -> str:
    """Name and unit for an axis or a table row: 'Net profit, CNY', 'Repurchase rate, %'."""
    unit = metric_unit(key)
    return metric_name(key) + {MONEY: ", CNY", SHARE: ", %", RATIO: "", COUNT: ""}[unit]


def humanize(key: str) -> str:
    words = key.replace(".", " ").replace("_", " ")
    for raw, plain in _WORDS.items():
        words = f" {words} ".replace(f" {raw.replace('_', ' ')} ", f" {plain} ").strip()
    return words[:1].upper() + words[1:]


def fmt(x, unit: str = MONEY, sign: bool = False, diff: bool = False, extra: int = 0) -> str:
    """A number in its unit's house format; ``diff`` prints shares in percentage points;
    ``extra`` more decimals (``fmt_span`` asks for them so a small interval never rounds to 0)."""
    if x is None or not np.isfinite(x):
        return "n/a"
    plus = "+" if sign else ""
    decimals = {SHARE: 3, RATIO: 2}.get(unit, 1 if unit == COUNT and abs(x) < 100 else 0) + extra
    if round(float(x), decimals) == 0:
        x = 0.0                                  # no "-0"
    if unit == SHARE:
        d = 1 + extra
        return f"{x * 100:{plus},.{d}f} pp" if diff else f"{x * 100:{plus},.{d}f}%"
    if unit == RATIO:
        return f"{x:{plus},.{decimals}f}"
    if unit == COUNT and abs(x) < 100 and not float(x).is_integer():
        return f"{x:{plus},.{1 + extra}f}"
    return f"{x:{plus},.{decimals}f}"


def span_decimals(values, unit: str, diff: bool = False, most: int = 3) -> int:
    """Extra decimals (0 to ``most``) so that no non-zero value of ``values`` prints as zero and
    two different values do not print the same: an interval beside P(better) 1.00 never reads
    '-0.1 pp to +0.0 pp'."""
    vals = [float(v) for v in values if v is not None and np.isfinite(v)]
    for extra in range(most + 1):
        shown = [fmt(v, unit, sign=True, diff=diff, extra=extra) for v in vals]
        zero = {fmt(0.0, unit, sign=True, diff=diff, extra=extra), fmt(0.0, unit, diff=diff, extra=extra)}
        if all(text not in zero for v, text in zip(vals, shown) if v != 0) and len(set(shown)) == len(set(vals)):
            return extra
    return most


def fmt_span(key: str, mean, low, high, sign: bool = True, diff: bool = True, unit_suffix: bool = False):
    """(mean, low, high) of a metric as text with one shared number of decimals, enough that a
    non-zero bound never prints as zero."""
    unit = metric_unit(key)
    if key.endswith(PER_TREATED_SUFFIX):   # per customer: fmt_metric's fixed decimals
        out = [fmt_metric(key, v, sign=sign) for v in (mean, low, high)]
        return tuple([out[0] + (" CNY" if unit_suffix and unit == MONEY and out[0] != "n/a" else "")] + out[1:])
    extra = span_decimals([mean, low, high], unit, diff)
    out = [fmt(v, unit, sign=sign, diff=diff, extra=extra) for v in (mean, low, high)]
    if unit_suffix and unit == MONEY and out[0] != "n/a":
        out[0] += " CNY"
    return tuple(out)


def fmt_metric(key: str, x, sign: bool = False, diff: bool = False, unit_suffix: bool = False) -> str:
    unit = metric_unit(key)
    if key.endswith(PER_TREATED_SUFFIX) and unit in (MONEY, COUNT) and x is not None and np.isfinite(x):
        decimals = 2 if unit == MONEY else 3     # per customer: 2.35 CNY, 0.045 orders
        text = f"{0.0 if round(float(x), decimals) == 0 else x:{'+' if sign else ''},.{decimals}f}"
        return f"{text} CNY" if unit_suffix and unit == MONEY else text
    text = fmt(x, unit, sign=sign, diff=diff)
    return f"{text} CNY" if unit_suffix and unit == MONEY and text != "n/a" else text


def money_axis(ax, axis: str = "x", label: str | None = None, nbins: int | None = None) -> None:
    """Money ticks in whole CNY with thousands separators; no offset or scientific notation.
    On an x axis at most ~5 ticks (``nbins``), so long labels such as 1,250,000 never collide."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator   # here: a run's text summary needs no matplotlib
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    if nbins or axis == "x":
        target.set_major_locator(MaxNLocator(nbins=nbins or 5, steps=[1, 2, 2.5, 5, 10]))
    if label is not None:
        (ax.set_xlabel if axis == "x" else ax.set_ylabel)(label)


def share_axis(ax, axis: str = "y", label: str | None = None) -> None:
    from matplotlib.ticker import FuncFormatter
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v * 100:,.0f}%"))
    if label is not None:
        (ax.set_xlabel if axis == "x" else ax.set_ylabel)(label)


# ----------------------------------------------------------------------------------------
# scenario keys: a dotted key as a plain name, with the unit and meaning its Param declares

def param_info(dotted: str, scenario: dict | None = None) -> tuple[str, str, str]:
    """(plain name, unit, meaning) of a dotted scenario key, from the declared Param.

    ``scenario`` (resolved data) tells the policy type of ``policies.NAME.KEY``; without it
    the name and unit come from the key's words alone.
    """
    from ..behavior import BEHAVIOR_PARAMS
    from ..ledger import ECONOMICS_PARAMS
    from ..policies.base import COMMON_PARAMS, policy_types
    from ..population import MARKET_PARAMS, TRAITS
    parts = dotted.split(".")
    head, rest = parts[0], parts[1:]
    param, where = None, ""
    if head == "behavior" and rest:
        param = BEHAVIOR_PARAMS.get(rest[0])
    elif head == "economics" and rest:
        param = ECONOMICS_PARAMS.get(rest[0])
    elif head == "market" and rest:
        param = MARKET_PARAMS.get(rest[0])
    elif head == "traits" and rest and rest[0] in TRAITS:
        _dist, unit, doc, _lo, _hi = TRAITS[rest[0]]
        name = humanize(rest[0])
        if len(rest) > 1:
            name += f", {humanize(rest[1]).lower()}"
        return name, unit, doc
    elif head == "policies" and len(rest) >= 2:
        where = rest[0]
        kind = ((scenario or {}).get("policies", {}).get(where) or {}).get("type")
        cls = policy_types().get(kind) if kind else None
        params = {**COMMON_PARAMS, **(cls.params if cls else {})}
        param = params.get(rest[1])
        unit = _unit_word(param.unit) if param else ""
        name = f"{humanize(_strip_unit(rest[1], unit))} ({where.replace('_', ' ')})"
        return name, unit, param.doc if param else ""
    if param is None:
        return humanize(rest[-1] if rest else head), "", ""
    unit = _unit_word(param.unit)
    return humanize(_strip_unit(rest[-1] if rest else head, unit)), unit, param.doc


def param_label(dotted: str, scenario: dict | None = None, labels: dict | None = None) -> str:
    """Axis label of a scenario key: 'Discount effect [log-multiplier]'; ``labels`` (key ->
    the experiment's own short name) wins over the name derived from the key."""
    name, unit, _doc = param_info(dotted, scenario)
    if labels and labels.get(dotted):
        name = labels[dotted]
    return f"{name} [{unit}]" if unit and unit not in name else name


def _strip_unit(key: str, unit: str) -> str:
    """'budget_cny_per_day' -> 'budget' when the unit (CNY per day) is shown beside it."""
    for suffix in ("_cny_per_day", "_per_day", "_cny"):
        if unit and key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def _unit_word(unit: str) -> str:
    return _UNIT_WORDS.get(unit, unit)


def nice_number(x) -> str:
    """A scenario value for a diff or a caption: short, exact enough, no trailing zeros."""
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return repr(x) if isinstance(x, str) else str(x).lower()
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    if isinstance(x, (float, np.floating)):
        if not math.isfinite(x):
            return str(x)
        return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.0f}"
    return str(x)
