"""twin.yaml: the scenario of a team's market on a date, written as text with its reasons.

The purchase process is the fitted one (traits, regularity, dropout at the first purchase,
the new-buyer period or the seasonal index, the order-to-order spread of the basket). Every
engine effect an order log cannot identify is neutral (``NEUTRAL``: the value, why, and what
lever brings it back); the engine's other defaults act only through levers and are listed in
comments with their sources (``STANDING_IN``).
"""

from __future__ import annotations

import yaml

NEUTRAL = {
    "awareness_per_day": (0.0, "a closed base: no one new hears of the brand", "an acquisition lever "
                          "(paid_acquisition, acquisition_mix, referral_fission)"),
    "word_of_mouth_per_day": (0.0, "a closed base: no one new hears of the brand", "referral_fission"),
    "social_proof_effect": (0.0, "in a closed base the share of buyers does not move, so its pull is already in "
                            "the fitted purchase rates", "nothing: set it for a launch to prospects"),
    "dormancy_per_day": (0.0, "a pause is a gap of the fitted process, not a state the log shows",
                         "messages past a customer's tolerance (silence_per_fatigue)"),
    "dormant_loss_per_day": (0.0, "leaving is the fitted dropout or lifetime", "fatigue (churn_fatigue_effect, and "
                             "dormancy through silence_per_fatigue)"),
    "retention_pond_effect": (0.0, "pond members' staying is in their fitted dropout", "trust from content and chats "
                              "(retention_trust_effect)"),
    "trust_gain_purchase": (0.0, "orders build no trust beyond what the fitted rates hold", "content and chats "
                            "(trust_gain_content, trust_gain_chat); trust then lifts purchases (trust_effect) and keeps "
                            "customers (retention_trust_effect)"),
}
"""behavior key -> (value in the twin, why the log cannot identify it, what brings it back)."""

STANDING_IN = ("discount_effect", "reference_price_loss_ratio", "baseline_brand_share", "chat_effect",
               "content_effect", "trust_effect", "retention_trust_effect", "fatigue_effect", "churn_fatigue_effect",
               "silence_per_fatigue", "unsubscribe_per_message", "unsubscribe_per_day", "drift_per_day",
               "interest_per_day", "first_purchase_per_day", "lose_interest_per_day", "forget_per_day")
"""Engine defaults the twin keeps: each acts only through a lever (or on prospects)."""

FITTED_BEHAVIOR = ("dropout_at_first_purchase", "purchase_regularity", "new_buyer_boost", "new_buyer_boost_days",
                   "seasonal_index", "order_value_sd_log")


def _dump(mapping: dict, indent: int = 0) -> str:
    """Block style key by key; a value that is a mapping of plain values, or a list, in flow style."""
    pad, lines = " " * indent, []
    for key, value in mapping.items():
        if isinstance(value, dict) and any(isinstance(v, (dict, list)) for v in value.values()):
            lines.append(f"{pad}{key}:")
            lines.append(_dump(value, indent + 2).rstrip("\n"))
        else:
            text = yaml.safe_dump({key: value}, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10_000)
            lines.append(pad + text.strip()[1:-1])
    return "\n".join(lines) + "\n"


def twin_yaml(*, name: str, description: str, header: list, market: dict, traits: dict, behavior: dict,
              economics: dict) -> str:
    """The file's text: the header comments, then market, traits, behavior (fitted keys, the
    neutral ones each with its reason, the defaults standing in as comments) and economics."""
    from simlib.behavior import BEHAVIOR_PARAMS
    lines = [f"# {line}" if line else "#" for line in header]
    lines.append(_dump({"name": name, "description": description}).rstrip())
    lines.append("market:")
    lines.append(_dump(market, 2).rstrip())
    lines.append("traits:                      # the fitted purchase process and basket (the prior; each customer's own "
                 "values are drawn from the posterior given their history)")
    lines.append(_dump(traits, 2).rstrip())
    lines.append("behavior:")
    lines.append("  # the fitted purchase process")
    fitted = {k: behavior[k] for k in FITTED_BEHAVIOR if k in behavior}
    lines.append(_dump(fitted, 2).rstrip())
    lines.append("  # neutral: what an order log cannot identify (value, why; what lever brings it back)")
    for key, (value, why, back) in NEUTRAL.items():
        lines.append(f"  {key}: {value:g}    # {why}; back with: {back}")
    lines.append("  # the engine's defaults standing in (they act only through levers, or on prospects):")
    for key in STANDING_IN:
        param = BEHAVIOR_PARAMS[key]
        lines.append(f"  #   {key} = {param.default:g} {param.unit}: {param.source or param.doc}")
    if economics:
        lines.append("economics:")
        lines.append(_dump(economics, 2).rstrip())
    return "\n".join(lines) + "\n"
