"""The team's words: English terms of the report and the Chinese a private-domain team uses.

Every Chinese term of a strategy, lever or money line is one docs/domain.md uses (its section
"Glossary: the report in Chinese" lists them; tests/test_report_lang.py holds the two together).
The report in Chinese (``report(lang="zh")``, ``simlib compare --lang zh``) takes its names
from here; a name not listed (an arm the user named) is shown as it is.
"""

from __future__ import annotations

# built-in scenarios (arm names) and policy types (levers)
STRATEGIES = {
    "baseline": "仅公域投放",
    "pond": "私域鱼塘",
    "coupon_ladder": "优惠券阶梯",
    "points_program": "积分兑换",
    "member_tiers": "会员等级",
    "content_first": "内容优先",
    "daily_ads": "每日硬广",
    "outreach_by_repurchase_cycle": "按复购周期回访",
    "koc_community": "KOC 社群",
    "referral_fission": "裂变（老带新）",
    "fashion_store": "服装店私域",
    "livestream_host": "主播私域",
    "retail_o2o": "门店 O2O",
    "high_ticket": "高客单价",
}

LEVERS = {
    "paid_acquisition": "公域付费投放",
    "acquisition_mix": "公域渠道组合",
    "flat_coupon": "立减券",
    "threshold_coupon": "满减券",
    "percentage_coupon": "折扣券",
    "coupon_ladder": "优惠券阶梯",
    "points_program": "积分兑换",
    "red_packet": "红包",
    "member_gift": "会员赠品",
    "member_tiers": "会员等级",
    "content_broadcast": "内容推送",
    "content_channels": "内容渠道",
    "stage_sequence": "分阶段 SOP",
    "staff_chats": "一对一私聊",
    "group_broadcast": "社群群发",
    "frequency_cap": "发送频次上限",
    "community_groups": "社群",
    "koc_program": "KOC",
    "referral_fission": "裂变（老带新）",
    "festival_calendar": "大促日历",
    "livestream": "直播",
    "segments": "标签分层",
    "journey": "SOP 旅程",
}

# summary metrics and the lines of the cost table
MONEY_TERMS = {
    "net_profit_cny": "净利润",
    "gross_profit_cny": "毛利",
    "gmv_cny": "GMV（标价）",
    "roi": "ROI（每元成本的净利润）",
    "incremental_roi": "增量 ROI（每多花一元带来的额外净利润）",
    "roas": "ROAS",
    "repurchase_rate": "复购率",
    "churn_rate": "流失率",
    "strategy_cost_cny": "策略总成本（折扣、营销、欠付积分）",
    "marketing_cost_cny": "营销费用（不含折扣和欠付积分）",
    "cac_cny": "获客成本 CAC",
    "clv_cny": "客户生命周期价值 CLV",
    "cogs_cny": "商品成本",
    "margin_cny": "按标价的毛利",
    "discount_cny": "折扣合计",
    "discount_coupons_cny": "优惠券折扣",
    "discount_member_price_cny": "会员价折扣",
    "cost_ad_spend_cny": "公域广告",
    "cost_pond_acquisition_cny": "引流入池成本",
    "cost_referral_rewards_cny": "裂变奖励",
    "cost_gifts_cny": "赠品和小样",
    "cost_red_packets_cny": "红包",
    "cost_points_redemption_cny": "积分兑换（礼品成本）",
    "cost_content_production_cny": "内容制作",
    "cost_staff_cny": "人员",
    "cost_events_cny": "活动、社群和直播",
    "points_liability_cny": "欠付积分（负债）",
    "pond_size_end": "期末鱼塘人数",
    "purchases": "订单数",
    "buyers": "购买人数",
    "new_buyers": "新客",
}

# words of the domain the report uses in sentences
DOMAIN = {
    "private domain": "私域",
    "public domain": "公域",
    "pond": "鱼塘",
    "fission": "裂变",
}

GLOSSARY = {**STRATEGIES, **{f"type:{k}": v for k, v in LEVERS.items()}, **MONEY_TERMS, **DOMAIN}


def strategy_name(name: str, lang: str = "en") -> str:
    """An arm's name as the report shows it: in Chinese the glossary's term with the arm's own
    name beside it ('优惠券阶梯 coupon_ladder'); a name not in the glossary as it is."""
    if lang == "zh" and name in STRATEGIES:
        return f"{STRATEGIES[name]} {name}"
    return name


def lever_name(kind: str, lang: str = "en") -> str:
    if lang == "zh" and kind in LEVERS:
        return f"{LEVERS[kind]}（{kind}）"
    return kind.replace("_", " ")
