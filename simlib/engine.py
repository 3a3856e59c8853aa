"""Sim: one run of one scenario with one seed, clocked by a ``simpy.Environment``.

ORDER OF WORK IN ONE SIMULATED DAY (the day d runs from time d to d + 1; this docstring is
the one place the order is written down, and ``Sim._days`` is its only code)

    d + 0.0  BEGIN    engine: today's inputs (``Today``) and today's coupon redemptions are
                      reset; the season's purchase-rate multiplier is set (behavior.seasonal_index);
                      social proof per channel is set (buyer share, extrapolated to mid-day),
                      and recent buyers' word of mouth when it fades.
    d + 0.1  ACT      policies whose ``act_days`` include d act, in the order the scenario
                      lists them: ads buy reach, content, coupons and gifts go out, journeys
                      advance, chat tasks queue.
    d + 0.2  OUTREACH policies with a shared resource (staff, a ``simpy.PriorityResource``)
                      start their SimPy processes, which hold staff until d + 0.45; tasks
                      still waiting then are dropped and counted.
    d + 0.5  STEP     the population step (``dynamics.PopulationStep``): hazards from the
                      state at the start of the day and today's inputs, held for the day;
                      exact event times within the day (stage moves, orders with their coupons
                      and money, dropout, unsubscribing); then pond entry, then trust and
                      fatigue (they act from tomorrow).
    d + 0.6  REACT    policies whose ``react_days`` include d react, in scenario order, to
                      today's orders and moves (ladders step, points are earned, KOCs named,
                      journeys enrol).
    d + 0.9  RECORD   engine: the day's row (stage counts, money, every policy's columns).

The engine is the conductor: it owns the clock, calls each policy's lifecycle (``init``,
``act``, ``outreach``, ``react``, ``record``, ``finalize``) on the days the policy declares,
and hands the step its explicit inputs. Policies reach the customers through the small API
below (``message``, ``chat``, ``give_coupon``, ``pond_members``).
"""

from __future__ import annotations

import time

import numpy as np
import simpy

from .behavior import Behavior, seasonal_multipliers
from .dynamics import PopulationStep
from .ledger import Ledger
from .policies.base import Policy, policy_types
from .population import INTERESTED, LOST, STAGES, Population
from .rng import Keyed
from .today import Today


# the daily row's money columns (``Ledger.daily_money``), in the row's order
MONEY_COLUMNS = ("gmv_cny", "pond_gmv_cny", "discount_cny", "cogs_cny", "ad_spend_cny", "marketing_cost_cny",
                 "gross_profit_cny", "net_profit_cny")
MONEY_PLACES = dict.fromkeys(MONEY_COLUMNS)


