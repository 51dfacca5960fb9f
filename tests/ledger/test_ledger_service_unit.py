"""The ledger service's entry points with worker_factory on a real embedded store (no broker).

Rule ids (DOMAIN.md R-20 … R-25) are in the test names."""
import base64
import io
import os
import sys
from datetime import datetime, timedelta

import openpyxl
import pytest

from shared.inbox import Waits

sys.path.insert(0, os.path.dirname(__file__))
from ledger_service_support import (ADMIN, FINANCE, SYSTEM, Ledgers, asset, designated, entry_docs,  # noqa: E402
                                    graded, matching, revoked, spend, tenant, unit)

from services.ledger.domain import BONUS_FEN, GRANT_FEN, FixedAssetThresholds, JournalEntry  # noqa: E402
from services.ledger.storage import Ledger  # noqa: E402
from shared.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed  # noqa: E402
from shared.principal import Principal  # noqa: E402

UNIT_A = unit()                                            # 东城 精工
UNIT_B = unit("haidian", "unit-hd-zhizao")                 # 海淀 智造


@pytest.fixture
def ledgers():
    return Ledgers()


@pytest.fixture
def opened(ledgers):
    """Studio S-A of unit A (dongcheng) and S-B of unit B (haidian), both designated."""
    ledgers.system.on_studio_designated(designated("S-A"))
    ledgers.system.on_studio_designated(designated("S-B", "haidian", "unit-hd-zhizao"))
    return ledgers


def book(ledgers, principal, studio_id, body, key=None):
    ledgers.tick()
    return ledgers.as_(principal).book_entry(studio_id, body, key)


# -- events ----------------------------------------------------------------------------
def test_R21_designation_opens_the_account_with_the_300000_yuan_grant(ledgers):
    assert ledgers.system.on_studio_designated(designated("S-A")) == "applied"
    account = ledgers.as_(UNIT_A).get_account("S-A")
    assert account["open"] and account["cycle"] == 1 and account["seq"] == 1
    assert account["received"]["city_grant_fen"] == GRANT_FEN == 30_000_000
    assert account["city_unspent_fen"] == GRANT_FEN and account["studio_name"] == "S-A技能大师工作室"
    [entry] = ledgers.as_(UNIT_A).list_entries("S-A")["items"]
    assert entry["kind"] == "grant" and entry["source"] == "city_grant"
    assert entry["caused_by"] == {"event_id": "ev-studio.designated-S-A-0", "event_type": "studio.designated"}
    assert sum(p["amount_fen"] for p in entry["postings"]) == 0


def test_R21_the_same_designation_delivered_twice_or_re_sent_books_one_grant(ledgers):
    event = designated("S-A")
    assert ledgers.system.on_studio_designated(event) == "applied"
    assert ledgers.system.on_studio_designated(event) == "duplicate"
    # the same fact under another event id (e.g. re-published) is still one grant: natural key
    assert ledgers.system.on_studio_designated(designated("S-A", event_id="another-id")) == "duplicate"
    assert len(entry_docs(ledgers.db, "S-A")) == 1
    assert ledgers.finance.get_account("S-A")["received"]["city_fen"] == GRANT_FEN


def test_R21_R25_an_excellent_grade_books_the_bonus_and_opens_a_new_cycle(opened):
    assert opened.system.on_assessment_graded(graded("S-A", "pass", round_id="r-1")) == "applied"
    assert opened.finance.get_account("S-A")["cycle"] == 1            # pass: nothing booked
    opened.tick(days=700)
    assert opened.system.on_assessment_graded(graded("S-A", "excellent", round_id="r-2")) == "applied"
    assert opened.system.on_assessment_graded(graded("S-A", "excellent", round_id="r-2")) == "duplicate"
    account = opened.finance.get_account("S-A")
    assert account["cycle"] == 2 and [c["kind"] for c in account["cycles"]] == ["grant", "bonus"]
    assert account["received"]["city_bonus_fen"] == BONUS_FEN
    assert account["city_unspent_fen"] == GRANT_FEN + BONUS_FEN
    assert len(entry_docs(opened.db, "S-A")) == 2


