"""Journal entries and the builders' rules (R-20 … R-25), example by example."""

import ast
import json
import pathlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from services.ledger.domain import (ACCOUNTS, BONUS_FEN, GRANT_FEN, AccountClosed, AccountState,
                                    AlreadyBooked, AlreadyReversed, FixedAssetThresholds,
                                    IdempotencyConflict, JournalEntry, LedgerConflict, LedgerError,
                                    LedgerIntegrityError, LedgerRuleViolation, LedgerValidationError,
                                    Posting, UnknownEntry, apply, bonus_entry, clawback_entry,
                                    cycle_compliance, expenditure_entry, fold, fold_before,
                                    grant_entry, grant_key, matching_entry, next_booking_time,
                                    repayment_entry, reversal_entry)

SH = ZoneInfo("Asia/Shanghai")
T = datetime(2024, 3, 1, 9, 0, tzinfo=SH)
USER = {"user": "unit-admin"}
FA = {"asset_tag": "GZS-001", "name": "五轴加工中心", "quantity": 1, "location": "实训楼101"}


class Book:
    """A studio account under test: books through the builders and keeps the entries."""

    def __init__(self):
        self.state = AccountState()
        self.entries = []
        self.t = T
        self.n = 0

    def _next(self):
        self.n += 1
        self.t += timedelta(hours=1)
        return dict(booked_at=self.t, idempotency_key=f"k{self.n}")

    def add(self, e):
        self.state = apply(self.state, e)
        self.entries.append(e)
        return e

    def grant(self, **kw):
        args = dict(self._next(), caused_by={"event_id": "ev-des", "event_type": "studio.designated"},
                    studio_id="S1", tenant_id="T1", unit_id="U1")
        args.update(kw)
        return self.add(grant_entry(self.state, **args))

    def bonus(self, **kw):
        return self.add(bonus_entry(self.state, **{**self._next(), "caused_by": {"event_id": "ev-g"}, **kw}))

    def matching(self, amount, **kw):
        return self.add(matching_entry(self.state, amount_fen=amount, **{**self._next(), "caused_by": USER, **kw}))

    def spend(self, amount, category="training", funding="city", **kw):
        return self.add(expenditure_entry(self.state, amount_fen=amount, category=category, funding=funding,
                                          **{**self._next(), "caused_by": USER, **kw}))

    def reverse(self, original, reason="录入错误", **kw):
        return self.add(reversal_entry(self.state, original, reason=reason,
                                       **{**self._next(), "caused_by": USER, **kw}))

    def clawback(self, **kw):
        return self.add(clawback_entry(self.state, **{**self._next(), "caused_by": {"event_id": "ev-rev"}, **kw}))

    def repay(self, amount, **kw):
        return self.add(repayment_entry(self.state, amount_fen=amount, **{**self._next(), "caused_by": USER, **kw}))


@pytest.fixture
def book():
    b = Book()
    b.grant()
    return b


# ---------------------------------------------------------------- the entry itself

def test_grant_posts_300000_yuan_to_city_cash_r21(book):
    e = book.entries[0]
    assert GRANT_FEN == 30_000_000 and BONUS_FEN == 20_000_000
    assert e.kind == "grant" and e.source == "city_grant" and e.amount_fen == GRANT_FEN and e.cycle == 1
    assert [(p.account, p.amount_fen) for p in e.postings] == [("cash:city", GRANT_FEN),
                                                               ("funding:city_grant", -GRANT_FEN)]
    s = book.state
    assert s.city_unspent_fen == GRANT_FEN and s.cycle == 1 and s.cycle_started_at == e.booked_at
    assert s.received_fen() == {"city_grant_fen": GRANT_FEN, "city_bonus_fen": 0, "matching_fen": 0,
                                "city_fen": GRANT_FEN, "total_fen": GRANT_FEN}


def test_document_round_trip_is_bson_and_json_safe(book):
    e = book.spend(250_000, category="equipment_facilities", fixed_asset=FA, memo="发票 No.=1")
    doc = e.to_document()
    assert doc["booked_at"].tzinfo is not None and doc["booked_at"].utcoffset() == timedelta(0)
    assert set(doc) >= {"entry_id", "studio_id", "tenant_id", "unit_id", "kind", "source", "category",
                        "funding", "amount_fen", "booked_at", "cycle", "idempotency_key", "caused_by",
                        "reverses", "fixed_asset", "postings", "seq"}
    assert JournalEntry.from_document(doc) == e
    # pymongo without tz_aware returns naive UTC datetimes, and adds _id
    naive = dict(doc, booked_at=doc["booked_at"].replace(tzinfo=None), _id="x")
    assert JournalEntry.from_document(naive) == e
    js = json.dumps(e.to_json(), ensure_ascii=False)
    assert "+08:00" in js and "五轴加工中心" in js
    assert JournalEntry.from_document(json.loads(js)) == e


