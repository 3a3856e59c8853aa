"""A past campaign read from the order log itself: the assignment file says who was in which
arm, the log what each of them bought. No hand-made results file.

    simlib calibrate uplift --log orders.csv --assignment ab.csv --arm coupon=offer.yaml --window-days 49

- **Outcomes** per customer of the assignment: orders (purchase occasions: a customer's orders
  of one day count once, as the transaction reader and the purchase process count them) and
  spend (what they paid) in each week of the window [send date, send date + window), and the
  same over a pre-period before the send date (CUPED; default: as long as the window, cut at
  the log's first day). Every customer of the assignment is in the test: an id the log does not
  have, or a customer without an order before the send date (the twin on that date does not
  know them), is an error naming how many and which.
- **What ran**: the market on the send date is the log's twin (``simlib.twin``, built from
  the orders before the send date; or ``scenario``, e.g. a twin built earlier). The control arm
  runs it as it is; each treated arm runs it with the offer file's policies, sent to the
  assignment's customers (``target``) on the send date unless the offer says when. Every
  assigned customer, whatever their arm, is simulated in every arm (same customers, same seed):
  the simulated relative uplift is the offer's effect on the test's population, which the
  data's CUPED-adjusted uplift estimates.
- **What is fitted**: ``fit`` names any numeric scenario keys; by default, for each sender, the
  first effect its type declares it acts through (``Policy.acts_through``) other than the message
  load, with the sender's own lift (``OWN_EFFECTS``); ``DEFAULT_FIT`` for a type that declares
  nothing. A coupon or a red packet: ``behavior.discount_effect``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.calibrate._errors import user_error
from simlib.calibrate.uplift.data import OUTCOMES, CampaignData, _cuped, arm_means

# effects a campaign of each sender type acts through, when its class does not declare them
DEFAULT_FIT = {
    "flat_coupon": ("behavior.discount_effect",),
    "threshold_coupon": ("behavior.discount_effect",),
    "percentage_coupon": ("behavior.discount_effect",),
    "red_packet": ("behavior.discount_effect",),
    "group_broadcast": ("behavior.discount_effect",),
    "member_gift": ("policies.{name}.reciprocity_effect",),
    "content_broadcast": ("policies.{name}.purchase_effect",),
}
# a sender's own lift on purchases, fitted beside the behaviour effect it acts through
OWN_EFFECTS = {"member_gift": ("policies.{name}.reciprocity_effect",),
               "content_broadcast": ("policies.{name}.purchase_effect",)}
MAX_WINDOW_DAYS = 366
MAX_PRE_DAYS = 730
OFFER_SECTIONS = ("name", "description", "extends", "policies", "behavior", "economics")


@dataclass
class LogOutcomes:
    """The campaign as the log tells it: arm means for the fit, weekly arm totals to show."""

    data: CampaignData
    weekly: pd.DataFrame          # arm, week, customers, orders, spend_cny (the log's own totals)
    per_treated: pd.DataFrame     # arm, outcome, difference per treated customer vs control, std_error
    ids: np.ndarray               # every customer of the test (str), in the assignment's order


def log_outcomes(log, assignment, send_day: int, window_days: int, control: str | None = None,
                 pre_days: int | None = None, weekly: bool = True) -> LogOutcomes:
    """Per-customer outcomes of the assignment's customers in the window (and the pre-period),
    from a ``TransactionLog``; see the module docstring."""
    control = assignment.control(control)
    arms = [control] + [a for a in assignment.arm_names if a != control]
    if len(arms) < 2:
        raise user_error(f"{assignment.source}, column 'arm': only one arm ({arms[0]!r}); a campaign needs a "
                         "control group and at least one treated arm")
    _check_window(log, send_day, window_days)
    if pre_days is not None and (isinstance(pre_days, bool) or not isinstance(pre_days, int)
                                 or not 0 <= pre_days <= MAX_PRE_DAYS):
        raise user_error(f"--pre-days {pre_days!r}: allowed: a whole number of days from 0 (no pre-period) to "
                         f"{MAX_PRE_DAYS}")
    occasions = log.occasions
    known = pd.Index(occasions["customer_id"].unique())
    ids = assignment.ids
    absent = ~pd.Index(ids).isin(known)
    if absent.any():
        shown = ", ".join(repr(str(i)[:30]) for i in ids[absent][:3])
        raise user_error(f"{assignment.source}: {int(absent.sum()):,} of its {ids.size:,} customers have no order in "
                         f"{log.source} (first: {shown}); every customer of the test must be a customer of the log "
                         "(check the id column, --customer-col)")
    before = occasions.loc[occasions["day"] < send_day, "customer_id"].unique()
    new = ~pd.Index(ids).isin(before)
    if new.any():
        shown = ", ".join(repr(str(i)[:30]) for i in ids[new][:3])
        raise user_error(f"{assignment.source}: {int(new.sum()):,} of its {ids.size:,} customers had no order before "
                         f"the send date {log.to_date(send_day)} (first: {shown}); the twin on that date is built from "
                         "the customers who had bought, so it cannot simulate them: leave them out of the "
                         "assignment, or check the send date")
    periods = window_days // 7 if weekly and window_days % 7 == 0 and window_days >= 14 else 1
    position = pd.Series(np.arange(ids.size), index=pd.Index(ids))
    window = _per_customer(occasions, position, send_day, window_days, periods)
    pre_start = max(send_day - (pre_days if pre_days is not None else window_days), log.first_day)
    notes = []
    pre = None
    if pre_start < send_day:
        pre = _per_customer(occasions, position, pre_start, send_day - pre_start, 1)
        if pre_days is not None and send_day - pre_start < pre_days:
            notes.append(f"the pre-period is cut to {send_day - pre_start} days by the log's first day")
    arm_of = assignment.arms
    y = window
    if pre is not None:
        y, note = _cuped_by_period(window, pre, arm_of, arms, periods)
        notes.append(note + f" over {send_day - pre_start} days before the send date")
    sizes, means, cov = arm_means(y, arm_of, arms, assignment.source, notes)
    data = CampaignData(f"{log.source} with {assignment.source}", "customers", arms, control, list(OUTCOMES),
                        periods, sizes, means, cov, notes)
    return LogOutcomes(data, _weekly_totals(window, arm_of, arms, periods), _per_treated(y, arm_of, arms, periods),
                       ids)


def _check_window(log, send_day: int, window_days: int) -> None:
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise user_error(f"--window-days {window_days}: allowed: 1 to {MAX_WINDOW_DAYS}")
    if send_day <= log.first_day:
        raise user_error(f"the send date {log.to_date(send_day)} is not after the log's first order "
                         f"({log.to_date(log.first_day)}): the twin on the send date needs orders before it")
    end = send_day + window_days - 1
    if end > log.last_day:
        raise user_error(f"the window runs from {log.to_date(send_day)} to {log.to_date(end)} "
                         f"({window_days} days), but {log.source} ends on {log.to_date(log.last_day)} (its last "
                         "order): shorten --window-days, or give a log that covers the window")


def _per_customer(occasions: pd.DataFrame, position: pd.Series, first_day: int, days: int,
                  periods: int) -> np.ndarray:
    """Orders and spend of each customer of ``position`` over [first_day, first_day + days), in
    ``periods`` equal parts (the engine's split, ``campaign.per_customer``), outcome-major."""
    sel = (occasions["day"] >= first_day) & (occasions["day"] < first_day + days)
    sel &= occasions["customer_id"].isin(position.index)
    rows = occasions.loc[sel]
    row = position.loc[rows["customer_id"]].to_numpy()
    day = rows["day"].to_numpy(np.int64) - first_day
    period = np.minimum(day * periods // days, periods - 1) if periods > 1 else np.zeros(row.size, np.int64)
    cell = row * periods + period
    n = position.size * periods
    orders = np.bincount(cell, minlength=n).reshape(position.size, periods)
    spend = np.bincount(cell, weights=rows["amount_cny"].to_numpy(float), minlength=n).reshape(position.size, periods)
    return np.concatenate([orders, spend], axis=1).astype(float)


def _cuped_by_period(window: np.ndarray, pre: np.ndarray, arm_of, arms, periods: int):
    """CUPED (``data._cuped``) of each outcome and period on the same outcome's pre-period total."""
    pre_by_column = np.repeat(pre, periods, axis=1)      # orders' pre-period for every orders column, then spend's
    return _cuped(window, pre_by_column, arm_of, arms)


def _weekly_totals(window: np.ndarray, arm_of, arms, periods: int) -> pd.DataFrame:
    rows = []
    for arm in arms:
        sel = arm_of == arm
        totals = window[sel].sum(axis=0)
        for p in range(periods):
            rows.append({"arm": arm, "week" if periods > 1 else "period": p + 1, "customers": int(sel.sum()),
                         "orders": int(totals[p]), "spend_cny": round(float(totals[periods + p]), 2)})
    return pd.DataFrame(rows)


def _per_treated(y: np.ndarray, arm_of, arms, periods: int) -> pd.DataFrame:
    """Each treated arm's difference to the control per customer over the window (CUPED-adjusted
    when a pre-period exists), with its standard error: what the campaign did per treated customer."""
    totals = np.column_stack([y[:, :periods].sum(axis=1), y[:, periods:].sum(axis=1)])
    control = totals[arm_of == arms[0]]
    out = []
    for arm in arms[1:]:
        treated = totals[arm_of == arm]
        for k, name in enumerate(("orders", "spend_cny")):
            diff = treated[:, k].mean() - control[:, k].mean()
            se = np.sqrt(treated[:, k].var(ddof=1) / len(treated) + control[:, k].var(ddof=1) / len(control))
            out.append({"arm": arm, "outcome": name, "per_treated": float(diff), "std_error": float(se)})
    return pd.DataFrame(out)


# --- what ran ---------------------------------------------------------------------------------

def read_offer(path, source_key: str) -> dict:
    """An offer file for a campaign read from a log: what the treated customers got (its
    ``policies:``, and behaviour or economics keys); the market is the log's twin."""
    from simlib.errors import ScenarioError
    from simlib.policies.targets import anchor_paths
    from simlib.safe_yaml import read_yaml_file
    from simlib.scenario import find_scenario
    try:
        found = find_scenario(path)
    except ScenarioError:
        raise user_error(f"{source_key}: {path}: no such file") from None
    data = read_yaml_file(found, str(path))
    if not isinstance(data, dict) or not isinstance(data.get("policies"), dict) or not data["policies"]:
        raise user_error(f"{path}: an offer says what the treated customers got: `policies:` with the campaign's "
                         "policy (e.g. coupon: {type: percentage_coupon, off_share: 0.1, valid_days: 7})")
    extra = [k for k in data if k not in OFFER_SECTIONS]
    if extra:
        raise user_error(f"{path}: {extra[0]}: an offer for a campaign read from a log takes "
                         f"{', '.join(OFFER_SECTIONS)}; the market ({extra[0]}) is the log's twin on the send date")
    anchor_paths(data, found.parent, str(path))
    return {k: v for k, v in data.items() if k in ("policies", "behavior", "economics")}


def offer_send_dates(offers: dict) -> set:
    """The dates (YYYY-MM-DD) on which the offers' senders say they were sent."""
    import datetime as dt
    dates = set()
    for offer in offers.values():
        for cfg in offer["policies"].values():
            value = cfg.get("on_date") if isinstance(cfg, dict) else None
            for v in value if isinstance(value, list) else [value] if value is not None else []:
                dates.add(v.isoformat() if isinstance(v, dt.date) else str(v))
    return dates


def arm_scenario(control, offer: dict, assignment_path: Path, ids_arm: str | None, source: str):
    """The control market with the offer's policies, each sender sent to the test's customers
    (once, on day 0, unless the offer says when)."""
    from simlib.policies.base import policy_types
    types = policy_types()
    policies = {}
    senders = 0
    for name, cfg in offer["policies"].items():
        cfg = dict(cfg) if isinstance(cfg, dict) else cfg
        cls = types.get(cfg.get("type")) if isinstance(cfg, dict) else None
        if cls is not None and cls.sends and cfg.get("enabled", True):
            senders += 1
            cfg["target"] = {"file": str(assignment_path), "arm": ids_arm}
            if not any(k in cfg for k in ("on_day", "on_date", "every_days")):
                cfg["on_day"] = 0
        policies[name] = cfg
    if not senders:
        raise user_error(f"{source}: no enabled policy sends anything (policies that do: "
                         + ", ".join(sorted(n for n, c in types.items() if c.sends)) + ")")
    return control.override({**offer, "policies": policies}, source=source)


def default_fit(offers: dict) -> list[str]:
    """What to fit by default: for each sender of the offers, the first behaviour effect its type
    declares it acts through (``Policy.acts_through``) other than the message load (unsubscribing,
    fatigue: an order log says little of them), with the policy's own lift (``OWN_EFFECTS``); a
    type declaring nothing falls back on ``DEFAULT_FIT``. ``{name}`` is the policy's name."""
    from simlib.policies.base import MESSAGE_EFFECTS, policy_types
    types = policy_types()
    keys = []
    for offer in offers.values():
        for name, cfg in offer["policies"].items():
            kind = cfg.get("type") if isinstance(cfg, dict) else None
            cls = types.get(kind)
            declared = [k for k in getattr(cls, "acts_through", ()) if k not in MESSAGE_EFFECTS]
            chosen = ([f"behavior.{declared[0]}"] if declared else list(DEFAULT_FIT.get(kind, ())))
            for key in chosen + list(OWN_EFFECTS.get(kind, ())):
                key = key.format(name=name)
                if key not in keys:
                    keys.append(key)
    if not keys:
        raise user_error("no default effect to fit for the offers' policy types; name them with --fit, e.g. "
                         "--fit behavior.discount_effect")
    return keys


def build_log_campaign(log, assignment, arms: dict, window_days: int, *, send_date=None, scenario=None,
                       control: str | None = None, pre_days: int | None = None, weekly: bool = True,
                       columns: dict | None = None, name: str | None = None, work_folder=None,
                       twin_options: dict | None = None, progress=None):
    """The campaign of an order log and an assignment file: (``Campaign``, ``LogOutcomes``,
    offers by arm). ``arms`` maps each treated arm of the assignment to its offer file;
    ``scenario`` is the market on the send date (default: the log's twin, ``simlib.twin``);
    ``work_folder`` takes the twin's files (and a twin's customer file cut to the test's customers);
    ``twin_options`` are passed to ``simlib.twin`` (process, new_buyers, gross_margin, ...);
    ``columns`` the log's column names (customer_col, date_col, amount_col, date_format)."""
    from simlib.assignment import read_assignment
    from simlib.calibrate.transactions import read_transactions
    from simlib.calibrate.uplift.campaign import Campaign
    from simlib.errors import UserError
    columns = {k: v for k, v in (columns or {}).items() if v is not None}
    assignment_path = Path(assignment).resolve()
    table = read_assignment(assignment_path)
    if len(table.arm_names) < 2:
        raise user_error(f"{assignment}, column 'arm': "
                         + (f"only one arm ({table.arm_names[0]!r})" if table.arm_names else "no arm column")
                         + "; a campaign needs a control group and at least one treated arm (customer_id, arm)")
    control = table.control(control)
    treated = [a for a in table.arm_names if a != control]
    if not arms:
        raise user_error(f"say what each treated arm of {assignment} got: --arm ARM=OFFER.yaml "
                         f"(arms: {', '.join(treated)})")
    for arm in arms:
        if arm == control:
            raise user_error(f"--arm {arm}: {arm!r} is the control group; it gets nothing (the twin as it is)")
        if arm not in treated:
            from simlib.errors import did_you_mean
            raise user_error(f"--arm {arm}: no arm {arm!r} in {assignment}." + did_you_mean(arm, treated)
                             + f" Its arms: {', '.join(table.arm_names)}")
    unsaid = [a for a in treated if a not in arms]
    if unsaid:
        raise user_error(f"{assignment}, column 'arm': arm {unsaid[0]!r} is not declared; say what it got with "
                         f"--arm {unsaid[0]}=OFFER.yaml")
    offers = {arm: read_offer(path, f"--arm {arm}") for arm, path in arms.items()}
    stated = offer_send_dates(offers)
    if send_date is None:
        if len(stated) != 1:
            raise user_error("say when the campaign was sent: --send-date DATE, or on_date in the offer "
                             + ("(the offers name several: " + ", ".join(sorted(stated)) + ")" if stated else ""))
        send_date = next(iter(stated))
    say = progress or (lambda _line: None)
    say(f"reading {log}")
    log_data = read_transactions(log, **columns)
    send_day = log_data.to_day(send_date, "--send-date")
    if log_data.origin is None:
        raise user_error(f"{log}: the dates are day numbers; a campaign read from a log needs calendar dates "
                         "(its offer's on_date and the twin's start date)")
    send_text = str(log_data.to_date(send_day))
    if stated - {send_text}:
        raise user_error(f"the offers say they were sent on {', '.join(sorted(stated))}, the send date is "
                         f"{send_text}: give one date")
    outcomes = log_outcomes(log_data, table, send_day, window_days, control, pre_days, weekly)
    if scenario is None:
        say(f"building the twin on the send date, {send_text}, from the orders before it")
        market = twin_at(log, send_text, columns, work_folder, {"progress": progress, **(twin_options or {})})
    else:
        from simlib.run import as_scenario
        market = as_scenario(scenario)
        start = market.data["market"]["start_date"]
        if start is None:
            market = market.override({"market.start_date": send_text}, source="<send date>")
        elif str(start) != send_text:
            raise user_error(f"{market.source}: its day 0 is {start} (market.start_date), the campaign was sent on "
                             f"{send_text}: give the market on the send date (simlib twin ... --as-of {send_text})")
    market = test_customers_only(market, outcomes.ids, offers, work_folder)
    try:
        arm_scenarios = {arm: arm_scenario(market, offer, assignment_path, table.arm_names, str(arms[arm]))
                         for arm, offer in offers.items()}
    except UserError as exc:
        raise user_error(str(exc)) from None
    users = int(market.data["market"]["users"])
    campaign = Campaign(outcomes.data, market, arm_scenarios, None, {a: a for a in outcomes.data.arms},
                        "assigned", users, window_days, name or Path(str(assignment)).stem, 0, outcomes.ids)
    return campaign, outcomes, offers


def test_customers_only(market, ids, offers: dict, folder):
    """A twin cut to the test's customers: its customers do not act on each other (word of mouth
    and social proof are neutral in a twin, and stay so when the offers do not switch them on), so
    the others change nothing the test measures, and leaving them out saves their simulation.
    Any other market is returned as it is."""
    customers = market.data["market"].get("customers")
    social = ("social_proof_effect", "word_of_mouth_per_day", "awareness_per_day")
    behaviours = [market.data["behavior"]] + [o.get("behavior") or {} for o in offers.values()]
    if not customers or any(b.get(k, 0) for b in behaviours for k in social):
        return market
    frame = pd.read_csv(customers, dtype=str, keep_default_na=False)
    keep = frame[frame["customer_id"].str.strip().isin(set(ids.tolist()))]
    if len(keep) == len(frame):
        return market
    Path(folder).mkdir(parents=True, exist_ok=True)
    path = Path(folder) / "customers_in_test.csv"
    keep.to_csv(path, index=False)
    return market.override({"market.customers": str(path.resolve()), "market.users": len(keep),
                            "market.represents": len(keep)}, source="<the test's customers>")


def twin_at(log, as_of: str, columns: dict, out, options: dict) -> object:
    """The log's twin on ``as_of`` (``simlib.twin``, written to ``out``): its customers are the
    log's, with their ids, and its day 0 is the send date."""
    try:
        from simlib.calibrate.twin import twin
    except ImportError:
        raise user_error("this simlib cannot build a twin of the log: give --scenario, the market on the send date "
                         "whose customers carry the log's ids") from None
    return twin(log, as_of, out, **columns, **options).scenario
