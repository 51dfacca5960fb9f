"""Property tests of the ledger SERVICE (hypothesis): random sequences of designations, matching
funds, spending, reversals, bonuses, revocations and replays, sent through the entry points
onto a real embedded store. After every step: every stored entry balances (R-24), the stored
projection equals a fold over the stored entries, no cash account is negative (R-22), and a
refused request wrote nothing. At the end, replaying every event and every request from the
start changes nothing, and the same history into an empty store gives the same journal."""
import os
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))
from ledger_service_support import (Ledgers, asset, designated, entry_docs, graded, matching,  # noqa: E402
                                    revoked, spend, unit)

from services.ledger.domain import CATEGORIES, fold, rebuild_projection  # noqa: E402
from services.ledger.domain.projection import DERIVED_FIELDS  # noqa: E402
from shared.errors import DomainError  # noqa: E402

UNIT_A = unit()
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

amounts = st.one_of(st.integers(1, 99_999), st.integers(1, 40_000_000),
                    st.sampled_from([1, 99_999, 100_000, 149_999, 150_000, 30_000_000]))
_spend = st.tuples(st.just("spend"), amounts, st.sampled_from(CATEGORIES), st.sampled_from(["city", "city", "matching"]),
                  st.one_of(st.none(), st.none(), st.integers(0, 4)), st.booleans())
_branches = {
    "designate": st.tuples(st.just("designate")),
    "matching": st.tuples(st.just("matching"), amounts),
    "spend": _spend,
    "reverse": st.tuples(st.just("reverse"), st.integers(0, 60)),
    "bonus": st.tuples(st.just("bonus"), st.integers(0, 3)),
    "revoke": st.tuples(st.just("revoke"), st.integers(0, 1)),
    "replay": st.tuples(st.just("replay"), st.integers(0, 60)),
    "tick": st.tuples(st.just("tick"), st.integers(1, 60 * 24 * 200)),
}
# mostly the unit's own bookings; designation, bonus and revocation are rarer (a revocation closes it)
_weights = ["spend"] * 12 + ["matching"] * 6 + ["reverse"] * 4 + ["replay"] * 3 + ["tick"] * 2 + \
    ["bonus"] * 2 + ["designate", "revoke", "revoke"]
ops = st.sampled_from(_weights).flatmap(_branches.__getitem__)
histories = st.lists(ops, min_size=5, max_size=40).map(lambda h: [("designate",)] + h)


class Run:
    """Sends a history through the service; remembers every accepted command for replays."""

    def __init__(self, ledgers):
        self.l = ledgers
        self.accepted = []            # (kind, callable) of everything that booked
        self.entry_ids = []

    def command(self, i, op):
        kind = op[0]
        if kind == "designate":
            return "event", lambda: self.l.system.on_studio_designated(designated("S-A"))
        if kind == "bonus":
            return "event", lambda: self.l.system.on_assessment_graded(graded("S-A", round_id=f"round-{op[1]}"))
        if kind == "revoke":
            return "event", lambda: self.l.system.on_studio_revoked(revoked("S-A", revocation_id=f"rev-{op[1]}"))
        if kind == "matching":
            body = matching(op[1])
        elif kind == "spend":
            _, amount, category, funding, tag, special = op
            body = spend(amount, category, funding, special_equipment=special)
            if tag is not None:
                body["fixed_asset"] = asset(f"FA-{tag}")
            elif amount >= 100_000:
                body["unit_price_fen"] = 1 + amount % 99_999
        elif kind == "reverse":
            if not self.entry_ids:
                return None
            body = {"kind": "reversal", "reverses": self.entry_ids[op[1] % len(self.entry_ids)], "memo": "更正"}
        else:
            raise AssertionError(kind)
        key = f"k-{i}"
        return "request", lambda: self.l.as_(UNIT_A).book_entry("S-A", body, key)

    def step(self, i, op):
        if op[0] == "tick":
            self.l.tick(minutes=op[1])
            return
        self.l.tick()
        if op[0] == "replay":
            if self.accepted:
                before = snapshot(self.l.db)
                self.accepted[op[1] % len(self.accepted)][1]()
                assert snapshot(self.l.db) == before, "a replay changed the ledger"
            return
        made = self.command(i, op)
        if made is None:
            return
        kind, call = made
        n = len(entry_docs(self.l.db))
        try:
            out = call()
        except DomainError:
            assert len(entry_docs(self.l.db)) == n, "a refused request wrote something"
            return
        if len(entry_docs(self.l.db)) > n:
            self.accepted.append((kind, call))
            if kind == "request":
                assert out["created"]
                self.entry_ids.append(out["entry"]["entry_id"])


def snapshot(db):
    entries = [{k: v for k, v in d.items()} for d in entry_docs(db)]
    accounts = [{k: d.get(k) for k in DERIVED_FIELDS} for d in db.accounts.find().sort("_id", 1)]
    return entries, accounts


def check_invariants(db):
    docs = entry_docs(db, "S-A")
    for d in docs:
        assert sum(p["amount_fen"] for p in d["postings"]) == 0, d
    if not docs:
        return
    state, rebuilt = rebuild_projection(docs)
    stored = db.accounts.find_one({"_id": "S-A"})
    from services.ledger.domain import differences
    assert differences(stored, rebuilt) == []
    assert stored["balances"].get("cash:city", 0) >= 0 and stored["balances"].get("cash:matching", 0) >= 0
    assert state.city_unspent_fen >= 0 and state.matching_unspent_fen >= 0
    assert fold(docs).summary() == state.summary()


@SETTINGS
@given(histories)
def test_R22_R24_every_step_balances_matches_the_fold_and_never_goes_below_zero(history):
    run = Run(Ledgers())
    for i, op in enumerate(history):
        run.step(i, op)
        check_invariants(run.l.db)


@SETTINGS
@given(histories)
def test_replaying_every_event_and_request_from_the_start_changes_nothing(history):
    run = Run(Ledgers())
    for i, op in enumerate(history):
        run.step(i, op)
    before = snapshot(run.l.db)
    for _, call in run.accepted:
        run.l.tick()
        call()                      # the same event / the same Idempotency-Key and body
    assert snapshot(run.l.db) == before
    assert run.l.finance.verify_projection()["ok"]


@SETTINGS
@given(histories)
def test_the_same_history_into_an_empty_store_gives_the_same_journal(history):
    first, second = Run(Ledgers()), Run(Ledgers())
    for i, op in enumerate(history):
        first.step(i, op)
        second.step(i, op)
    a, b = snapshot(first.l.db), snapshot(second.l.db)
    assert a[0] == b[0]
    assert a[1] == b[1]