class World:
    """What the replications of a run share: the population (one block per replication), today's
    inputs, the behaviour model, the population step and the SimPy clock. ``World.run`` drives
    the day; each replication is a ``Sim`` with its own policies, ledger and daily rows."""

    SHARED = ("market", "traits", "behavior", "economics")   # what replications in one population share

    def __init__(self, scenario, seeds, progress: bool = False, record_transactions: bool = False,
                 first: "Sim | None" = None):
        """``scenario``: one for every replication, or a list, one per seed: arms of a comparison
        (they may differ in their policies only: the market, traits, behaviour and economics
        are the population's)."""
        self.seeds = [int(s) for s in seeds]
        self.scenarios = list(scenario) if isinstance(scenario, (list, tuple)) else [scenario] * len(self.seeds)
        if len(self.scenarios) != len(self.seeds):
            raise ValueError(f"{len(self.scenarios)} scenarios for {len(self.seeds)} seeds")
        scenario = self.scenario = self.scenarios[0]
        data = scenario.data
        for other in self.scenarios[1:]:
            if other is not scenario:
                differ = [k for k in self.SHARED if other.data[k] != data[k]]
                if differ:
                    raise ValueError(f"arms in one population must share {', '.join(differ)}: "
                                     f"{scenario.name} and {other.name} differ there")
        self.days = data["market"]["days"]
        users, reps = data["market"]["users"], len(self.seeds)
        self.rng = Keyed(self.seeds, block=users)
        seated = None
        if data["market"].get("customers"):   # an existing base from a customer file (simlib.seating)
            from .seating import SeatedBase
            seated = SeatedBase.choose(data["market"], users)
        self.pop = Population(data["market"], data["traits"], users, self.rng, data["behavior"], reps=reps,
                              seated=seated)
        self.today = Today(self.pop.n, len(self.pop.channel_names), reps)
        self.behavior = Behavior(data["behavior"], self.pop, self.today, data["market"])
        self.ledgers = [Ledger(self.days, self.pop.weight) for _ in self.seeds]
        policies = any(cfg["enabled"] for sc in {id(x): x for x in self.scenarios}.values()
                       for cfg in sc.data["policies"].values())
        self.step = PopulationStep(self.pop, self.today, self.behavior, self.rng, self.ledgers, data["economics"],
                                   record_transactions, policies)
        self.env = simpy.Environment()
        self.progress, self.record_transactions = progress, record_transactions
        self.day = -1
        self._share_prev = self.pop.buyer_share().reshape(-1)
        self._seasons = seasonal_multipliers(data["behavior"], data["market"], self.days)   # category demand
        self.sims = [(first if r == 0 and first is not None else Sim.__new__(Sim)) for r in range(reps)]
        for r, sim in enumerate(self.sims):
            sim._attach(self, r)

    def until(self, day: int, phase: float) -> simpy.Timeout:
        """A timeout that fires at ``phase`` of ``day`` (never in the past)."""
        return self.env.timeout(max(0.0, day + phase - self.env.now))

    def run(self) -> list:
        """Simulate every day; a ``Result`` per replication, in the order of the seeds."""
        from .results import Result
        started = time.perf_counter()
        self.env.process(self._days())
        self.env.run(until=self.days)
        wall = time.perf_counter() - started
        results = []
        for sim in self.sims:
            sim._money_into_rows()
            extras = {}
            for policy in sim.policies:
                extras.update(policy.finalize())
            results.append(Result.from_sim(sim, wall / len(self.sims), extras))
        return results

    def _days(self):
        bar = None
        if self.progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=self.days, unit="day", desc="simulating", leave=False)
        sims, t = self.sims, self.today
        for day in range(self.days):
            yield self.until(day, Sim.BEGIN)
            self.day = day
            t.reset()
            self.pop.coupons.new_day()
            if self._seasons is not None:
                self.behavior.season = float(self._seasons[day])
            share = self.pop.buyer_share().reshape(-1)
            self.behavior.social_proof = np.clip(share + 0.5 * (share - self._share_prev), 0.0, 1.0)
            self._share_prev = share
            self.behavior.begin_day()
            yield self.until(day, Sim.ACT)
            for sim in sims:
                for policy in sim._acting[day]:
                    policy.act(day)
            if any(sim._reaching_out[day] for sim in sims):
                yield self.until(day, Sim.OUTREACH)
                for sim in sims:
                    for policy in sim._reaching_out[day]:
                        policy.outreach(day)
            yield self.until(day, Sim.STEP)
            self.step.run(day)
            yield self.until(day, Sim.REACT)
            for sim in sims:
                for policy in sim._reacting[day]:
                    policy.react(day)
            yield self.until(day, Sim.RECORD)
            self._record(day)
            if bar is not None:
                bar.update(1)
        self.step.finish(self.days)
        if bar is not None:
            bar.close()


    # what every replication's row reads from the shared state, once a day for all of them
    COUNTED = ("purchases", "new_buyers", "messages_sent", "unsubscribes", "pond_joins", "coupons_redeemed",
               "bought_ahead")

    def _record(self, day: int) -> None:
        """The day's row of every replication (``Sim._row``): the counts every row reads are
        taken for all replications at once."""
        pop, t, reps = self.pop, self.today, self.pop.reps
        stages = pop.stage_counts.tolist()
        edges = pop.rep_edges.tolist()
        spans = [slice(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]
        in_pond = [int(np.count_nonzero(pop.in_pond[span])) for span in spans]
        left_pond = [int(np.count_nonzero(pop.left_pond[span])) for span in spans]
        counted = [getattr(t, name).tolist() for name in self.COUNTED]
        interested = np.diff(np.searchsorted(t.entered(INTERESTED), pop.rep_edges)).tolist()
        for r, sim in enumerate(self.sims):
            row = {"day": day}
            row.update(zip(STAGES, stages[r]))
            row["in_pond"], row["left_pond"] = in_pond[r], left_pond[r]
            row["purchases"], row["new_buyers"] = counted[0][r], counted[1][r]
            row["new_interested"] = interested[r]   # leads: entries into interested
            row.update(MONEY_PLACES)   # the day's money, from the ledger once the run ends (``Sim._money_into_rows``)
            sim.ledger.recorded_through = day
            row.update(zip(self.COUNTED[2:], (c[r] for c in counted[2:])))
            sim._policy_columns(day, row)
            sim.rows.append(row)


class Sim:
    """One replication of a run, as its policies see it: its customers (numbered from 0), its
    inputs for the day, its ledger and daily rows, and the calls below. ``Sim(scenario, seed)``
    is a run of its own; ``run_batch`` runs several replications over one shared population."""

    BEGIN, ACT, OUTREACH, OUTREACH_END, STEP, REACT, RECORD = 0.0, 0.1, 0.2, 0.45, 0.5, 0.6, 0.9

    def __init__(self, scenario, seed: int = 0, progress: bool = False, record_transactions: bool = False):
        World(scenario, [seed], progress, record_transactions, first=self)

    def _attach(self, world: World, r: int) -> None:
        """Become replication r of ``world``: views of its shared state, policies of its own."""
        self.world, self.r = world, r
        self.scenario, self.seed, self.days = world.scenarios[r], world.seeds[r], world.days
        data = self.scenario.data
        self.rng = Keyed(self.seed)                     # the policies' draws: this replication's own
        self.pop = world.pop.view(r)
        self.n = self.pop.n
        self.channels = self.pop.channel_names
        lo, hi = int(world.pop.rep_edges[r]), int(world.pop.rep_edges[r + 1])
        self._span = (lo, hi)
        self.today = world.today.view(r, lo, hi)
        self.behavior = world.behavior
        self.econ = data["economics"]
        self.ledger = world.ledgers[r]
        self.step = world.step
        self.env = world.env
        self.progress, self.record_transactions = world.progress, world.record_transactions
        self.rows: list[dict] = []
        self.journey_events: list[tuple] = []   # (day, event name, idx) published for journeys
        self.message_cap = None                 # a frequency_cap policy, if the scenario has one
        types = policy_types()
        self.policies = [types[cfg["type"]](name, cfg, self)
                         for name, cfg in data["policies"].items() if cfg["enabled"]]
        for policy in self.policies:
            self.pop.adding_for = policy.name        # owner of the arrays it adds (memory accounting)
            policy.init()
        self.pop.adding_for = None
        self._column_names = [{} for _ in self.policies]   # each policy's column -> "policy.column"
        self._acting = self._calendar("act")
        self._reaching_out = self._calendar("outreach", days_of="act")
        self._reacting = self._calendar("react")

    @property
    def day(self) -> int:
        return self.world.day

    def _calendar(self, hook: str, days_of: str | None = None) -> list[list[Policy]]:
        """For each day, the policies (in scenario order) whose ``hook`` runs that day."""
        out: list[list[Policy]] = [[] for _ in range(self.days)]
        for policy in self.policies:
            if getattr(type(policy), hook) is getattr(Policy, hook):
                continue   # the policy does not use this phase
            for day in getattr(policy, f"{days_of or hook}_days")():
                if 0 <= day < self.days:
                    out[day].append(policy)
        return out

    # --- clock --------------------------------------------------------------------------
    def until(self, day: int, phase: float) -> simpy.Timeout:
        """A timeout that fires at ``phase`` of ``day`` (never in the past)."""
        return self.world.until(day, phase)

    def run(self):
        """Run the world this replication belongs to; this replication's ``Result``."""
        return self.world.run()[self.r]

    def transactions(self) -> list[tuple]:
        """This replication's orders as (day, customer, amount, discount) batches (customers
        numbered from 0), when the run records transactions."""
        lo, hi = self._span
        out = []
        for day, idx, amount, discount in self.step.transactions:
            keep = (idx >= lo) & (idx < hi)
            if keep.any():
                out.append((day[keep], idx[keep] - lo, amount[keep], discount[keep]))
        return out

    # --- what policies call ---------------------------------------------------------------
    def pond_members(self) -> np.ndarray:
        """Indices of pond members (ascending, read-only)."""
        return self.pop.pond_members()

    def message(self, idx: np.ndarray, quality: float = 0.0, count: int = 1, personal: bool = False) -> np.ndarray:
        """Send ``count`` messages of content ``quality`` (0 = hard ad, 1 = useful) to pond members
        among ``idx`` (unique). Returns who received them. Fatigue and trust follow in the step.

        A message to many is as useful as the customer finds such content (quality x
        content affinity); a ``personal`` one, written for the customer, is as useful as its
        quality."""
        pop, t = self.pop, self.today
        idx = np.asarray(idx)
        to = idx[pop.in_pond[idx] & (pop.stage[idx] != LOST)]
        if self.message_cap is not None and to.size and count > 0:
            to = to[self.message_cap.allow(to, count, self.day)]
        if to.size and count > 0:
            self.behavior.fatigue_on = True
            usefulness = self.behavior.usefulness(quality, None if personal else pop.content_affinity[to])
            t.add_two(to, "useful", count * usefulness, "load", self.behavior.message_load(count, usefulness))
            t.messages_sent += to.size * count
        return to

    def chat(self, idx: np.ndarray) -> np.ndarray:
        """A one-to-one chat with each of ``idx``: a useful personal message and a chat flag."""
        to = self.message(idx, quality=1.0, personal=True)
        self.today.touch("chat")[to] = True
        return to

    def give_coupon(self, idx, source: str, off_share: float = 0.0, off_cny: float = 0.0,
                    min_spend_cny: float = 0.0, valid_days: int = 7) -> None:
        """Hand ``idx`` a coupon from today (replacing any held one); see ``Coupons.give``."""
        self.pop.coupons.give(idx, self.day, source, off_share=off_share,
                              off_cny=off_cny, min_spend_cny=min_spend_cny, valid_days=valid_days)

    def give_coupons(self, idx, which, offers, source: str, valid_days: int = 7) -> None:
        """Hand each of ``idx`` (unique) the coupon ``offers[which[j]]``, an ``(off_share, off_cny,
        min_spend_cny)``, from today: ``give_coupon`` of each offer to its customers, in one
        pass; see ``Coupons.give_each``."""
        self.pop.coupons.give_each(idx, which, offers, self.day, source, valid_days=valid_days)

    # --- recording ------------------------------------------------------------------------
    def _policy_columns(self, day: int, row: dict) -> None:
        """The policies' columns of the day's row (the rest is ``World._record``'s)."""
        for policy, names in zip(self.policies, self._column_names):
            for key, value in policy.record(day).items():
                name = names.get(key)
                if name is None:
                    name = names[key] = f"{policy.name}.{key}"
                row[name] = value

    def _money_into_rows(self) -> None:
        """Each day's money columns (``MONEY_COLUMNS``), read from the ledger's day arrays after the
        run: the same sums, in the same order, as reading them on the day (a posting is always
        to the day it happens: ``Ledger.post`` refuses a day already recorded)."""
        columns = {name: series.tolist() for name, series in self.ledger.daily_money().items()}
        for row in self.rows:
            day = row["day"]
            for name in MONEY_COLUMNS:
                row[name] = columns[name][day]