def test_booked_at_is_kept_to_the_millisecond_like_bson(book):
    e = book.matching(1, booked_at=book.t + timedelta(microseconds=123_456))
    assert e.booked_at.microsecond == 123_000


def test_entry_ids_are_deterministic_per_studio_and_key():
    s = AccountState()
    kw = dict(booked_at=T, idempotency_key="grant:S1", caused_by=USER, tenant_id="T1", unit_id="U1")
    assert grant_entry(s, studio_id="S1", **kw).entry_id == grant_entry(s, studio_id="S1", **kw).entry_id
    assert grant_entry(s, studio_id="S1", **kw).entry_id != grant_entry(s, studio_id="S2", **kw).entry_id


def test_an_unbalanced_or_float_entry_cannot_exist(book):
    doc = book.entries[0].to_document()
    with pytest.raises(LedgerIntegrityError):
        JournalEntry.from_document({**doc, "postings": [{"account": "cash:city", "amount_fen": 1},
                                                        {"account": "funding:city_grant", "amount_fen": -2}]})
    with pytest.raises(LedgerIntegrityError):
        JournalEntry.from_document({**doc, "amount_fen": 300000.0})
    with pytest.raises(LedgerIntegrityError):
        Posting("cash:city", 1.5)
    with pytest.raises(LedgerIntegrityError):
        Posting("cash:elsewhere", 1)
    with pytest.raises(LedgerIntegrityError):
        JournalEntry.from_document({k: v for k, v in doc.items() if k != "postings"})


def test_chart_of_accounts():
    assert {"cash:city", "cash:matching", "funding:city_grant", "funding:city_bonus", "funding:matching",
            "funding:city_clawback", "payable:city_clawback", "expense:training:city",
            "expense:equipment_facilities:matching"} <= set(ACCOUNTS)
    assert len([a for a in ACCOUNTS if a.startswith("expense:")]) == 8


# ---------------------------------------------------------------- amounts and time

@pytest.mark.parametrize("amount", [0, -1, 1.0, 100.5, True, "100", None, 10 ** 13, Decimal("100")])
def test_r24_amounts_are_positive_integer_fen(book, amount):
    with pytest.raises(LedgerRuleViolation) as exc:
        book.matching(amount)
    assert exc.value.rule == "R-24" and exc.value.field == "amount_fen" and exc.value.status == 422


def test_r24_naive_or_backdated_times_are_refused(book):
    with pytest.raises(LedgerValidationError):
        book.matching(100, booked_at=datetime(2024, 5, 1, 9, 0))
    with pytest.raises(LedgerRuleViolation) as exc:
        book.matching(100, booked_at=T - timedelta(days=1))
    assert exc.value.code == "ledger.backdated"
    assert next_booking_time(book.state, T - timedelta(days=1)) == book.state.last_booked_at
    later = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert next_booking_time(book.state, later) == later


# ---------------------------------------------------------------- idempotency

def test_same_key_same_request_is_already_booked_other_request_conflicts(book):
    e = book.matching(500_000, idempotency_key="req-1")
    with pytest.raises(AlreadyBooked) as done:
        matching_entry(book.state, amount_fen=500_000, booked_at=book.t, idempotency_key="req-1", caused_by=USER)
    assert done.value.entry_id == e.entry_id
    with pytest.raises(IdempotencyConflict) as exc:
        matching_entry(book.state, amount_fen=600_000, booked_at=book.t, idempotency_key="req-1", caused_by=USER)
    assert exc.value.status == 409


def test_replay_is_recognised_even_after_the_account_closed(book):
    book.spend(1000, idempotency_key="req-x")
    book.clawback(idempotency_key="rev-1")
    with pytest.raises(AlreadyBooked):
        expenditure_entry(book.state, amount_fen=1000, category="training", funding="city",
                          booked_at=T, idempotency_key="req-x", caused_by=USER)
    with pytest.raises(AlreadyBooked):
        clawback_entry(book.state, booked_at=T, idempotency_key="rev-1", caused_by={"event_id": "e"})


