"""The SOP journey language: YAML steps an operator can read, checked and compiled to a program.

A journey (``type: journey`` in ``policies:``) is an entry trigger plus a list of steps. Each
step is a mapping with exactly one action key, an optional ``id`` (to jump to) and an optional
``goto`` (the step after it; default: the next one in the list; ``end`` leaves the journey)::

    steps:
      - send_content: {quality: 0.9}            # useful content (value first)
      - wait: 3                                 # days
      - id: offer
        split:                                  # random / A-B: percents sum to 100
          variants:
            - {name: small, percent: 50, goto: small_coupon}
            - {name: big, percent: 50, goto: big_coupon}
      - id: small_coupon
        give_coupon: {off_share: 0.1, valid_days: 7}
        goto: follow_up
      - id: big_coupon
        give_coupon: {off_share: 0.2, valid_days: 7}
      - id: follow_up
        wait: 5
      - split: {if: {attribute: trust, above: 0.3}, then: chat, else: end}
      - id: chat
        assign_chat: {}

Actions: ``send_content``, ``give_coupon``, ``assign_chat``, ``invite_to_group`` (touches),
``wait``, ``split``, ``exit``. ``compile_journey`` returns plain data (a list of ``Step``);
every mistake is a ScenarioError naming the file, the key path and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ScenarioError, did_you_mean, short_repr
from ..params import Param, resolve
from ..population import STAGES

END = -1  # "leave the journey" as a step target
MAX_STEPS = 10_000  # steps are stored per customer as int16

TRIGGERS = ("entered_stage", "joined_pond", "event", "segment", "tag", "days_since_purchase")
BUILTIN_EVENTS = ("purchase", "first_purchase", "repeat_purchase", "coupon_redeemed")
TOUCH_ACTIONS = ("send_content", "give_coupon", "assign_chat", "invite_to_group")
ACTIONS = TOUCH_ACTIONS + ("wait", "split", "exit")
STEP_KEYS = ("id", "goto") + ACTIONS
ATTRIBUTES = ("trust", "fatigue", "orders", "price_sensitivity", "content_affinity", "social_susceptibility",
              "purchase_rate_per_day", "basket_value_cny", "message_tolerance_per_week")

ENTRY_PARAMS = {
    "trigger": Param("joined_pond", "what puts a customer into the journey", "", str, basis="structural"),
    "stage": Param(None, "entered_stage: the stage entered today", "", str, nullable=True, basis="structural"),
    "event": Param(None, "event: a built-in event (" + ", ".join(BUILTIN_EVENTS) + ") or the name of a policy "
                         "that publishes events", "", str, nullable=True, basis="structural"),
    "segment": Param(None, "segment: an RFM segment of the scenario's segments policy", "", str, nullable=True,
                     basis="structural"),
    "tag": Param(None, "tag: a tag of the scenario's segments policy", "", str, nullable=True, basis="structural"),
    "days": Param(None, "days_since_purchase: this many days after a customer's last order", "days", int,
                  low=1, high=3650, nullable=True, basis="business"),
    "days_before": Param(1, "event from a festival_calendar or livestream policy: enter this many days before "
                            "each festival main day or session (1: the first step lands on the day itself)",
                         "days", int, low=0, high=365, basis="business"),
}
TRIGGER_NEEDS = {"entered_stage": "stage", "event": "event", "segment": "segment", "tag": "tag",
                 "days_since_purchase": "days", "joined_pond": None}

ACTION_PARAMS = {
    "send_content": {
        "quality": Param(0.8, "usefulness: 1 useful content, 0 hard ad", "0-1", low=0.0, high=1.0, basis="business"),
        "count": Param(1, "messages in this send", "messages", int, low=1, high=20, basis="business"),
        "cost_cny": Param(0.0, "cost per customer reached (production, sending)", "CNY", low=0.0, basis="business"),
    },
    "give_coupon": {
        "off_share": Param(0.1, "share of the order value taken off", "share", low=0.0, high=1.0, basis="business"),
        "off_cny": Param(0.0, "fixed amount taken off", "CNY", low=0.0, basis="business"),
        "min_spend_cny": Param(0.0, "order value needed to use the coupon", "CNY", low=0.0, basis="business"),
        "valid_days": Param(7, "days the coupon can be used, from the day it is given", "days", int, low=1, high=3650,
                            basis="business"),
    },
    "assign_chat": {
        "priority": Param(-1, "priority on the staff team's queue (lower first)", "", int, basis="business"),
    },
    "invite_to_group": {},
}


@dataclass
class Step:
    """One compiled step. ``next`` is a step index or END; ``branches`` hold split targets."""

    kind: str
    key: str                                     # key path, for messages
    id: str
    args: dict = field(default_factory=dict)
    next: int = END
    wait_days: int = 0
    cum_percent: list = field(default_factory=list)  # variants: cumulative percents (last = 100)
    variant_names: list = field(default_factory=list)
    targets: list = field(default_factory=list)      # variants: step per variant; if: [then, else]
    condition: dict = field(default_factory=dict)
    named: bool = False                          # the step has an explicit id (record_steps reports it)


def resolve_entry(entry, source: str, path: str) -> dict:
    if isinstance(entry, str):
        entry = {"trigger": entry}
    if not isinstance(entry, dict):
        raise ScenarioError(source, path, "expected {trigger: ...}; triggers: " + ", ".join(TRIGGERS))
    out = resolve(ENTRY_PARAMS, entry, source, path)
    trig = out["trigger"]
    if trig not in TRIGGERS:
        raise ScenarioError(source, f"{path}.trigger", f"unknown trigger {short_repr(trig)}." + did_you_mean(trig, TRIGGERS)
                            + " Allowed: " + ", ".join(TRIGGERS))
    need = TRIGGER_NEEDS[trig]
    if need is not None and out[need] is None:
        raise ScenarioError(source, f"{path}.{need}", f"trigger {trig} needs {need}")
    if trig != "event" and "days_before" in entry:
        raise ScenarioError(source, f"{path}.days_before", f"not used by trigger {trig} (only by event)")
    for key in ("stage", "event", "segment", "tag", "days"):
        if key != need and out[key] is not None:
            raise ScenarioError(source, f"{path}.{key}", f"not used by trigger {trig}"
                                + (f" (it uses {need})" if need else ""))
    if trig == "entered_stage" and out["stage"] not in STAGES[1:]:
        raise ScenarioError(source, f"{path}.stage", f"unknown stage {short_repr(out['stage'])}." + did_you_mean(out["stage"], STAGES)
                            + " Allowed: " + ", ".join(STAGES[1:]))
    keep = {"trigger"} | ({need} if need else set()) | ({"days_before"} if trig == "event" else set())
    return {k: v for k, v in out.items() if k in keep}   # only what the trigger uses: round-trips through YAML


def compile_journey(steps, source: str, path: str) -> list[Step]:
    """Check ``steps`` (the YAML list) and return the compiled program."""
    if not isinstance(steps, list) or not steps:
        raise ScenarioError(source, path, "expected a non-empty list of steps; each step has one action: "
                            + ", ".join(ACTIONS))
    if len(steps) > MAX_STEPS:
        raise ScenarioError(source, path, f"{len(steps):,} steps; a journey has at most {MAX_STEPS:,} "
                                          "(split it into journeys that hand over through events)")
    ids: dict[str, int] = {}
    for i, raw in enumerate(steps):
        key = f"{path}[{i}]"
        if not isinstance(raw, dict):
            raise ScenarioError(source, key, "expected a mapping with one action (" + ", ".join(ACTIONS) + ")")
        sid = raw.get("id", f"step{i + 1}")
        if not isinstance(sid, str) or not sid or sid == "end":
            raise ScenarioError(source, f"{key}.id", f"expected a non-empty name other than 'end', got {short_repr(sid)}")
        if sid in ids:
            raise ScenarioError(source, f"{key}.id", f"step id {short_repr(sid)} is used twice (also {path}[{ids[sid]}])")
        ids[sid] = i

    def target(name, key):
        if name == "end":
            return END
        if not isinstance(name, str) or name not in ids:
            raise ScenarioError(source, key, f"no step with id {short_repr(name)}." + did_you_mean(name, ids)
                                + " Step ids: " + ", ".join(ids) + " (or 'end')")
        return ids[name]

    program = []
    for i, raw in enumerate(steps):
        key = f"{path}[{i}]"
        for k in raw:
            if k not in STEP_KEYS:
                raise ScenarioError(source, f"{key}.{k}", f"unknown action {short_repr(k)}." + did_you_mean(k, STEP_KEYS)
                                    + " Allowed actions: " + ", ".join(ACTIONS) + " (plus id, goto)")
        actions = [k for k in raw if k in ACTIONS]
        if len(actions) != 1:
            raise ScenarioError(source, key, "a step needs exactly one action (" + ", ".join(ACTIONS) + f"), got "
                                + (", ".join(actions) if actions else "none"))
        kind = actions[0]
        body = raw[kind]
        step = Step(kind=kind, key=f"{key}.{kind}", id=raw.get("id", f"step{i + 1}"), named="id" in raw)
        step.next = target(raw["goto"], f"{key}.goto") if "goto" in raw else (i + 1 if i + 1 < len(steps) else END)
        if kind in ACTION_PARAMS:
            step.args = resolve(ACTION_PARAMS[kind], {} if body is None else body, source, step.key)
        elif kind == "wait":
            days = body.get("days") if isinstance(body, dict) and set(body) == {"days"} else body
            step.wait_days = Param(1, "", "days", int, low=1, high=3650).check(days, source, step.key)
        elif kind == "exit":
            if body not in (True, None, {}):
                raise ScenarioError(source, step.key, "write `exit: true`")
            step.next = END
        else:
            _compile_split(step, body, source, target, step.next)
        program.append(step)
    _check_no_instant_cycle(program, source, path)
    return program


def _compile_split(step: Step, body, source: str, target, default_next: int) -> None:
    key = step.key
    if not isinstance(body, dict) or len(set(body) & {"variants", "if"}) != 1:
        raise ScenarioError(source, key, "expected either {variants: [{name, percent, goto}, ...]} "
                                         "or {if: CONDITION, then: STEP, else: STEP}")
    if "variants" in body:
        extra = set(body) - {"variants"}
        if extra:
            raise ScenarioError(source, f"{key}.{sorted(extra)[0]}", "unknown key; a variants split has only 'variants'")
        variants = body["variants"]
        if not isinstance(variants, list) or len(variants) < 2:
            raise ScenarioError(source, f"{key}.variants", "expected a list of at least 2 {name, percent, goto}")
        total = 0.0
        spec = {"name": Param(None, "", kind=str, nullable=True,
                              basis="structural"), "percent": Param(0.0, "", "%", low=0.0, high=100.0,
                                                                                   basis="structural"),
                "goto": Param("", "", kind=str, basis="structural")}
        for j, v in enumerate(variants):
            vkey = f"{key}.variants[{j}]"
            if not isinstance(v, dict) or "percent" not in v or "goto" not in v:
                raise ScenarioError(source, vkey, "expected {name, percent, goto}")
            v = resolve(spec, v, source, vkey)
            total += v["percent"]
            step.cum_percent.append(total)
            step.variant_names.append(v["name"] or f"variant{j + 1}")
            step.targets.append(target(v["goto"], f"{vkey}.goto"))
        if abs(total - 100.0) > 1e-6:
            raise ScenarioError(source, f"{key}.variants", f"percents must sum to 100, they sum to {total:g}")
        if len(set(step.variant_names)) != len(step.variant_names):
            raise ScenarioError(source, f"{key}.variants", "variant names must differ")
        step.kind = "split_variants"
        return
    extra = set(body) - {"if", "then", "else"}
    if extra:
        raise ScenarioError(source, f"{key}.{sorted(extra)[0]}", "unknown key; allowed: if, then, else")
    cond = body["if"]
    ckey = f"{key}.if"
    kinds = ("attribute", "segment", "tag", "stage", "in_pond", "purchased_since_entry")
    if not isinstance(cond, dict) or not cond:
        raise ScenarioError(source, ckey, "expected one of: " + ", ".join(kinds))
    main = [k for k in cond if k in kinds]
    for k in cond:
        if k not in kinds + ("above", "below"):
            raise ScenarioError(source, f"{ckey}.{k}", "unknown condition." + did_you_mean(k, kinds)
                                + " Allowed: " + ", ".join(kinds))
    if len(main) != 1:
        raise ScenarioError(source, ckey, "expected exactly one of: " + ", ".join(kinds))
    kind = main[0]
    value = cond[kind]
    if kind == "attribute":
        if value not in ATTRIBUTES:
            raise ScenarioError(source, f"{ckey}.attribute", f"unknown attribute {short_repr(value)}." + did_you_mean(value, ATTRIBUTES)
                                + " Allowed: " + ", ".join(ATTRIBUTES))
        bounds = [k for k in ("above", "below") if k in cond]
        if len(bounds) != 1:
            raise ScenarioError(source, ckey, "an attribute condition needs exactly one of above, below")
        Param(0.0, "").check(cond[bounds[0]], source, f"{ckey}.{bounds[0]}")
    else:
        if "above" in cond or "below" in cond:
            raise ScenarioError(source, ckey, "above/below go with attribute only")
        if kind == "stage" and value not in STAGES:
            raise ScenarioError(source, f"{ckey}.stage", f"unknown stage {short_repr(value)}." + did_you_mean(value, STAGES)
                                + " Allowed: " + ", ".join(STAGES))
        if kind in ("segment", "tag") and not isinstance(value, str):
            raise ScenarioError(source, f"{ckey}.{kind}", "expected a name")
        if kind in ("in_pond", "purchased_since_entry") and not isinstance(value, bool):
            raise ScenarioError(source, f"{ckey}.{kind}", "expected true or false")
    step.condition = dict(cond)
    step.targets = [target(body["then"], f"{key}.then") if "then" in body else default_next,
                    target(body["else"], f"{key}.else") if "else" in body else default_next]
    step.kind = "split_if"


def _successors(step: Step) -> list[int]:
    if step.kind in ("split_variants", "split_if"):
        return [t for t in step.targets if t != END]
    return [] if step.next == END else [step.next]


def _check_no_instant_cycle(program: list[Step], source: str, path: str) -> None:
    """A loop through steps none of which waits would run forever within one day.

    Depth-first search over the steps that do not wait, with an explicit stack (a journey may
    have thousands of steps; recursion would hit Python's limit)."""
    state = [0] * len(program)  # 0 new, 1 on the current path, 2 done
    for start in range(len(program)):
        if state[start] or program[start].kind == "wait":
            continue
        state[start] = 1
        trail = [start]
        pending = [iter(_successors(program[start]))]
        while pending:
            j = next(pending[-1], None)
            if j is None:
                state[trail.pop()] = 2
                pending.pop()
                continue
            if program[j].kind == "wait" or state[j] == 2:
                continue
            if state[j] == 1:
                loop = trail[trail.index(j):] + [j]
                raise ScenarioError(source, path, "steps form a loop with no wait: "
                                    + " -> ".join(program[k].id for k in loop) + "; put a `wait:` step inside the loop")
            state[j] = 1
            trail.append(j)
            pending.append(iter(_successors(program[j])))
