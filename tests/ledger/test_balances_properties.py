"""Property tests over random sequences of grants, bonuses, matching, spending, reversals,
clawbacks and replays (hypothesis).  Rule ids are in the test names."""

import json
import os
import random
import sys
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))
from ledger_histories import STUDIO, T0, TENANT, UNIT, histories, run_history  # noqa: E402

from services.ledger.domain import (BONUS_FEN, CATEGORIES, DEFAULT_THRESHOLDS, GRANT_FEN,  # noqa: E402
                                    AccountClosed, AccountState, AlreadyBooked, JournalEntry,
                                    LedgerError, apply, bonus_entry, bonus_key, clawback_entry,
                                    clawback_key, cycle_compliance, expenditure_entry, fold,
                                    grant_entry, grant_key, matching_entry, next_booking_time)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- an independent model

class Model:
    """Recomputes the figures from the entries' own fields (kind, amount, category, funding),
    not from their postings, and the clawback split from its own running cash."""

    def __init__(self):
        self.received = {"city_grant": 0, "city_bonus": 0, "matching": 0}
        self.spent = {(c, f): 0 for c in CATEGORIES for f in ("city", "matching")}
        self.city_cash = self.matching_cash = 0
        self.clawed = self.returned = self.owed = 0
        self.openers = []
        self.by_id = {}
        self.clawback_returned = {}
        self.revoked = False

    def book(self, e):
        self.by_id[e.entry_id] = e
        ref, sign = e, 1
        if e.kind == "reversal":
            ref, sign = self.by_id[e.reverses], -1
        a = sign * ref.amount_fen
        if ref.kind in ("grant", "bonus"):
            self.received["city_grant" if ref.kind == "grant" else "city_bonus"] += a
            self.city_cash += a
            if sign > 0:
                self.openers.append(ref.entry_id)
            else:
                assert self.openers[-1] == ref.entry_id
                self.openers.pop()
        elif ref.kind == "matching":
            self.received["matching"] += a
            self.matching_cash += a
        elif ref.kind == "expenditure":
            self.spent[(ref.category, ref.funding)] += a
            if ref.funding == "city":
                self.city_cash -= a
            else:
                self.matching_cash -= a
        elif ref.kind == "clawback":
            if sign > 0:
                cycle_funds = self.by_id[self.openers[-1]].amount_fen
                assert ref.amount_fen == cycle_funds
                ret = self.clawback_returned[ref.entry_id] = min(self.city_cash, cycle_funds)
            else:
                ret = self.clawback_returned[ref.entry_id]
            self.clawed += a
            self.returned += sign * ret
            self.owed += a - sign * ret
            self.city_cash -= sign * ret
            self.revoked = sign > 0

    def check(self, s: AccountState):
        r = s.received_fen()
        assert (r["city_grant_fen"], r["city_bonus_fen"], r["matching_fen"]) == (
            self.received["city_grant"], self.received["city_bonus"], self.received["matching"])
        assert s.spent_by_category() == {c: self.spent[(c, "city")] + self.spent[(c, "matching")]
                                         for c in CATEGORIES}
        assert s.spent_by_funding() == {f: sum(v for (c, ff), v in self.spent.items() if ff == f)
                                        for f in ("city", "matching")}
        assert s.city_unspent_fen == self.city_cash
        assert s.matching_unspent_fen == self.matching_cash
        assert (s.clawed_back_fen, s.clawback_returned_fen, s.owed_by_unit_fen) == (
            self.clawed, self.returned, self.owed)
        assert s.cycle == len(self.openers)
        assert s.revoked == self.revoked


def _no_floats(x):
    if isinstance(x, float):
        raise AssertionError(f"float in document: {x}")
    if isinstance(x, dict):
        for v in x.values():
            _no_floats(v)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _no_floats(v)


# ---------------------------------------------------------------- properties

