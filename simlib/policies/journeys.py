"""SOP journeys: an entry trigger, then steps (content, coupons, chats, group invites, waits,
splits) that customers walk through, with frequency caps, exit on goal and a holdout group.

The language (steps, splits, actions) is parsed and checked in ``simlib/policies/journeys_lang.py``.
At run time customers at the same step on the same day move together as one cohort (numpy
index arrays); a wait puts the cohort on the journey's calendar and a SimPy process wakes it
at the ACT phase of the day it is due. Entries and goals are handled at REACT, after the
day's orders and moves, so a customer who enters on day d gets the first step on day d + 1.
"""

from __future__ import annotations

import numpy as np

from ..errors import ScenarioError, did_you_mean, short_repr
from .journeys_lang import (BUILTIN_EVENTS, END, compile_journey, resolve_entry)
from ..params import Param, resolve
from ..population import LOST, NEVER, STAGES
from .base import (CHAT_EFFECTS, MESSAGE_EFFECTS, PRICE_EFFECTS, USEFUL_CONTACT_EFFECTS,
                   Policy, check_reference, register_policy)
from .segments import FALLBACK_SEGMENTS, find_segments

NOT_IN, DONE, HOLDOUT = -1, -2, -3   # values of the per-customer step array besides step indices
MAX_VARIANTS = 127                   # variant codes are stored per customer as int8
UNSET = object()                     # event days not computed yet

QUIET_PARAMS = {
    "from_day": Param(0, "first quiet day", "day", int, low=0, basis="business"),
    "to_day": Param(0, "last quiet day", "day", int, low=0, basis="business"),
}


def publish_event(sim, name: str, idx) -> None:
    """Hook for any policy: customers ``idx`` saw event ``name`` today (a journey with
    ``entry: {trigger: event, event: NAME}`` enrols them at the next REACT phase). By
    convention ``name`` is the publishing policy's instance name."""
    sim.journey_events.append((sim.day, name, np.asarray(idx, np.int64)))