def test_R20_revocation_returns_the_unspent_part_and_records_the_spent_part_as_owed(opened):
    book(opened, UNIT_A, "S-A", spend(9_000_000, unit_price_fen=50_000))         # 90,000 CNY of city money
    book(opened, UNIT_A, "S-A", matching(1_000_000))
    assert opened.system.on_studio_revoked(revoked("S-A")) == "applied"
    assert opened.system.on_studio_revoked(revoked("S-A")) == "duplicate"
    account = opened.finance.get_account("S-A")
    assert account["revoked"]
    assert account["clawed_back"] == {"total_fen": GRANT_FEN, "returned_fen": GRANT_FEN - 9_000_000,
                                      "owed_fen": 9_000_000}
    assert account["owed_by_unit_fen"] == 9_000_000
    assert account["city_unspent_fen"] == 0 and account["matching_unspent_fen"] == 1_000_000  # the unit's stays
    clawback = entry_docs(opened.db, "S-A")[-1]
    assert clawback["kind"] == "clawback" and sum(p["amount_fen"] for p in clawback["postings"]) == 0


def test_R20_a_revoked_account_takes_no_more_bookings(opened):
    opened.system.on_studio_revoked(revoked("S-A"))
    with pytest.raises(Conflict) as err:
        book(opened, UNIT_A, "S-A", matching(100))
    assert err.value.rule == "R-20"


def test_an_event_that_cannot_be_applied_yet_waits_for_the_designation_which_wakes_it(ledgers):
    """E.g. studio.revoked handled before studio.designated (two queues, no order between them)."""
    assert ledgers.system.on_studio_revoked(revoked("S-X")) == "failed"
    assert isinstance(ledgers.inbox.failures[-1], Waits)
    assert isinstance(ledgers.inbox.failures[-1].__cause__, NotFound)
    assert ledgers.inbox.failures[-1].key == "studio.designated:S-X"
    assert ledgers.system.on_assessment_graded(graded("S-X")) == "failed"
    ledgers.system.on_studio_designated(designated("S-X"))
    assert ledgers.inbox.woken == ["studio.designated:S-X"]
    assert ledgers.system.on_studio_revoked(revoked("S-X")) == "applied"          # the retry succeeds
    assert ledgers.system.on_assessment_graded(graded("S-X")) == "failed"         # closed for good
    assert ledgers.inbox.failures[-1].rule == "R-20"
    assert ledgers.system.on_studio_designated(
        {"event_id": "e", "type": "studio.designated", "data": {"tenant_id": "t"}}) == "failed"
    assert "lacks studio_id" in str(ledgers.inbox.failures[-1])


# -- bookings by the unit --------------------------------------------------------------
def test_R23_the_unit_books_matching_funds_201_created(opened):
    out = book(opened, UNIT_A, "S-A", matching(2_500_000, memo="单位配套"), "k-1")
    assert out["created"] and out["entry"]["kind"] == "matching" and out["entry"]["amount_display"] == "25,000.00"
    account = opened.as_(UNIT_A).get_account("S-A")
    assert account["received"]["matching_fen"] == 2_500_000 and account["matching_ratio"] == "8.33%"


def test_R22_spending_more_city_money_than_the_account_holds_is_refused_422(opened):
    with pytest.raises(RuleViolation) as err:
        book(opened, UNIT_A, "S-A", spend(GRANT_FEN + 1, unit_price_fen=50_000))
    assert err.value.rule == "R-22" and err.value.extra["ledger_code"] == "ledger.insufficient_city_funds"
    assert "amount_fen" in err.value.errors
    assert len(entry_docs(opened.db, "S-A")) == 1                    # nothing written
    book(opened, UNIT_A, "S-A", spend(GRANT_FEN, unit_price_fen=50_000))  # all of it is fine
    assert opened.finance.get_account("S-A")["city_unspent_fen"] == 0