@SETTINGS
@given(histories)
def test_r24_every_entry_balances_and_round_trips_as_a_document(history):
    tr = run_history(history)
    for e in tr.entries:
        assert sum(p.amount_fen for p in e.postings) == 0
        assert all(type(p.amount_fen) is int and p.amount_fen != 0 for p in e.postings)
        assert type(e.amount_fen) is int and e.amount_fen > 0
        assert e.booked_at.utcoffset() is not None
        doc = e.to_document()
        _no_floats(doc)
        assert JournalEntry.from_document(doc) == e
        js = json.loads(json.dumps(e.to_json(), ensure_ascii=False))
        _no_floats(js)
        assert JournalEntry.from_document(js) == e
    assert fold(e.to_document() for e in tr.entries) == tr.state


@SETTINGS
@given(histories, st.randoms(use_true_random=False))
def test_r24_balances_equal_a_fold_over_the_entries(history, rnd):
    tr = run_history(history)
    model = Model()
    booked = []
    for step in tr.steps:
        if step.entry is None:
            assert step.after is step.before or step.after == step.before
            continue
        booked.append(step.entry)
        model.book(step.entry)
        assert step.after == fold(booked)          # incremental apply == fold
        model.check(step.after)                    # == an independent recomputation
    shuffled = list(tr.entries)
    rnd.shuffle(shuffled)
    assert fold(shuffled) == tr.state              # fold sorts by seq
    assert fold(tr.entries + tr.entries) == tr.state   # re-applying is a no-op
    s = AccountState()
    for e in tr.entries:
        s2 = apply(s, e)
        assert apply(s2, e) is s2
        s = s2
    assert s == tr.state


@SETTINGS
@given(histories)
def test_r22_no_sequence_makes_city_funds_negative(history):
    tr = run_history(history)
    for step in tr.steps:
        assert step.after.city_unspent_fen >= 0
        assert step.after.matching_unspent_fen >= 0
        op, before = step.op, step.before
        if op[0] == "spend" and op[3] in CATEGORIES and before.is_open and not before.revoked:
            amount, funding = op[2], op[4]
            if funding == "city" and amount > before.city_unspent_fen:
                assert step.entry is None and step.error is not None
                assert step.error.rule == "R-22" and step.error.status in (409, 422)
            if funding == "matching" and amount > before.matching_unspent_fen:
                assert step.entry is None and step.error.rule in ("R-22", "R-24")


@SETTINGS
@given(histories)
def test_r22_fixed_assets_at_or_above_threshold_are_registered(history):
    tr = run_history(history)
    for step in tr.steps:
        e = step.entry
        if e is not None and e.kind == "expenditure" and e.amount_fen >= DEFAULT_THRESHOLDS.for_item(e.special_equipment):
            assert e.fixed_asset is not None
        if step.op[0] == "spend" and step.op[3] == "bogus":
            assert e is None
    s = tr.state
    live_fa = {e.entry_id for e in tr.entries
               if e.kind == "expenditure" and e.fixed_asset and e.entry_id not in s.reversed_by}
    register = s.fixed_asset_register()
    assert {r["entry_id"] for r in register} == live_fa
    assert len({r["asset_tag"] for r in register}) == len(register)


@SETTINGS
@given(histories)
def test_r21_r25_one_grant_bonuses_open_new_cycles(history):
    tr = run_history(history)
    for step in tr.steps:
        e, before = step.entry, step.before
        if e is not None and e.kind == "grant":
            assert e.amount_fen == GRANT_FEN and e.cycle == 1 and before.cycle == 0
        if e is not None and e.kind == "bonus":
            assert e.amount_fen == BONUS_FEN and e.cycle == before.cycle + 1 >= 2
            assert step.after.cycle_started_at == e.booked_at
        if step.op[0] == "bonus" and not before.is_open:
            assert e is None
        if step.op[0] == "grant" and before.is_open:
            assert e is None and step.error.rule in ("R-20", "R-21")
        live_grants = [x for x in step.after.entries.values()
                       if x.kind == "grant" and x.entry_id not in step.after.reversed_by]
        assert len(live_grants) <= 1
        assert [c.number for c in step.after.cycles] == list(range(1, step.after.cycle + 1))
        if e is not None and e.kind not in ("grant", "bonus", "reversal"):
            assert e.cycle == before.cycle