@register_policy("journey")
class Journey(Policy):
    """An operator's SOP as a journey (see ``journeys_lang`` for the step language).

    Entry: ``entry.trigger`` (entered_stage, joined_pond, event, segment, tag,
    days_since_purchase) for customers in the ``audience``; ``holdout_percent`` of entrants
    (a keyed draw per customer, the same in every arm) form a control group the journey
    never touches. Touch actions obey ``min_days_between_touches``, ``max_touches_per_week``
    and ``quiet_periods`` (capped touches wait a day, or are skipped). The goal (a purchase,
    or entering a stage) within ``goal_window_days`` of entry counts as a conversion for
    either group, and takes treated customers out of the journey (``exit_on_goal``); uplift
    = conversion rate of the treated - that of the holdout.
    """

    acts_through = MESSAGE_EFFECTS + PRICE_EFFECTS + USEFUL_CONTACT_EFFECTS + CHAT_EFFECTS
    params = {
        "entry": Param({"trigger": "joined_pond"}, "entry trigger: {trigger, stage|event|segment|tag|days}", "", object,
                       basis="structural"),
        "steps": Param([], "the SOP: a list of steps, each with one action (see docs)", "", list, basis="structural"),
        "audience": Param("pond", "who may enter: pond members only, or everyone (coupons then reach "
                                  "non-members directly; messages and chats only reach the pond)", "", str,
                          choices=("pond", "everyone"), basis="structural"),
        "holdout_percent": Param(10.0, "share of entrants kept as an untouched control group", "%", low=0.0, high=100.0,
                                 basis="business"),
        "goal": Param("purchase", "what counts as a conversion: 'purchase' (any order) or entering a stage", "", str,
                      basis="structural"),
        "exit_on_goal": Param(True, "treated customers leave the journey when they reach the goal", "", bool,
                              basis="structural"),
        "goal_window_days": Param(30, "a goal reached within this many days of entry counts as a conversion", "days",
                                  int, low=1, high=3650, basis="business"),
        "reentry_after_days": Param(None, "a customer may enter again this many days after the last entry "
                                          "(null: once only)", "days", int, low=1, nullable=True, basis="business"),
        "min_days_between_touches": Param(0, "quiet period: no touch within this many days of the last one", "days",
                                          int, low=0, high=365, basis="business"),
        "max_touches_per_week": Param(None, "frequency cap: touches per customer per calendar week (null: no cap)",
                                      "touches", int, low=1, high=100, nullable=True, basis="business"),
        "caps_across_journeys": Param(False, "count touches of every journey with this flag together for the caps "
                                             "(a customer's total, not this journey's alone)", "", bool,
                                             basis="structural"),
        "quiet_periods": Param([], "day ranges [{from_day, to_day}] with no touches (e.g. around a holiday)", "", list,
                               basis="business"),
        "when_capped": Param("delay", "a capped touch waits until the next day (delay) or is skipped", "", str,
                             choices=("delay", "skip"), basis="structural"),
        "chat_staff": Param(None, "staff_chats policy that serves assign_chat tasks (its capacity and cost apply); "
                                  "null: chats happen directly", "", str, nullable=True, basis="structural"),
        "direct_chats_per_day": Param(None, "without chat_staff: chats this journey may hold per day (null: no limit); "
                                            "the rest are dropped", "chats per day", int, low=0, nullable=True,
                                            basis="business"),
        "cost_cny_per_chat": Param(0.0, "without chat_staff: staff cost of one chat", "CNY", low=0.0, basis="business"),
        "group_policy": Param(None, "policy that takes invite_to_group (one with an invite(idx) method); "
                                    "null: the invitation is a message and the pop.group_invited flag", "", str,
                              nullable=True, basis="structural"),
        "record_steps": Param(False, "add a daily column per step with an explicit id: customers at that step "
                                     "(waiting there, or held by a cap)", "", bool, basis="structural"),
    }

    @classmethod
    def check(cls, params, source, path, market):
        params["entry"] = resolve_entry(params["entry"], source, f"{path}.entry")
        program = compile_journey(params["steps"], source, f"{path}.steps")
        if sum(len(s.variant_names) for s in program) > MAX_VARIANTS:
            raise ScenarioError(source, f"{path}.steps", f"at most {MAX_VARIANTS} variants in one journey")
        goal = params["goal"]
        if goal != "purchase" and goal not in STAGES[1:]:
            allowed = ("purchase",) + STAGES[1:]
            raise ScenarioError(source, f"{path}.goal", f"unknown goal {short_repr(goal)}." + did_you_mean(goal, allowed)
                                + " Allowed: " + ", ".join(allowed))
        quiet = []
        for i, q in enumerate(params["quiet_periods"]):
            key = f"{path}.quiet_periods[{i}]"
            if not isinstance(q, dict):
                raise ScenarioError(source, key, "expected {from_day, to_day}")
            q = resolve(QUIET_PARAMS, q, source, key)
            if q["to_day"] < q["from_day"]:
                raise ScenarioError(source, f"{key}.to_day", f"must be >= from_day ({q['from_day']})")
            quiet.append(q)
        params["quiet_periods"] = quiet

    @classmethod
    def check_references(cls, name, params, enabled, source):
        key = f"policies.{name}"
        program = compile_journey(params["steps"], source, f"{key}.steps")
        entry, trig = params["entry"], params["entry"]["trigger"]
        uses = {(k, s.condition[k], f"{s.key}.if.{k}") for s in program for k in ("segment", "tag")
                if s.kind == "split_if" and k in s.condition}
        if trig in ("segment", "tag"):
            uses.add((trig, entry[trig], f"{key}.entry.{trig}"))
        segments = next((p for p in enabled.values() if p["type"] == "segments"), None)
        for kind, target, where in sorted(uses):
            if segments is None:
                raise ScenarioError(source, where, f"targets {kind} {short_repr(target)} but the scenario has no "
                                                   "segments policy enabled; add one: {type: segments}")
            allowed = (list(segments["segments"]) + list(FALLBACK_SEGMENTS) if kind == "segment"
                       else list(segments["tags"]))
            if target not in allowed:
                raise ScenarioError(source, where, f"unknown {kind} {short_repr(target)}." + did_you_mean(target, allowed)
                                    + f" {kind.capitalize()}s: " + ", ".join(allowed))
        if trig == "event" and entry["event"] not in BUILTIN_EVENTS:
            names = [n for n in enabled if n != name]
            if entry["event"] not in names:
                raise ScenarioError(source, f"{key}.entry.event", f"unknown event {short_repr(entry['event'])}."
                                    + did_you_mean(entry["event"], list(BUILTIN_EVENTS) + names)
                                    + " Allowed: " + ", ".join(BUILTIN_EVENTS)
                                    + ", or the name of an enabled policy that publishes events")
        if params["chat_staff"] is not None:
            check_reference(params["chat_staff"], enabled, source, f"{key}.chat_staff", "a staff_chats policy",
                            lambda c: hasattr(c, "assign"), " Add one with type: staff_chats")
        if params["group_policy"] is not None:
            check_reference(params["group_policy"], enabled, source, f"{key}.group_policy",
                            "a policy with invite(idx)", lambda c: hasattr(c, "invite"))

    # --- lifecycle ----------------------------------------------------------------------
    def init(self):
        sim, p, pop = self.sim, self.p, self.sim.pop
        src = sim.scenario.source
        key = f"policies.{self.name}"
        self.program = compile_journey(p["steps"], src, f"{key}.steps")
        self.entry = p["entry"]
        self._is_wait = np.array([s.kind == "wait" for s in self.program])
        self._next = np.array([s.next for s in self.program], np.int16)
        # each entrant's step (or NOT_IN, DONE, HOLDOUT): one byte for a journey of up to 126 steps;
        # rows for the customers who ever entered (simlib.sparse_state), NOT_IN for the others
        self.step = pop.add_sparse(f"{self.name}_step", np.int8 if len(self.program) < 127 else np.int16, NOT_IN)
        self.wake = pop.add_sparse(f"{self.name}_wake_day", np.int16, NEVER)
        self.entry_day = pop.add_sparse(f"{self.name}_entry_day", np.int16, NEVER)
        self.goal_day = pop.add_sparse(f"{self.name}_goal_day", np.int16, NEVER)
        self.variant = pop.add_sparse(f"{self.name}_variant", np.int8, -1)
        # touch history for the caps: this journey's own, or one shared by every journey that says so
        prefix = "journeys" if p["caps_across_journeys"] else self.name

        def touch_array(suffix, dtype, fill, needed):
            """A cap's per-customer history: only when a cap reads it (shared caps: always, another
            journey may read it)."""
            name = f"{prefix}_{suffix}"
            if not (needed or p["caps_across_journeys"]):
                return None
            shared = p["caps_across_journeys"] and hasattr(pop, name)
            return getattr(pop, name) if shared else pop.add_sparse(name, dtype, fill)
        self.last_touch = touch_array("last_touch_day", np.int16, NEVER, p["min_days_between_touches"] > 0)
        weekly = p["max_touches_per_week"] is not None
        self.touch_week = touch_array("touch_week", np.int16, NEVER, weekly)
        self.week_touches = touch_array("week_touches", np.int8, 0, weekly)
        self.quiet = np.zeros(sim.days + 1, bool)
        for q in p["quiet_periods"]:
            self.quiet[q["from_day"]:q["to_day"] + 1] = True
        trig = self.entry["trigger"]
        self.segments = find_segments(sim)   # references to other policies were checked at validation
        self.staff = self._other(p["chat_staff"])
        self.groups = self._other(p["group_policy"])
        if self.groups is None and any(s.kind == "invite_to_group" for s in self.program):
            self.group_invited = getattr(pop, "group_invited", None)
            if self.group_invited is None:
                self.group_invited = pop.add_sparse("group_invited", bool, False)
        self._prev_pond = pop.in_pond.copy() if trig == "joined_pond" else None
        self._recency_due: dict[int, list] = {}
        self._events_seen = 0
        self._event_days = UNSET
        self._calendar: dict[int, list] = {}   # day -> cohorts whose next step is due that day
        # variant codes over every variants split: code -> (step id, variant name)
        self.variant_labels = [(s.id, v) for s in self.program if s.kind == "split_variants" for v in s.variant_names]
        self._variant_base = {}
        base = 0
        for i, s in enumerate(self.program):
            if s.kind == "split_variants":
                self._variant_base[i] = base
                base += len(s.variant_names)
        self.variant_assigned = np.zeros(max(base, 1), np.int64)
        self.variant_converted = np.zeros(max(base, 1), np.int64)
        self.totals = dict.fromkeys(("entered", "holdout_entered", "converted", "holdout_converted", "touches",
                                     "capped", "chats", "chats_dropped", "invites", "group_joins", "coupons",
                                     "exits_on_goal"), 0)
        self.counts_today = dict.fromkeys(self.totals, 0)
        self._chats_today = (-1, 0)

    def _other(self, name):
        return None if name is None else next(q for q in self.sim.policies if q.name == name)

    def act(self, day):
        """Walk the customers whose next step is due today."""
        if day in self._calendar:
            self._advance(day)

    def react(self, day):
        """Goals reached today, then today's entries."""
        if self._event_days is UNSET:   # other policies' calendars are known once all have init()
            self._event_days = self._scheduled_event_days()
        self._goals(day)
        self._enter(day)

    def _scheduled_event_days(self):
        """Entry days for an event that is a calendar policy (festival main days, livestream
        sessions), ``days_before`` ahead; None for built-in or published events."""
        e = self.entry
        if e["trigger"] != "event" or e["event"] in BUILTIN_EVENTS:
            return None
        source = next(q for q in self.sim.policies if q.name == e["event"])
        if hasattr(source, "main_days"):          # festival_calendar
            days = sorted({d for ds in source.main_days.values() for d in ds})
        elif hasattr(source, "session_days"):     # livestream
            days = source.session_days()
        else:
            return None
        return {d - e["days_before"] for d in days if d - e["days_before"] >= 0}

    def record(self, day):
        out = dict(self.counts_today)
        for k, v in self.counts_today.items():
            self.totals[k] += v
            self.counts_today[k] = 0
        if self.p["record_steps"]:
            held = self.step.values[:self.step.state.used]   # the entrants' rows (NOT_IN < 0 elsewhere)
            st = held[held >= 0]
            counts = np.bincount(st, minlength=len(self.program))
            for i, s in enumerate(self.program):
                if s.named:
                    out[f"at.{s.id}"] = int(counts[i])
        return out

    def finalize(self):
        t, pre = self.totals, f"{self.name}."
        rate = t["converted"] / t["entered"] if t["entered"] else float("nan")
        hold = t["holdout_converted"] / t["holdout_entered"] if t["holdout_entered"] else float("nan")
        out = {f"{pre}{k}": int(v) for k, v in t.items()}
        out[f"{pre}conversion_rate"] = rate
        out[f"{pre}holdout_conversion_rate"] = hold
        out[f"{pre}uplift"] = rate - hold
        n1, n0 = t["entered"], t["holdout_entered"]
        out[f"{pre}uplift_se"] = (float(np.sqrt(rate * (1 - rate) / n1 + hold * (1 - hold) / n0))
                                  if n1 and n0 else float("nan"))   # binomial standard error of the difference
        out[f"{pre}incremental_conversions"] = (rate - hold) * t["entered"]
        for code, (sid, name) in enumerate(self.variant_labels):
            a, c = int(self.variant_assigned[code]), int(self.variant_converted[code])
            out[f"{pre}variant.{sid}.{name}.assigned"] = a
            out[f"{pre}variant.{sid}.{name}.converted"] = c
            out[f"{pre}variant.{sid}.{name}.conversion_rate"] = c / a if a else float("nan")
        return out

    # --- entry and goals (REACT) --------------------------------------------------------------
    def _candidates(self, day: int) -> np.ndarray:
        sim, pop, e = self.sim, self.sim.pop, self.entry
        trig = e["trigger"]
        if trig == "entered_stage":
            return sim.today.entered(STAGES.index(e["stage"]))
        if trig == "joined_pond":
            if not sim.today.pond_joins:
                return np.zeros(0, np.int64)
            changed = np.flatnonzero(pop.in_pond != self._prev_pond)   # one pass; joins and leaves
            now = pop.in_pond[changed]
            self._prev_pond[changed] = now
            return changed[now]
        if trig in ("segment", "tag"):
            return self.segments.members(e[trig])
        if trig == "days_since_purchase":
            idx, _, _ = sim.today.orders()
            if idx.size and day + e["days"] < sim.days:
                self._recency_due.setdefault(day + e["days"], []).append(np.unique(idx))
            due = self._recency_due.pop(day, None)
            if not due:
                return np.zeros(0, np.int64)
            due = np.unique(np.concatenate(due))
            return due[pop.last_purchase_day[due] == day - e["days"]]
        # events
        name = e["event"]
        if name in BUILTIN_EVENTS:
            idx, _, discount = sim.today.orders()
            if name == "coupon_redeemed":
                idx = idx[discount > 0]
            idx = np.unique(idx)
            if name == "first_purchase":
                idx = idx[pop.first_purchase_day[idx] == day]
            elif name == "repeat_purchase":
                idx = idx[pop.orders[idx] >= 2]
            return idx
        if self._event_days is not None:          # a calendar policy: everyone in the audience enters
            if day not in self._event_days:
                return np.zeros(0, np.int64)
            return sim.pond_members() if self.p["audience"] == "pond" else np.flatnonzero(pop.stage != LOST)
        events = sim.journey_events
        got = [ix for d, n, ix in events[self._events_seen:] if n == name and d <= day]
        self._events_seen = len(events)
        return np.unique(np.concatenate(got)) if got else np.zeros(0, np.int64)

    def _enter(self, day: int) -> None:
        pop, p = self.sim.pop, self.p
        cand = self._candidates(day)
        if not cand.size:
            return
        ok = pop.stage[cand] != LOST
        if p["audience"] == "pond":
            ok &= pop.in_pond[cand]
        st = self.step[cand]
        fresh = st == NOT_IN
        if p["reentry_after_days"] is not None:
            fresh |= ((st == DONE) | (st == HOLDOUT)) & (day - self.entry_day[cand] >= p["reentry_after_days"])
        cand = cand[ok & fresh]
        if not cand.size:
            return
        holdout = self.sim.rng.uniform(f"journey:{self.name}:holdout", -1, cand) * 100.0 < p["holdout_percent"]
        self.entry_day[cand] = day
        self.goal_day[cand] = NEVER
        self.variant[cand] = -1
        self.step[cand[holdout]] = HOLDOUT
        treated = cand[~holdout]
        self.step[treated] = 0
        self._schedule(treated, day + 1)
        self.counts_today["entered"] += treated.size
        self.counts_today["holdout_entered"] += cand.size - treated.size

    def _goals(self, day: int) -> None:
        sim = self.sim
        if self.p["goal"] == "purchase":
            who = sim.today.orders()[0]
        else:
            who = sim.today.entered(STAGES.index(self.p["goal"]))
        if not who.size:
            return
        entry = self.entry_day[who].astype(np.int32)
        who = who[(entry != NEVER) & (self.goal_day[who] == NEVER) & (day - entry <= self.p["goal_window_days"])]
        if not who.size:
            return
        who = np.unique(who)   # after the filter: a customer may have ordered twice today
        self.goal_day[who] = day
        st = self.step[who]
        hold = st == HOLDOUT
        self.counts_today["holdout_converted"] += int(np.count_nonzero(hold))
        self.counts_today["converted"] += int(np.count_nonzero(~hold))
        v = self.variant[who[~hold]]
        v = v[v >= 0]
        if v.size:
            self.variant_converted += np.bincount(v, minlength=self.variant_converted.size)
        if self.p["exit_on_goal"]:
            active = who[st >= 0]
            self.step[active] = DONE
            self.counts_today["exits_on_goal"] += active.size

    # --- walking the steps (ACT) ---------------------------------------------------------------
    def _schedule(self, idx: np.ndarray, day: int) -> None:
        """Put ``idx`` on the calendar for ``day``: ``act`` walks the day's cohort."""
        if not idx.size or day >= self.sim.days:
            return
        self.wake[idx] = day
        self._calendar.setdefault(day, []).append(idx)

    def _advance(self, day: int) -> None:
        parts = self._calendar.pop(day, [])
        if not parts:
            return
        idx = np.unique(np.concatenate(parts))
        idx = idx[(self.step[idx] >= 0) & (self.wake[idx] == day)]   # drop who left or was rescheduled
        lost = self.sim.pop.stage[idx] == LOST                        # the lost leave the journey
        if lost.any():
            self.step[idx[lost]] = DONE
            idx = idx[~lost]
        at = self.step[idx]
        waited = self._is_wait[at]                                    # their wait is over: move on
        if waited.any():
            to = self._next[at[waited]]
            self.step[idx[waited]] = np.where(to == END, DONE, to)
            idx = np.concatenate([idx[~waited], idx[waited][to != END]])
        for _ in range(len(self.program) + 1):
            if not idx.size:
                return
            at = self.step[idx]
            moving, targets = [], []
            for s in np.unique(at):
                cohort = idx[at == s]
                go, to = self._run(int(s), cohort, day)
                moving.append(go)
                targets.append(to)
            idx = np.concatenate(moving)
            to = np.concatenate(targets).astype(np.int16)
            self.step[idx[to == END]] = DONE
            keep = to != END
            idx = idx[keep]
            self.step[idx] = to[keep]
        raise RuntimeError(f"journey {self.name}: a loop without a wait on day {day}")  # prevented by the checker

    def _run(self, s: int, cohort: np.ndarray, day: int):
        """Run step ``s`` for ``cohort``; returns (who moves on now, the step each goes to)."""
        step, sim, pop = self.program[s], self.sim, self.sim.pop
        kind = step.kind
        if kind == "wait":                      # customers wait *at* the wait step (see record_steps)
            self._schedule(cohort, day + step.wait_days)
            return cohort[:0], np.zeros(0, np.int16)
        if kind == "exit":
            return cohort, np.full(cohort.size, END)
        if kind == "split_variants":
            u = sim.rng.uniform(f"journey:{self.name}:{step.id}", -1, cohort) * 100.0
            k = np.minimum(np.searchsorted(np.asarray(step.cum_percent), u, side="right"), len(step.targets) - 1)
            code = self._variant_base[s] + k
            self.variant[cohort] = code
            self.variant_assigned += np.bincount(code, minlength=self.variant_assigned.size)
            return cohort, np.asarray(step.targets)[k]
        if kind == "split_if":
            hit = self._condition(step.condition, cohort)
            return cohort, np.where(hit, step.targets[0], step.targets[1])
        # touches
        allowed = self._allowed(cohort, day)
        if not allowed.all():
            capped = cohort[~allowed]
            self.counts_today["capped"] += capped.size
            if self.p["when_capped"] == "delay":
                self._schedule(capped, day + 1)
                cohort = cohort[allowed]
        touch = cohort if self.p["when_capped"] == "delay" else cohort[allowed]
        reached = self._touch(kind, step.args, touch, day)
        self._touched(reached, day)
        return cohort, np.full(cohort.size, step.next)

    def _condition(self, cond: dict, idx: np.ndarray) -> np.ndarray:
        pop = self.sim.pop
        if "attribute" in cond:
            values = getattr(pop, cond["attribute"])[idx]
            return values > cond["above"] if "above" in cond else values < cond["below"]
        if "segment" in cond:
            return self.segments.is_member(cond["segment"], idx)
        if "tag" in cond:
            return self.segments.is_member(cond["tag"], idx)
        if "stage" in cond:
            return pop.stage[idx] == STAGES.index(cond["stage"])
        if "in_pond" in cond:
            return pop.in_pond[idx] == cond["in_pond"]
        last = pop.last_purchase_day[idx].astype(np.int32)
        bought = (last != NEVER) & (last >= self.entry_day[idx])
        return bought == cond["purchased_since_entry"]

    def _allowed(self, idx: np.ndarray, day: int) -> np.ndarray:
        p = self.p
        if self.quiet[day]:
            return np.zeros(idx.size, bool)
        ok = np.ones(idx.size, bool)
        if p["min_days_between_touches"]:
            last = self.last_touch[idx].astype(np.int32)
            ok &= (last == NEVER) | (day - last >= p["min_days_between_touches"])
        if p["max_touches_per_week"] is not None:
            ok &= (self.touch_week[idx] != day // 7) | (self.week_touches[idx] < p["max_touches_per_week"])
        return ok

    def _touched(self, idx: np.ndarray, day: int) -> None:
        if not idx.size:
            return
        week = day // 7
        if self.touch_week is not None:
            self.week_touches[idx[self.touch_week[idx] != week]] = 0
            self.touch_week[idx] = week
            self.week_touches[idx] += 1
        if self.last_touch is not None:
            self.last_touch[idx] = day
        self.counts_today["touches"] += idx.size

    def _touch(self, kind: str, args: dict, idx: np.ndarray, day: int) -> np.ndarray:
        """Do a touch action for ``idx``; returns who it reached."""
        sim, pop = self.sim, self.sim.pop
        if not idx.size:
            return idx
        if kind == "send_content":
            to = sim.message(idx, quality=args["quality"], count=args["count"])
            if args["cost_cny"] and to.size:
                sim.ledger.post(day, "content_production", args["cost_cny"] * to.size, source=self.name, per_customer=True)
            return to
        if kind == "give_coupon":
            to = sim.message(idx, quality=0.0)          # the coupon arrives as a (commercial) message
            if self.p["audience"] == "everyone":
                to = idx[pop.stage[idx] != LOST]         # platform coupon for those outside the pond
            sim.give_coupon(to, self.name, off_share=args["off_share"], off_cny=args["off_cny"],
                            min_spend_cny=args["min_spend_cny"], valid_days=args["valid_days"])
            self.counts_today["coupons"] += to.size
            return to
        if kind == "assign_chat":
            to = idx[pop.in_pond[idx] & (pop.stage[idx] != LOST)]
            if self.staff is not None:
                self.staff.assign(to, priority=args["priority"])
            else:
                cap = self.p["direct_chats_per_day"]
                if cap is not None:
                    used = self._chats_today[1] if self._chats_today[0] == day else 0
                    room = max(cap - used, 0)
                    self.counts_today["chats_dropped"] += max(to.size - room, 0)
                    to = to[:room]
                    self._chats_today = (day, used + to.size)
                to = sim.chat(to)
                if self.p["cost_cny_per_chat"] and to.size:
                    sim.ledger.post(day, "staff", self.p["cost_cny_per_chat"] * to.size, source=self.name, per_customer=True)
            self.counts_today["chats"] += to.size
            return to
        # invite_to_group
        to = idx[pop.in_pond[idx] & (pop.stage[idx] != LOST)]
        if self.groups is not None:
            joined = self.groups.invite(to)
            self.counts_today["group_joins"] += 0 if joined is None else len(joined)
        else:
            to = sim.message(to, quality=0.5)
            self.group_invited[to] = True
        self.counts_today["invites"] += to.size
        return to