def test_R24_matching_money_cannot_be_spent_before_it_is_booked(opened):
    with pytest.raises(RuleViolation) as err:
        book(opened, UNIT_A, "S-A", spend(100, funding="matching"))
    assert err.value.rule == "R-24"


@pytest.mark.parametrize("price,special,needs_asset", [
    (99_999, False, False), (100_000, False, True), (149_999, True, False), (150_000, True, True)])
def test_R22_an_item_at_or_above_the_fixed_asset_threshold_needs_registration(opened, price, special, needs_asset):
    body = spend(price, "equipment_facilities", special_equipment=special)
    if needs_asset:
        with pytest.raises(RuleViolation) as err:
            book(opened, UNIT_A, "S-A", body)
        assert err.value.rule == "R-22" and "fixed_asset" in err.value.errors
        body["fixed_asset"] = asset()
    out = book(opened, UNIT_A, "S-A", body)
    register = opened.as_(UNIT_A).fixed_assets("S-A")
    assert [r["asset_tag"] for r in register["items"]] == (["FA-1"] if needs_asset else [])
    if needs_asset:
        assert register["items"][0]["entry_id"] == out["entry"]["entry_id"] and register["total_fen"] == price


def test_R22_the_fixed_asset_thresholds_are_configuration(ledgers):
    low = Ledgers(thresholds=FixedAssetThresholds(general_fen=50_000, special_equipment_fen=80_000))
    low.system.on_studio_designated(designated("S-A"))
    with pytest.raises(RuleViolation):
        book(low, UNIT_A, "S-A", spend(60_000, "equipment_facilities"))
    assert low.as_(UNIT_A).fixed_assets("S-A")["thresholds"] == {"general_fen": 50_000, "special_equipment_fen": 80_000}


def test_R22_an_asset_tag_is_registered_once(opened):
    book(opened, UNIT_A, "S-A", spend(200_000, "equipment_facilities", fixed_asset=asset("FA-9")))
    with pytest.raises(Conflict):
        book(opened, UNIT_A, "S-A", spend(200_000, "equipment_facilities", fixed_asset=asset("FA-9")))


def test_R24_a_reversal_points_at_the_original_restores_the_balances_and_happens_once(opened):
    original = book(opened, UNIT_A, "S-A", spend(300_000, "equipment_facilities", fixed_asset=asset()))["entry"]
    rev = book(opened, UNIT_A, "S-A", {"kind": "reversal", "reverses": original["entry_id"], "memo": "录入错误"})
    assert rev["created"] and rev["entry"]["reverses"] == original["entry_id"]
    assert rev["entry"]["postings"] == [{"account": p["account"], "amount_fen": -p["amount_fen"]}
                                        for p in original["postings"]]
    account = opened.as_(UNIT_A).get_account("S-A")
    assert account["city_unspent_fen"] == GRANT_FEN and account["spent"]["total_fen"] == 0
    assert account["fixed_assets"] == [] and account["reversed_entry_ids"] == [original["entry_id"]]
    first = opened.as_(UNIT_A).list_entries("S-A")["items"][1]
    assert first["reversed_by"] == rev["entry"]["entry_id"]           # the original is still there, unchanged
    with pytest.raises(Conflict):
        book(opened, UNIT_A, "S-A", {"kind": "reversal", "reverses": original["entry_id"], "memo": "again"})
    with pytest.raises(NotFound):
        book(opened, UNIT_A, "S-A", {"kind": "reversal", "reverses": "no-such-entry", "memo": "x"})