@SETTINGS
@given(histories)
def test_r20_clawback_returns_the_unspent_part_and_records_the_spent_part(history):
    tr = run_history(history)
    for step in tr.steps:
        e, before = step.entry, step.before
        if e is not None and e.kind == "clawback":
            c = before.current_cycle.city_funds_fen
            assert e.amount_fen == c and e.cycle == before.cycle
            returned = -e.posting_total("cash:city")
            owed = -e.posting_total("payable:city_clawback")
            assert returned == min(before.city_unspent_fen, c)
            assert owed == c - returned and owed >= 0
            assert step.after.revoked
        if before.revoked and step.replay_of is None:
            # only the clawback's own reversal gets through
            if e is not None:
                assert e.kind == "reversal" and e.reverses == before.clawback_entry_id
            elif step.op[0] in ("grant", "bonus", "matching", "spend", "clawback"):
                # (a malformed request may be refused for that first)
                assert (isinstance(step.error, AccountClosed) and step.error.rule == "R-20") or \
                    step.error.code == "ledger.category_invalid"


@SETTINGS
@given(histories)
def test_r24_reversals_negate_once_and_are_never_reversed(history):
    tr = run_history(history)
    by_id = {e.entry_id: e for e in tr.entries}
    reversed_ids = [e.reverses for e in tr.entries if e.kind == "reversal"]
    assert len(reversed_ids) == len(set(reversed_ids))
    for e in tr.entries:
        if e.kind == "reversal":
            orig = by_id[e.reverses]
            assert orig.kind != "reversal" and orig.seq < e.seq
            assert sorted((p.account, p.amount_fen) for p in e.postings) == \
                sorted((p.account, -p.amount_fen) for p in orig.postings)
            assert e.cycle == orig.cycle
    for step in tr.steps:
        if step.op[0] == "reverse" and step.entry is None and step.error is not None:
            assert step.error.status in (404, 409, 422)


@SETTINGS
@given(histories)
def test_r24_replaying_a_booked_command_changes_nothing(history):
    tr = run_history(history)
    for step in tr.steps:
        if step.replay_of is not None:
            assert step.after is step.before
    for cmd, e in zip(tr.commands, tr.entries):
        try:
            cmd(tr.state)
        except AlreadyBooked as done:
            assert done.entry_id == e.entry_id
        else:
            raise AssertionError("replay booked again")


@SETTINGS
@given(histories)
def test_r23_cycle_compliance_matches_the_cycle_figures(history):
    tr = run_history(history)
    s = tr.state
    for n in range(1, s.cycle + 1):
        res = cycle_compliance(tr.entries, cycle=n)
        city = sum((-1 if e.kind == "reversal" else 1) * e.amount_fen for e in tr.entries
                   if e.cycle == n and (e.kind in ("grant", "bonus")
                                        or (e.kind == "reversal" and e.source in ("city_grant", "city_bonus")
                                            and s.entries[e.reverses].kind in ("grant", "bonus"))))
        matching = sum((-1 if e.kind == "reversal" else 1) * e.amount_fen for e in tr.entries
                       if e.cycle == n and e.source == "matching"
                       and (e.kind == "matching" or s.entries.get(e.reverses or "", e).kind == "matching"))
        assert res["city_funds_fen"] == city
        assert res["matching_fen"] == matching
        assert res["matching_at_least_city"] is (matching >= city)
        assert res["rules"]["R-23"] is (matching >= city)
        if n < s.cycle:  # closed by the next bonus: the deadline defaults to its start
            assert res["deadline_passed"] is True
            assert res["city_funds_used_by_deadline"] is (res["city_unspent_fen"] == 0)


# ---------------------------------------------------------------- event replay (at-least-once)

