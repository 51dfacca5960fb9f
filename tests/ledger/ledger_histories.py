"""Random account histories for the ledger's property tests and the timing check.

A history is a list of operations (grant, bonus, matching, spend, reverse, clawback, replay)
run through the real builders against one studio account.  Operations a rule refuses are
recorded as refused; accepted ones are applied.  ``run_history`` returns the trace.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from services.ledger.domain import (BONUS_FEN, CATEGORIES, FUNDINGS, GRANT_FEN, AccountState,
                                    AlreadyBooked, LedgerError, apply, bonus_entry, clawback_entry,
                                    expenditure_entry, grant_entry, matching_entry, reversal_entry)

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2023, 6, 1, 9, 0, tzinfo=SH)
STUDIO, TENANT, UNIT = "S-1", "T-1", "U-1"

# ---------------------------------------------------------------- strategies

gaps = st.integers(min_value=0, max_value=60 * 24 * 120)           # minutes, up to ~4 months
amounts = st.one_of(
    st.integers(min_value=1, max_value=200_000),
    st.integers(min_value=1, max_value=45_000_000),
    st.sampled_from([GRANT_FEN, BONUS_FEN, 99_999, 100_000, 149_999, 150_000, 1]),
)
small = st.integers(min_value=1, max_value=99_999)          # below the fixed-asset threshold
_strategies = {
    "spend": st.tuples(st.just("spend"), gaps, st.one_of(small, small, amounts),
                       st.sampled_from(CATEGORIES * 6 + ("bogus",)), st.sampled_from(FUNDINGS),
                       st.one_of(st.none(), st.integers(0, 6)), st.booleans()),
    "matching": st.tuples(st.just("matching"), gaps, amounts),
    "reverse": st.tuples(st.just("reverse"), gaps, st.integers(min_value=0, max_value=1000)),
    "grant": st.tuples(st.just("grant"), gaps),
    "bonus": st.tuples(st.just("bonus"), gaps),
    "clawback": st.tuples(st.just("clawback"), gaps),
    "replay": st.tuples(st.just("replay"), gaps, st.integers(min_value=0, max_value=1000)),
}
# weights: mostly the unit's own bookings; designation, bonus and revocation are rarer
_weighted = ["spend"] * 16 + ["matching"] * 6 + ["reverse"] * 4 + ["bonus"] * 2 + ["replay"] * 2 + \
    ["grant", "clawback"]
ops = st.sampled_from(_weighted).flatmap(_strategies.__getitem__)
# most histories start with the designation grant (else little but refusals happens)
histories = st.tuples(st.sampled_from([True, True, True, True, False]),
                      st.lists(ops, min_size=8, max_size=60)).map(
    lambda h: ([("grant", 0)] if h[0] else []) + h[1])


# ---------------------------------------------------------------- running

def command(op, i: int, t: datetime, booked: list):
    """A callable state -> JournalEntry for the operation (the same callable can be replayed)."""
    kind = op[0]
    key = f"op-{i}"
    who = {"user": "u-1"}
    if kind == "grant":
        return lambda s: grant_entry(s, booked_at=t, idempotency_key=key, caused_by={"event_id": f"ev-{i}"},
                                     studio_id=STUDIO, tenant_id=TENANT, unit_id=UNIT)
    if kind == "bonus":
        return lambda s: bonus_entry(s, booked_at=t, idempotency_key=key, caused_by={"event_id": f"ev-{i}"})
    if kind == "matching":
        return lambda s: matching_entry(s, amount_fen=op[2], booked_at=t, idempotency_key=key, caused_by=who)
    if kind == "spend":
        _, _, amount, cat, funding, tag, special = op
        fa = None if tag is None else {"asset_tag": f"FA-{tag}", "name": "数控车床", "quantity": 1,
                                       "location": "一号车间"}
        return lambda s: expenditure_entry(s, amount_fen=amount, category=cat, funding=funding,
                                           booked_at=t, idempotency_key=key, caused_by=who,
                                           fixed_asset=fa, special_equipment=special)
    if kind == "reverse":
        if not booked:
            return None
        target = booked[op[2] % len(booked)].entry_id
        return lambda s: reversal_entry(s, target, booked_at=t, idempotency_key=key, caused_by=who,
                                        reason="录入错误")
    if kind == "clawback":
        return lambda s: clawback_entry(s, booked_at=t, idempotency_key=key,
                                        caused_by={"event_id": f"rev-{i}", "event_type": "studio.revoked"})
    raise AssertionError(kind)


@dataclass
class Step:
    op: tuple
    before: AccountState
    after: AccountState
    entry: object = None          # the JournalEntry booked, if any
    error: LedgerError | None = None
    replay_of: object = None      # for replays: the entry the replay returned


@dataclass
class Trace:
    steps: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    commands: list = field(default_factory=list)
    state: AccountState = field(default_factory=AccountState)


def run_history(history) -> Trace:
    tr = Trace()
    t = T0
    for i, op in enumerate(history):
        t = t + timedelta(minutes=op[1])
        before = tr.state
        if op[0] == "replay":
            if not tr.commands:
                continue
            j = op[2] % len(tr.commands)
            try:
                tr.commands[j](before)
            except AlreadyBooked as done:
                tr.steps.append(Step(op, before, before, replay_of=done.entry_id))
                assert done.entry_id == tr.entries[j].entry_id
                continue
            raise AssertionError("a replayed command booked again")
        cmd = command(op, i, t, tr.entries)
        if cmd is None:
            continue
        try:
            e = cmd(before)
        except LedgerError as exc:
            tr.steps.append(Step(op, before, before, error=exc))
            continue
        after = apply(before, e)
        tr.steps.append(Step(op, before, after, entry=e))
        tr.entries.append(e)
        tr.commands.append(cmd)
        tr.state = after
    return tr


# ---------------------------------------------------------------- bulk data for the timing check

def random_studio_entries(rng: random.Random, studio_id: str, tenant_id: str, unit_id: str,
                          n: int, start: datetime = datetime(2022, 1, 1, tzinfo=SH)) -> list:
    """About ``n`` accepted entries for one studio, spread over ~3 years."""
    s = AccountState()
    out = []
    t = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 200))
    e = grant_entry(s, booked_at=t, idempotency_key=f"g-{studio_id}", caused_by={"event_id": f"d-{studio_id}"},
                    studio_id=studio_id, tenant_id=tenant_id, unit_id=unit_id)
    s = apply(s, e)
    out.append(e)
    i = 0
    while len(out) < n and i < 50 * n:
        i += 1
        t += timedelta(minutes=rng.randrange(60, 60 * 24 * 20))
        r = rng.random()
        try:
            if r < 0.25:
                e = matching_entry(s, amount_fen=rng.randrange(100_000, 5_000_000), booked_at=t,
                                   idempotency_key=f"m{i}", caused_by={"user": "u"})
            elif r < 0.9:
                amt = rng.randrange(1_000, 120_000)
                e = expenditure_entry(s, amount_fen=amt, category=rng.choice(CATEGORIES),
                                      funding=rng.choice(FUNDINGS), booked_at=t, idempotency_key=f"x{i}",
                                      caused_by={"user": "u"})
            elif r < 0.97:
                targets = [x for x in out if x.kind in ("matching", "expenditure")]
                if not targets:
                    continue
                target = rng.choice(targets).entry_id
                e = reversal_entry(s, target, booked_at=t, idempotency_key=f"r{i}", caused_by={"user": "u"},
                                   reason="更正")
            else:
                e = bonus_entry(s, booked_at=t, idempotency_key=f"b{i}", caused_by={"event_id": f"a{i}"})
        except LedgerError:
            continue
        s = apply(s, e)
        out.append(e)
    return out