def test_entries_are_never_edited_bookings_only_insert(opened):
    before = {d["_id"]: d for d in entry_docs(opened.db)}
    book(opened, UNIT_A, "S-A", matching(500))
    book(opened, UNIT_A, "S-A", spend(400, funding="matching"))
    after = {d["_id"]: d for d in entry_docs(opened.db)}
    assert all(after[k] == v for k, v in before.items()) and len(after) == len(before) + 2


# -- idempotency -----------------------------------------------------------------------
def test_the_same_idempotency_key_and_body_returns_the_first_entry(opened):
    first = book(opened, UNIT_A, "S-A", matching(700_000), "key-1")
    again = book(opened, UNIT_A, "S-A", matching(700_000), "key-1")
    assert first["created"] and not again["created"] and again["entry"] == first["entry"]
    assert len(entry_docs(opened.db, "S-A")) == 2


def test_the_same_idempotency_key_with_another_body_is_409(opened):
    book(opened, UNIT_A, "S-A", matching(700_000), "key-1")
    with pytest.raises(Conflict) as err:
        book(opened, UNIT_A, "S-A", matching(700_001), "key-1")
    assert err.value.extra["ledger_code"] == "ledger.idempotency_conflict"
    with pytest.raises(Conflict):
        book(opened, UNIT_A, "S-A", spend(700_000, unit_price_fen=1), "key-1")


def test_a_replay_that_the_rules_would_now_refuse_still_answers_with_the_first_entry(opened):
    first = book(opened, UNIT_A, "S-A", spend(GRANT_FEN, unit_price_fen=10_000), "all-of-it")
    again = book(opened, UNIT_A, "S-A", spend(GRANT_FEN, unit_price_fen=10_000), "all-of-it")  # would overspend now
    assert not again["created"] and again["entry"]["entry_id"] == first["entry"]["entry_id"]


def test_idempotency_keys_are_per_user(opened):
    colleague = unit(user="another-user-of-unit-a")
    a = book(opened, UNIT_A, "S-A", matching(100), "same-key")
    b = book(opened, colleague, "S-A", matching(100), "same-key")
    assert a["created"] and b["created"] and a["entry"]["entry_id"] != b["entry"]["entry_id"]


def test_without_a_key_every_request_books_anew(opened):
    assert book(opened, UNIT_A, "S-A", matching(100))["created"]
    assert book(opened, UNIT_A, "S-A", matching(100))["created"]
    assert len(entry_docs(opened.db, "S-A")) == 3


# -- scope and roles -------------------------------------------------------------------
def test_a_unit_cannot_book_for_another_units_studio_404(opened):
    with pytest.raises(NotFound):
        book(opened, UNIT_A, "S-B", matching(100))
    assert len(entry_docs(opened.db, "S-B")) == 1


@pytest.mark.parametrize("principal", [tenant(), FINANCE, ADMIN, Principal("c", "city_center")])
def test_only_the_unit_books(opened, principal):
    with pytest.raises(Forbidden):
        book(opened, principal, "S-A", matching(100))


def test_a_tenant_sees_only_its_tenants_accounts(opened):
    dongcheng = opened.as_(tenant())
    assert [a["studio_id"] for a in dongcheng.list_accounts()["items"]] == ["S-A"]
    with pytest.raises(NotFound):
        dongcheng.get_account("S-B")
    with pytest.raises(NotFound):
        dongcheng.list_entries("S-B")
    with pytest.raises(NotFound):
        dongcheng.compliance("S-B")
    assert opened.as_(UNIT_B).list_accounts()["total"] == 1
    assert {a["studio_id"] for a in opened.finance.list_accounts()["items"]} == {"S-A", "S-B"}
    assert [a["studio_id"] for a in opened.finance.list_accounts(tenant_id="haidian")["items"]] == ["S-B"]


