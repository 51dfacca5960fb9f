"""Every ledger RPC answers through its published output schema (issue 13), and the schema names
every field the repository returns: nothing is lost on the way out."""
import json
from datetime import date, datetime

from services.ledger.storage import Ledger
from shared.storage import Store
from services.ledger.storage import SCOPES
from tests.ledger.ledger_service_support import FINANCE, Ledgers, asset, designated, matching, spend, unit


def _plain(value):
    return json.loads(json.dumps(value, default=lambda o: o.isoformat() if isinstance(o, (date, datetime)) else str(o)))


def test_ledger_answers_lose_no_field_through_their_schemas():
    ledgers = Ledgers()
    ledgers.system.on_studio_designated(designated("S-A"))
    owner = unit()
    ledgers.as_(owner).book_entry("S-A", matching(5_000_000), "k-1")
    booked = ledgers.as_(owner).book_entry("S-A", spend(120_000, fixed_asset=asset()), "k-2")
    raw = Ledger(Store(ledgers.db, SCOPES, lambda: FINANCE), ledgers.now, ledgers.thresholds)
    fin = ledgers.finance
    assert _plain(fin.get_account("S-A")) == _plain(raw.account("S-A"))
    assert _plain(fin.list_accounts()) == _plain(raw.list_accounts(1, 50, None))
    assert _plain(fin.list_entries("S-A")) == _plain(raw.list_entries("S-A", 1, 50, None, None))
    assert _plain(fin.fixed_assets("S-A")) == _plain(raw.fixed_assets("S-A"))
    assert _plain(fin.compliance("S-A")) == _plain(raw.compliance("S-A", None, None, None))
    assert _plain(fin.reconciliation(year=ledgers.now.year)) == _plain(raw.reconciliation(FINANCE, ledgers.now.year, None, "projection"))
    assert set(booked) == {"entry", "created"} and booked["created"] is True
