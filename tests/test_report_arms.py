"""What each arm does, in full: every setting it changes against the reference, nested values
in the units of the parameter reference, so two arms of the same policy type read differently."""

import simlib
from simlib.report.arms import describe_arms, format_described, settings_frame, show
from simlib.report.diff import arm_diffs
from simlib.report.arms import lookup


def _described(arms: dict, reference: str = "pond"):
    data = {name: (simlib.load_scenario(s) if isinstance(s, str) else s).data for name, s in arms.items()}
    return describe_arms(arm_diffs(data, reference), data, reference)


def test_a_shallow_and_the_stock_ladder_read_differently():
    shallow = simlib.load_scenario("coupon_ladder").override({"policies.ladder.down_off_shares": [0.05, 0.15, 0.25]})
    described = _described({"pond": "pond", "stock": "coupon_ladder", "shallow": shallow})
    text = format_described(described, "pond")
    assert "down_off_shares = 15 % → 57 % → 72 %" in text
    assert "down_off_shares = 5 % → 15 % → 25 %" in text
    assert "up_off_shares = 57 % → 42 % → 5 %" in text          # every setting of an added policy
    assert "idle_days = 30 days" in text
    frame = settings_frame(described)
    rungs = frame.set_index(["arm", "key"]).loc[("shallow", "policies.ladder.down_off_shares"), "value"]
    assert rungs == "5 % → 15 % → 25 %"


def test_a_changed_key_shows_both_values_in_its_unit():
    cheaper = simlib.load_scenario("coupon_ladder").override({"policies.douyin_ads.budget_cny_per_day": 900})
    described = _described({"ladder": "coupon_ladder", "cheaper": cheaper}, reference="ladder")
    (setting,) = described["cheaper"]
    before = simlib.load_scenario("coupon_ladder").get("policies.douyin_ads.budget_cny_per_day")
    assert setting.reference == [f"{before:,.0f} CNY per day"] and setting.value == ["900 CNY per day"]
    assert "budget" in setting.meaning.lower()


def test_catalogues_and_tiers_list_each_item_with_units():
    described = _described({"pond": "pond", "points_program": "points_program", "member_tiers": "member_tiers"})
    points = {s.key: s for s in described["points_program"]}
    assert points["policies.points.catalogue"].value == ["big_brand_item: 3,000 points, cost 240 CNY, appeal 1 (0 to 1)",
                                                         "seasonal_item: 1,200 points, cost 90 CNY, appeal 0.6 (0 to 1)",
                                                         "daily_needs: 400 points, cost 28 CNY, appeal 0.3 (0 to 1)"]
    tiers = {s.key: s for s in described["member_tiers"]}["policies.tiers.tiers"].value
    assert tiers[0].startswith("silver: min orders 2 orders") and "discount 3 %" in tiers[0]
    assert tiers[1].startswith("gold:") and "gift every 90 days" in tiers[1] and "gift cost 20 CNY" in tiers[1]


def test_values_print_in_the_declared_unit():
    assert lookup("policies.ladder.valid_days", {"policies": {"ladder": {"type": "coupon_ladder"}}}).unit == "days"
    assert show(0.3, lookup("behavior.discount_effect", None)) == ["0.3 (log-multiplier)"]
    assert show([0.15, 0.57], lookup("policies.l.down_off_shares", {"policies": {"l": {"type": "coupon_ladder"}}})) \
        == ["15 % → 57 %"]
    assert show(None) == ["none"] and show(True) == ["yes"]


def test_a_one_shot_send_is_described_without_the_repeat_it_does_not_use():
    from simlib.report.arms import describe
    from simlib.report.diff import ABSENT, Change
    policy = {"type": "percentage_coupon", "enabled": True, "off_share": 0.2, "valid_days": 7, "every_days": 30,
              "on_day": None, "on_date": "2024-07-20", "target": None, "start_day": 0, "end_day": None}
    keys = [s.key for s in describe(Change("policies.coupon", ABSENT, policy), None, None, "c")]
    assert "policies.coupon.on_date" in keys and "policies.coupon.off_share" in keys
    assert not {"policies.coupon.every_days", "policies.coupon.on_day", "policies.coupon.target"} & set(keys)
    repeating = dict(policy, on_date=None)
    keys = [s.key for s in describe(Change("policies.coupon", ABSENT, repeating), None, None, "c")]
    assert "policies.coupon.every_days" in keys