def test_the_request_is_checked_field_by_field_before_any_rule(opened):
    cases = [({"kind": "matching", "amount_fen": "100"}, "amount_fen"),
             ({"kind": "matching", "amount_fen": 1.5}, "amount_fen"),
             ({"kind": "matching", "amount_fen": True}, "amount_fen"),
             ({"kind": "matching", "amount_fen": 0}, "amount_fen"),
             ({"kind": "grant", "amount_fen": 1}, "kind"),
             ({"kind": "expenditure", "amount_fen": 1, "category": "snacks", "funding": "city"}, "category"),
             ({"kind": "expenditure", "amount_fen": 1, "funding": "city"}, "category"),
             ({"kind": "matching", "amount_fen": 1, "category": "training"}, "category"),
             ({"kind": "reversal", "reverses": "x"}, "memo"),
             ({"kind": "matching", "amount_fen": 1, "colour": "red"}, "colour"),
             ({"kind": "expenditure", "amount_fen": 200_000, "category": "training", "funding": "city",
               "fixed_asset": {"asset_tag": "A", "name": "n", "quantity": 0, "location": "l"}}, "fixed_asset.quantity")]
    for body, field in cases:
        with pytest.raises(ValidationFailed) as err:
            book(opened, UNIT_A, "S-A", body)
        assert field in err.value.errors, (body, err.value.errors)
    assert len(entry_docs(opened.db, "S-A")) == 1


# -- the projection and its check ------------------------------------------------------
def test_the_stored_projection_equals_a_fold_over_the_entries(opened):
    for i in range(5):
        book(opened, UNIT_A, "S-A", matching(10_000 + i))
        book(opened, UNIT_A, "S-A", spend(5_000 + i, funding="matching"))
    assert opened.finance.verify_account("S-A") == {"studio_id": "S-A", "ok": True, "seq": 11, "stored_seq": 11,
                                                    "differences": [], "repaired": False}
    assert opened.finance.verify_projection()["ok"]


def test_a_projection_that_lags_behind_the_journal_is_found_and_repaired(opened):
    """A crash between the insert of an entry (the commit point) and the projection update."""
    book(opened, UNIT_A, "S-A", matching(50_000))
    stale = opened.db.accounts.find_one({"_id": "S-A"})
    book(opened, UNIT_A, "S-A", matching(60_000))
    opened.db.accounts.replace_one({"_id": "S-A"}, stale)                  # as if the update never happened
    check = opened.finance.verify_account("S-A")
    assert not check["ok"] and check["stored_seq"] == 2 and check["seq"] == 3
    assert any(d.startswith("balances") for d in check["differences"])
    with pytest.raises(Forbidden):
        opened.finance.verify_account("S-A", repair=True)               # repair: admin only
    # the next booking clashes on (studio_id, seq), folds the journal and carries on
    book(opened, UNIT_A, "S-A", matching(70_000))
    assert opened.finance.verify_account("S-A")["ok"]
    assert opened.finance.get_account("S-A")["received"]["matching_fen"] == 180_000
    # and an admin repair does the same without a booking
    opened.db.accounts.replace_one({"_id": "S-A"}, stale)
    assert opened.as_(ADMIN).verify_account("S-A", repair=True)["repaired"]
    assert opened.finance.verify_projection()["ok"]


def test_a_lost_projection_is_rebuilt_by_the_redelivered_designation(ledgers):
    ledgers.system.on_studio_designated(designated("S-A"))
    ledgers.db.accounts.delete_one({"_id": "S-A"})                          # crash before the first projection
    assert ledgers.system.on_studio_designated(designated("S-A")) == "duplicate"
    assert ledgers.finance.verify_account("S-A")["ok"]