def test_apply_twice_changes_nothing_and_gaps_are_integrity_errors(book):
    e = book.matching(1000)
    assert apply(book.state, e) is book.state
    assert fold(book.entries + book.entries) == book.state
    later = matching_entry(book.state, amount_fen=5, booked_at=book.t + timedelta(hours=1),
                           idempotency_key="z", caused_by=USER)
    with pytest.raises(LedgerIntegrityError):
        fold([book.entries[0], later])              # seq 1, then 4: entries missing


# ---------------------------------------------------------------- grants and cycles

def test_r21_only_one_designation_grant(book):
    with pytest.raises(LedgerConflict) as exc:
        book.grant(idempotency_key="another")
    assert exc.value.rule == "R-21" and exc.value.code == "ledger.grant_exists" and exc.value.status == 409


def test_r21_nothing_but_a_grant_before_the_account_is_open():
    s = AccountState()
    for build in (lambda: bonus_entry(s, booked_at=T, idempotency_key="b", caused_by=USER),
                  lambda: matching_entry(s, amount_fen=1, booked_at=T, idempotency_key="m", caused_by=USER),
                  lambda: clawback_entry(s, booked_at=T, idempotency_key="c", caused_by=USER)):
        with pytest.raises(LedgerConflict) as exc:
            build()
        assert exc.value.code == "ledger.account_not_open"
    with pytest.raises(LedgerValidationError):
        grant_entry(s, booked_at=T, idempotency_key=grant_key("S1"), caused_by=USER, studio_id="S1")


def test_r25_bonus_opens_a_new_cycle(book):
    book.spend(10_000)
    b = book.bonus()
    assert b.amount_fen == BONUS_FEN and b.cycle == 2 and b.source == "city_bonus"
    assert book.state.cycle == 2 and book.state.cycle_started_at == b.booked_at
    e = book.spend(5_000)
    assert e.cycle == 2
    assert book.state.received_fen()["city_bonus_fen"] == BONUS_FEN
    assert book.state.cycle_figures(1)["spent"]["total_fen"] == 10_000
    assert book.state.cycle_figures(2)["spent"]["total_fen"] == 5_000


def test_r25_a_bonus_booked_in_error_can_be_reversed_while_its_cycle_is_empty(book):
    b = book.bonus()
    m = book.matching(1000)
    with pytest.raises(LedgerConflict) as exc:
        book.reverse(b.entry_id)
    assert exc.value.code == "ledger.cycle_in_use" and exc.value.rule == "R-25"
    book.reverse(m.entry_id)
    r = book.reverse(b.entry_id)
    assert r.cycle == 2 and book.state.cycle == 1
    assert book.state.city_unspent_fen == GRANT_FEN and book.state.received_fen()["city_bonus_fen"] == 0
    # cycle 1 holds nothing live either, so even the grant can be undone, and booked anew
    book.reverse(book.entries[0].entry_id)
    assert book.state.cycle == 0 and not book.state.is_open and book.state.city_unspent_fen == 0
    g = book.grant(idempotency_key="grant-again")
    assert g.cycle == 1 and book.state.cycle == 1


def test_r25_only_the_current_cycles_opener_can_be_reversed(book):
    book.bonus()
    with pytest.raises(LedgerConflict) as exc:
        book.reverse(book.entries[0].entry_id)
    assert exc.value.code == "ledger.cycle_closed"


# ---------------------------------------------------------------- R-22 spending