events = st.lists(st.one_of(
    st.tuples(st.just("studio.designated")),
    st.tuples(st.just("assessment.graded"), st.integers(0, 3)),
    st.tuples(st.just("studio.revoked"), st.integers(0, 1)),
    st.tuples(st.just("unit.matching"), st.integers(1, 40_000_000)),
    st.tuples(st.just("unit.spend"), st.integers(1, 99_999), st.sampled_from(CATEGORIES)),
), min_size=1, max_size=25)


def handle(state, event, i, now):
    """What the ledger service's handlers do: natural idempotency keys, builders, apply."""
    t = next_booking_time(state, now)
    kind = event[0]
    try:
        if kind == "studio.designated":
            e = grant_entry(state, booked_at=t, idempotency_key=grant_key(STUDIO),
                            caused_by={"event_id": f"des-{STUDIO}", "event_type": kind},
                            studio_id=STUDIO, tenant_id=TENANT, unit_id=UNIT)
        elif kind == "assessment.graded":
            e = bonus_entry(state, booked_at=t, idempotency_key=bonus_key(f"round-{event[1]}"),
                            caused_by={"event_id": f"grade-{event[1]}", "event_type": kind})
        elif kind == "studio.revoked":
            e = clawback_entry(state, booked_at=t, idempotency_key=clawback_key(f"rev-{event[1]}"),
                               caused_by={"event_id": f"rev-{event[1]}", "event_type": kind})
        elif kind == "unit.matching":
            e = matching_entry(state, amount_fen=event[1], booked_at=t, idempotency_key=f"req-{i}",
                               caused_by={"user": "unit-user"})
        else:
            e = expenditure_entry(state, amount_fen=event[1], category=event[2], funding="city",
                                  booked_at=t, idempotency_key=f"req-{i}", caused_by={"user": "unit-user"})
    except AlreadyBooked:
        return state, None
    except LedgerError:
        return state, None
    return apply(state, e), e


def deliver(stream):
    s, booked, out = AccountState(), [], []
    for i, ev, now in stream:
        s, e = handle(s, ev, i, now)
        if e is not None:
            out.append(e)
            booked.append(i)
    return s, out, booked


@SETTINGS
@given(events, st.data())
def test_r24_redelivered_events_leave_the_state_identical(evs, data):
    stream = [(i, ev, T0 + timedelta(days=7 * i)) for i, ev in enumerate(evs)]
    s1, entries1, booked = deliver(stream)
    # redeliver every booked event once more, each right after a random later original item
    extra = {p: [] for p in range(len(stream))}
    for i in booked:
        pos = data.draw(st.integers(min_value=i, max_value=len(stream) - 1), label=f"redeliver {i} after")
        extra[pos].append(stream[i])
    redelivered = []
    for p, item in enumerate(stream):
        redelivered.append(item)
        redelivered.extend(extra[p])
    s2, entries2, _ = deliver(redelivered)
    assert s2 == s1
    assert [e.to_document() for e in entries2] == [e.to_document() for e in entries1]
    # and the whole stream once more on top: nothing booked already is booked again
    s3 = s1
    for i in booked:
        s3, e = handle(s3, stream[i][1], i, stream[i][2])
        assert e is None
    assert s3 == s1
    assert fold(entries1 + entries1) == s1


def test_r21_designation_event_delivered_twice_books_one_grant():
    s, e = handle(AccountState(), ("studio.designated",), 0, T0)
    s2, e2 = handle(s, ("studio.designated",), 0, T0 + timedelta(minutes=1))
    assert e is not None and e2 is None and s2 == s
    assert s.received_fen()["city_grant_fen"] == 30_000_000


def test_bulk_random_histories_stay_consistent():
    """A deterministic larger run (the timing check's generator) folds to a consistent state."""
    from ledger_histories import random_studio_entries
    rng = random.Random(7)
    for k in range(20):
        es = random_studio_entries(rng, f"S{k}", "T", "U", 50)
        s = fold(es)
        model = Model()
        for e in es:
            model.book(e)
        model.check(s)
        assert s.city_unspent_fen >= 0 and s.matching_unspent_fen >= 0