def test_a_concurrent_booking_between_read_and_insert_is_retried_on_the_seq_clash(opened):
    """The optimistic lock: two bookings built from the same state; the second one rebuilds."""
    store = opened.as_(UNIT_A).store
    racer = Ledger(store, opened.tick(), opened.thresholds)
    me = Ledger(store, opened.tick(), opened.thresholds)
    from services.ledger.domain import matching_entry, next_booking_time
    calls = []

    def build(state):
        calls.append(state.seq)
        if len(calls) == 1:  # someone else books right after we read the projection
            racer.book_request(UNIT_A, "S-A", {"kind": "matching", "amount_fen": 111, "memo": ""}, "racer")
        return matching_entry(state, amount_fen=222, booked_at=next_booking_time(state, me.now),
                              idempotency_key="me", caused_by={"user": UNIT_A.user})

    entry, created = me.book("S-A", build, "me")
    assert created and calls == [1, 2] and entry.seq == 3
    assert [d["amount_fen"] for d in entry_docs(opened.db, "S-A")] == [GRANT_FEN, 111, 222]
    assert opened.finance.verify_account("S-A")["ok"]


def test_every_stored_entry_balances_and_round_trips(opened):
    book(opened, UNIT_A, "S-A", matching(1_000_000))
    book(opened, UNIT_A, "S-A", spend(200_000, "equipment_facilities", fixed_asset=asset()))
    opened.system.on_studio_revoked(revoked("S-A"))
    for doc in entry_docs(opened.db):
        assert sum(p["amount_fen"] for p in doc["postings"]) == 0
        e = JournalEntry.from_document(doc)
        assert e.to_document() == {k: v for k, v in doc.items() if k != "_id"}


# -- compliance ------------------------------------------------------------------------
def test_R22_R23_compliance_for_the_assessment_service(opened):
    book(opened, UNIT_A, "S-A", matching(GRANT_FEN))
    book(opened, UNIT_A, "S-A", spend(GRANT_FEN, unit_price_fen=50_000))
    assessment = opened.as_(SYSTEM)                                       # the assessment service's principal
    ok = assessment.compliance("S-A", next_assessment_at="2027-03-01", as_of="2027-03-02")
    assert ok["rules"] == {"R-22": True, "R-23": True} and ok["compliant"] and ok["matching_ratio"] == "100.00%"
    short = opened.as_(SYSTEM).compliance("S-B", next_assessment_at="2027-03-01", as_of="2027-03-02")
    assert short["rules"] == {"R-22": False, "R-23": False} and short["matching_shortfall_fen"] == GRANT_FEN
    early = opened.as_(SYSTEM).compliance("S-B", next_assessment_at="2027-03-01")   # now: before the deadline
    assert early["deadline_passed"] is False and early["rules"]["R-22"] is True
    batch = assessment.compliance_batch(["S-A", "S-B", "nope"], next_assessment_at="2027-03-01", as_of="2027-03-02")
    assert [r["studio_id"] for r in batch] == ["S-A", "S-B"]
    with pytest.raises(ValidationFailed):
        assessment.compliance("S-A", next_assessment_at="next spring")
    with pytest.raises(NotFound):
        assessment.compliance("S-A", cycle=2)


# -- reconciliation --------------------------------------------------------------------
def _year_of_bookings(ledgers):
    ledgers.system.on_studio_designated(designated("S-A"))
    ledgers.system.on_studio_designated(designated("S-B", "haidian", "unit-hd-zhizao", name="=HYPERLINK(\"x\")"))
    book(ledgers, UNIT_A, "S-A", matching(12_345_678))
    book(ledgers, UNIT_A, "S-A", spend(2_000_000, "training", unit_price_fen=10_000))
    book(ledgers, UNIT_B, "S-B", spend(300_000, "equipment_facilities", fixed_asset=asset()))
    ledgers.tick(days=400)                                                 # into 2026
    book(ledgers, UNIT_A, "S-A", spend(1_000_000, "skill_rnd", funding="matching", unit_price_fen=10_000))
    ledgers.system.on_studio_revoked(revoked("S-B"))