def test_r22_overspending_city_funds_is_refused(book):
    book.spend(29_000_000 // 2, category="skill_rnd", fixed_asset=FA)
    with pytest.raises(LedgerRuleViolation) as exc:
        book.spend(GRANT_FEN, category="skill_rnd", fixed_asset={**FA, "asset_tag": "X"})
    err = exc.value
    assert (err.rule, err.field, err.code, err.status) == ("R-22", "amount_fen", "ledger.insufficient_city_funds", 422)
    assert err.details["available_fen"] == GRANT_FEN - 14_500_000
    assert err.as_dict()["rule"] == "R-22"
    book.spend(GRANT_FEN - 14_500_000, fixed_asset={**FA, "asset_tag": "Y"})  # exactly what is left
    assert book.state.city_unspent_fen == 0


def test_r24_matching_money_is_spent_only_once_booked(book):
    with pytest.raises(LedgerRuleViolation) as exc:
        book.spend(500, funding="matching")
    assert exc.value.code == "ledger.insufficient_matching_funds"
    book.matching(800)
    book.spend(500, funding="matching")
    assert book.state.spent_by_funding() == {"city": 0, "matching": 500}
    assert book.state.matching_unspent_fen == 300 and book.state.city_unspent_fen == GRANT_FEN


@pytest.mark.parametrize("category", ["", "office", "设备设施", None])
def test_r22_category_must_be_one_of_the_four(book, category):
    with pytest.raises(LedgerRuleViolation) as exc:
        book.spend(100, category=category)
    assert exc.value.rule == "R-22" and exc.value.field == "category"


def test_r22_spent_by_category(book):
    for cat, amt in [("equipment_facilities", 10), ("skill_rnd", 20), ("exchange_promotion", 30), ("training", 40)]:
        book.spend(amt, category=cat)
    assert book.state.spent_by_category() == {"equipment_facilities": 10, "skill_rnd": 20,
                                              "exchange_promotion": 30, "training": 40}


@pytest.mark.parametrize("amount,special,needs", [
    (99_999, False, False), (100_000, False, True), (149_999, True, False), (150_000, True, True),
    (120_000, True, False), (120_000, False, True)])
def test_r22_fixed_asset_threshold(book, amount, special, needs):
    if needs:
        with pytest.raises(LedgerRuleViolation) as exc:
            book.spend(amount, category="equipment_facilities", special_equipment=special)
        assert exc.value.code == "ledger.fixed_asset_required" and exc.value.field == "fixed_asset"
        e = book.spend(amount, category="equipment_facilities", special_equipment=special, fixed_asset=FA)
        assert book.state.fixed_asset_register()[0]["asset_tag"] == "GZS-001"
        assert e.fixed_asset == FA
    else:
        book.spend(amount, category="equipment_facilities", special_equipment=special)
        assert book.state.fixed_asset_register() == []


def test_r22_thresholds_are_configurable_and_bulk_items_use_the_item_price(book):
    cfg = FixedAssetThresholds.from_config({"general_fen": 200_000})
    book.spend(150_000, thresholds=cfg)                                        # under 2,000 CNY
    book.spend(1_000_000, unit_price_fen=50_000)                               # 20 chairs at 500 CNY
    with pytest.raises(LedgerRuleViolation):
        book.spend(1_000_000, unit_price_fen=100_000)
    with pytest.raises(LedgerRuleViolation):
        book.spend(1_000, unit_price_fen=2_000)                                # item dearer than the total
    e = book.spend(1_000_000, fixed_asset={**FA, "quantity": 4})
    row = book.state.fixed_asset_register()[0]
    assert row["unit_price_fen"] == 250_000 and row["quantity"] == 4 and row["entry_id"] == e.entry_id


@pytest.mark.parametrize("fa", [{"asset_tag": "A"}, {**FA, "quantity": 0}, {**FA, "quantity": 1.0},
                                {**FA, "name": " "}, {**FA, "colour": "red"}, "GZS-001"])
def test_r22_fixed_asset_data_must_be_complete(book, fa):
    with pytest.raises(LedgerRuleViolation) as exc:
        book.spend(200_000, category="equipment_facilities", fixed_asset=fa)
    assert exc.value.rule == "R-22" and exc.value.field.startswith("fixed_asset")


def test_r22_asset_tags_are_unique_on_the_register_and_reversal_removes_the_row(book):
    e = book.spend(200_000, fixed_asset=FA)
    with pytest.raises(LedgerConflict) as exc:
        book.spend(300_000, fixed_asset=FA)
    assert exc.value.field == "fixed_asset.asset_tag"
    book.reverse(e.entry_id)
    assert book.state.fixed_asset_register() == []
    book.spend(300_000, fixed_asset=FA)
    assert len(book.state.fixed_asset_register()) == 1


# ---------------------------------------------------------------- R-24 reversals

def test_r24_reversal_negates_and_points_at_the_original(book):
    e = book.spend(12_345, category="exchange_promotion")
    r = book.reverse(e.entry_id, reason="重复录入")
    assert r.kind == "reversal" and r.reverses == e.entry_id and r.memo == "重复录入"
    assert [(p.account, p.amount_fen) for p in r.postings] == [(p.account, -p.amount_fen) for p in e.postings]
    assert book.state.spent_by_category()["exchange_promotion"] == 0
    assert book.state.reversed_by == {e.entry_id: r.entry_id}
    with pytest.raises(AlreadyReversed) as exc:
        book.reverse(e.entry_id)
    assert exc.value.status == 409
    with pytest.raises(LedgerConflict) as exc:
        book.reverse(r.entry_id)
    assert exc.value.code == "ledger.reverse_reversal"
    with pytest.raises(UnknownEntry):
        book.reverse("no-such-entry")
    with pytest.raises(LedgerValidationError):
        book.reverse(book.entries[1].entry_id, reason="")


def test_r24_reversing_money_already_spent_is_refused(book):
    m = book.matching(1_000)
    book.spend(600, funding="matching")
    with pytest.raises(LedgerRuleViolation) as exc:
        book.reverse(m.entry_id)
    assert exc.value.code == "ledger.reversal_overdraws"
    book.spend(1_000)
    with pytest.raises(LedgerConflict):
        book.reverse(book.entries[0].entry_id)      # the grant: its cycle has live entries


# ---------------------------------------------------------------- R-20 clawback

def test_r20_clawback_returns_unspent_and_records_spent_as_owed(book):
    book.matching(5_000_000)
    book.spend(8_000_000, fixed_asset=FA)
    book.spend(1_000_000, funding="matching", unit_price_fen=1)
    c = book.clawback()
    assert c.kind == "clawback" and c.amount_fen == GRANT_FEN and c.source == "city_grant"
    assert {p.account: p.amount_fen for p in c.postings} == {
        "funding:city_clawback": GRANT_FEN, "cash:city": -(GRANT_FEN - 8_000_000),
        "payable:city_clawback": -8_000_000}
    s = book.state
    assert s.revoked and s.city_unspent_fen == 0 and s.matching_unspent_fen == 4_000_000
    assert (s.clawed_back_fen, s.clawback_returned_fen, s.owed_by_unit_fen) == (GRANT_FEN, 22_000_000, 8_000_000)
    for build in (lambda: book.spend(1), lambda: book.matching(1), lambda: book.bonus(),
                  lambda: book.clawback(), lambda: book.reverse(book.entries[1].entry_id)):
        with pytest.raises(AccountClosed) as exc:
            build()
        assert exc.value.rule == "R-20" and exc.value.status == 409


def test_r20_clawback_takes_only_the_current_cycles_funds(book):
    book.spend(5_000_000, unit_price_fen=1)       # 25,000,000 of the grant left
    book.bonus()                                   # cycle 2: + 20,000,000
    book.spend(30_000_000, fixed_asset=FA)         # oldest first: grant money gone, 15,000,000 left
    c = book.clawback()
    assert c.amount_fen == BONUS_FEN and c.cycle == 2 and c.source == "city_bonus"
    assert -c.posting_total("cash:city") == 15_000_000
    assert -c.posting_total("payable:city_clawback") == 5_000_000
    assert book.state.city_unspent_fen == 0


def test_r20_leftover_of_an_earlier_cycle_stays(book):
    book.bonus()
    c = book.clawback()
    assert -c.posting_total("cash:city") == BONUS_FEN and c.posting_total("payable:city_clawback") == 0
    assert [p.account for p in c.postings] == ["funding:city_clawback", "cash:city"]  # no zero posting
    assert book.state.city_unspent_fen == GRANT_FEN


def test_r20_reversing_the_clawback_reopens_the_account(book):
    book.spend(1_000_000, fixed_asset=FA)
    before = book.state
    c = book.clawback()
    book.reverse(c.entry_id, reason="撤销决定被撤回")
    s = book.state
    assert not s.revoked and s.city_unspent_fen == before.city_unspent_fen and s.owed_by_unit_fen == 0
    assert s.clawed_back_fen == 0
    book.spend(10)


def test_r20_repayments_bring_what_the_unit_owes_to_zero_and_then_the_clawback_stays(book):
    book.spend(8_000_000, fixed_asset=FA)
    c = book.clawback()
    r = book.repay(3_000_000)
    assert {p.account: p.amount_fen for p in r.postings} == {"payable:city_clawback": 3_000_000,
                                                             "funding:unit_repayment": -3_000_000}
    assert book.state.owed_by_unit_fen == 5_000_000
    with pytest.raises(LedgerRuleViolation) as exc:
        book.repay(5_000_001)
    assert exc.value.rule == "R-20"
    book.repay(5_000_000)
    assert book.state.owed_by_unit_fen == 0 and book.state.revoked
    with pytest.raises(LedgerConflict):
        book.reverse(c.entry_id, reason="撤销决定被撤回")  # repaid money would be owed back: refused
    assert fold(book.entries).owed_by_unit_fen == 0


def test_r20_a_repayment_needs_a_clawback(book):
    with pytest.raises(LedgerConflict) as exc:
        book.repay(1)
    assert exc.value.rule == "R-20"


# ---------------------------------------------------------------- compliance

def test_r23_r22_cycle_compliance(book):
    book.matching(20_000_000)
    book.spend(GRANT_FEN - 1, unit_price_fen=1)
    deadline = book.t + timedelta(days=700)
    r = cycle_compliance(book.entries, next_assessment_at=deadline)
    assert r["cycle"] == 1 and r["city_funds_fen"] == GRANT_FEN and r["matching_fen"] == 20_000_000
    assert r["matching_at_least_city"] is False and r["matching_shortfall_fen"] == 10_000_000
    assert r["matching_ratio_bp"] == 6666 and r["matching_ratio"] == "66.66%"
    assert r["city_unspent_fen"] == 1 and r["city_funds_used_by_deadline"] is False
    assert r["rules"] == {"R-22": False, "R-23": False} and r["compliant"] is False
    early = cycle_compliance(book.entries, next_assessment_at=deadline, as_of=book.t)
    assert early["deadline_passed"] is False and early["rules"]["R-22"] is True
    book.matching(10_000_000)
    book.spend(1)
    r = cycle_compliance(book.entries, next_assessment_at=deadline)
    assert r["rules"] == {"R-22": True, "R-23": True} and r["compliant"] and r["matching_ratio"] == "100.00%"
    late = book.t + timedelta(days=800)
    book.spend(1, funding="matching")
    assert cycle_compliance(book.entries, next_assessment_at=late)["compliant"]
    assert cycle_compliance(book.entries)["city_funds_used_by_deadline"] is None
    with pytest.raises(UnknownEntry):
        cycle_compliance(book.entries, cycle=2)


def test_r22_a_closed_cycle_is_judged_at_the_next_cycles_start(book):
    book.spend(1_000, unit_price_fen=1)
    book.bonus()
    r = cycle_compliance(book.entries, cycle=1, next_assessment_at=book.t + timedelta(days=9999))
    assert r["next_assessment_at"] == book.state.cycles[1].to_json()["started_at"]
    assert r["city_unspent_fen"] == GRANT_FEN - 1_000 and r["rules"]["R-22"] is False


def test_r22_money_returned_by_a_clawback_was_not_used(book):
    book.clawback()
    r = cycle_compliance(book.entries, next_assessment_at=book.t + timedelta(days=1))
    assert r["revoked"] and r["clawed_back_fen"] == GRANT_FEN and r["city_funds_used_by_deadline"] is False


def test_fold_before_gives_the_account_as_it_stood(book):
    t_mid = book.t + timedelta(minutes=30)
    book.spend(100)
    assert fold_before(book.entries, t_mid).city_unspent_fen == GRANT_FEN
    assert fold_before(book.entries, book.t + timedelta(days=1)).city_unspent_fen == GRANT_FEN - 100


def test_summary_is_json_safe(book):
    book.spend(200_000, fixed_asset=FA)
    s = book.state.summary()
    assert json.loads(json.dumps(s, ensure_ascii=False)) == s
    assert s["city_unspent_fen"] == GRANT_FEN - 200_000 and s["fixed_assets"][0]["name"] == "五轴加工中心"


def test_errors_carry_status_code_rule_and_field():
    for cls, status in [(LedgerRuleViolation, 422), (LedgerConflict, 409), (AccountClosed, 409),
                        (LedgerValidationError, 422), (UnknownEntry, 404), (LedgerIntegrityError, 500)]:
        err = cls("m", rule="R-22", field="amount_fen") if cls is not AccountClosed else cls()
        assert isinstance(err, LedgerError) and err.status == status and err.code.startswith("ledger.")
        assert json.dumps(err.as_dict())
    assert not issubclass(AlreadyBooked, LedgerError)


def test_domain_imports_neither_nameko_nor_pymongo():
    root = pathlib.Path(__file__).resolve().parents[2] / "services" / "ledger" / "domain"
    files = list(root.glob("*.py"))
    assert len(files) >= 6
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for n in names:
                assert n.split(".")[0] not in ("nameko", "pymongo", "bson", "eventlet", "kombu"), (f, n)