def test_reconciliation_from_the_projection_equals_the_one_from_the_entries(ledgers):
    _year_of_bookings(ledgers)
    for year in (2024, 2025, 2026, 2027):
        fast = ledgers.finance.reconciliation(year)
        slow = ledgers.finance.reconciliation(year, source="entries")
        assert fast == {**slow, "source": "projection"}, year
    r25, r26 = ledgers.finance.reconciliation(2025), ledgers.finance.reconciliation("2026")
    assert r25["all_balanced"] and r26["all_balanced"]
    assert r25["city"]["received"]["city_grant_fen"] == 2 * GRANT_FEN
    assert r25["city"]["spent"]["by_category"]["equipment_facilities"] == 300_000
    assert r26["city"]["opening"] == r25["city"]["closing"]
    assert r26["city"]["clawed_back"]["total_fen"] == GRANT_FEN and r26["city"]["clawed_back"]["owed_fen"] == 300_000
    assert [t["tenant_id"] for t in r25["tenants"]] == ["dongcheng", "haidian"]


def test_reconciliation_scope_tenant_sees_its_own_unit_none_other_tenant_404(ledgers):
    _year_of_bookings(ledgers)
    mine = ledgers.as_(tenant()).reconciliation(2025)
    assert [s["studio_id"] for s in mine["studios"]] == ["S-A"] and mine["scope"] == {"tenant_id": "dongcheng"}
    assert ledgers.as_(tenant()).reconciliation(2025, tenant_id="dongcheng") == mine
    with pytest.raises(NotFound):
        ledgers.as_(tenant()).reconciliation(2025, tenant_id="haidian")
    with pytest.raises(Forbidden):
        ledgers.as_(UNIT_A).reconciliation(2025)
    with pytest.raises(ValidationFailed) as err:
        ledgers.finance.reconciliation("twenty")
    assert "year" in err.value.errors
    with pytest.raises(ValidationFailed):
        ledgers.finance.reconciliation(None)


def test_reconciliation_workbook_has_chinese_headers_formula_totals_and_escaped_text(ledgers):
    _year_of_bookings(ledgers)
    payload = ledgers.finance.reconciliation_xlsx(2025)
    assert payload["filename"].endswith(".xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(payload["content_b64"])))
    assert wb.sheetnames == ["工作室明细", "主管部门汇总", "全市汇总", "说明"]
    ws = wb["工作室明细"]
    headers = [c.value for c in ws[2]]
    assert "期初余额合计" in headers and "本年支出·培训" in headers
    total_row = [c.value for c in ws[5]]
    assert total_row[0] == "合计" and any(isinstance(v, str) and v.startswith("=SUM(") for v in total_row)
    names = [ws.cell(row=r, column=6).value for r in (3, 4)]
    assert "'=HYPERLINK(\"x\")" in names                                      # text, not a formula


# -- the timestamps ----------------------------------------------------------------------
def test_R24_entries_are_booked_in_time_order_even_if_the_clock_goes_back(opened):
    book(opened, UNIT_A, "S-A", matching(100))
    opened.now = opened.now - timedelta(days=3)
    out = opened.as_(UNIT_A).book_entry("S-A", matching(200), None)
    first, second = opened.as_(UNIT_A).list_entries("S-A")["items"][1:]
    assert out["created"] and second["booked_at"] >= first["booked_at"]


def test_a_late_projection_writer_never_overwrites_a_newer_projection(opened):
    book(opened, UNIT_A, "S-A", matching(100))
    old = {k: v for k, v in opened.db.accounts.find_one({"_id": "S-A"}).items() if k not in ("_id", "names")}
    book(opened, UNIT_A, "S-A", matching(200))
    Ledger(opened.as_(UNIT_A).store, opened.tick(), opened.thresholds)._move_projection("S-A", old)
    assert opened.db.accounts.find_one({"_id": "S-A"})["seq"] == 3 and opened.finance.verify_account("S-A")["ok"]


# -- configuration ---------------------------------------------------------------------
class _Container:
    def __init__(self, **config):
        self.config = config


def test_R22_thresholds_and_clock_come_from_configuration():
    from services.ledger.dependencies import Clock, FixedAssetPolicy
    policy = FixedAssetPolicy()
    policy.container = _Container()
    policy.setup()
    assert (policy.thresholds.general_fen, policy.thresholds.special_equipment_fen) == (100_000, 150_000)
    policy.container = _Container(FIXED_ASSET_THRESHOLD_FEN=200_000, SPECIAL_EQUIPMENT_THRESHOLD_FEN="250000")
    policy.setup()
    assert (policy.thresholds.general_fen, policy.thresholds.special_equipment_fen) == (200_000, 250_000)
    policy.container = _Container(FIXED_ASSET_THRESHOLD_FEN=0)
    with pytest.raises(SystemExit):
        policy.setup()
    clock = Clock()
    clock.container = _Container(CLOCK_NOW="2025-06-30T09:00:00+08:00")
    clock.setup()
    # shared/clock.py: the clock starts at CLOCK_NOW and runs on; it reads in UTC
    started = clock.get_dependency(None).now() - datetime.fromisoformat("2025-06-30T09:00:00+08:00")
    assert timedelta(0) <= started < timedelta(minutes=1)
    from shared.config import load_config
    config = load_config(environ={"FIXED_ASSET_THRESHOLD_FEN": "120000"})
    assert config["FIXED_ASSET_THRESHOLD_FEN"] == 120_000 and config["SPECIAL_EQUIPMENT_THRESHOLD_FEN"] == 150_000


def test_R22_a_lagging_projection_never_refuses_money_the_journal_holds(opened):
    """The projection missed a matching deposit (crash): spending it is judged on the journal."""
    stale = opened.db.accounts.find_one({"_id": "S-A"})
    book(opened, UNIT_A, "S-A", matching(500_000))
    opened.db.accounts.replace_one({"_id": "S-A"}, stale)
    out = book(opened, UNIT_A, "S-A", spend(500_000, funding="matching", unit_price_fen=10_000))
    assert out["created"] and out["entry"]["seq"] == 3
    assert opened.finance.verify_account("S-A")["ok"]


def test_R20_a_revoked_account_takes_the_units_repayment_of_what_it_owes_until_it_is_zero(opened):
    """issue 14: the clawback leaves the spent part owed; only the repayment of it is still booked."""
    book(opened, UNIT_A, "S-A", spend(9_000_000, unit_price_fen=50_000))
    assert opened.system.on_studio_revoked(revoked("S-A")) == "applied"
    with pytest.raises(RuleViolation) as too_much:
        book(opened, UNIT_A, "S-A", {"kind": "repayment", "amount_fen": 9_000_001})
    assert too_much.value.rule == "R-20"
    book(opened, UNIT_A, "S-A", {"kind": "repayment", "amount_fen": 4_000_000, "memo": "第一笔补缴"}, key="r1")
    book(opened, UNIT_A, "S-A", {"kind": "repayment", "amount_fen": 4_000_000, "memo": "第一笔补缴"}, key="r1")
    assert opened.finance.get_account("S-A")["owed_by_unit_fen"] == 5_000_000   # the replay booked nothing
    book(opened, UNIT_A, "S-A", {"kind": "repayment", "amount_fen": 5_000_000}, key="r2")
    account = opened.finance.get_account("S-A")
    assert account["owed_by_unit_fen"] == 0 and account["revoked"]
    with pytest.raises(Conflict):
        book(opened, UNIT_A, "S-A", matching(100))                              # still closed for the rest
    with pytest.raises(RuleViolation):
        book(opened, UNIT_A, "S-A", {"kind": "repayment", "amount_fen": 1}, key="r3")


def test_R20_nothing_is_repaid_on_an_account_that_was_not_clawed_back(opened):
    with pytest.raises(Conflict) as err:
        book(opened, UNIT_A, "S-A", {"kind": "repayment", "amount_fen": 100})
    assert err.value.rule == "R-20"
