"""Ledger benchmark (issue #4): booking throughput against plain inserts, and a year's
reconciliation for 2,000 studios with 50 entries each.

    python -m bench ledger                      # (make bench runs every bench)
    python -m bench.ledger_bench --help         # sizes: --studios, --entries, --sample …
    MONGO_URI=mongodb://localhost:27017 python -m bench ledger    # against a real server

Every time is printed next to a baseline measured in the same run on the same store: the
same number of plain ``insert_one`` calls of the same entry documents into a collection with
the same indexes as the journal. Booking goes through the service's entry point
(``LedgerService.book_entry`` / the event handlers, with a worker from ``worker_factory``):
schema, rules, the insert of the entry and the projection update; no broker.

The embedded stand-in (mongomock-ng) has no real indexes: every read scans the collection
and every insert scans it once per unique index, so its times grow with the collection. The
run therefore measures booking twice: into an empty store (the ledger's own overhead shows)
and into the full 2,000 x 50 store (the store's cost dominates). The reconciliation reads the
accounts' stored per-year buckets (checked against the entries by ``verify``), not every entry.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone

TARGET_RATIO = 3.0
TARGET_RECONCILIATION_S = 2.0


class _Inbox:
    """The event handlers' inbox reduced to its contract: run the effect once."""

    def apply(self, payload, effect):
        from shared.inbox import AlreadyApplied
        try:
            effect(payload)
            return "applied"
        except AlreadyApplied:
            return "duplicate"


class _Bench:
    def __init__(self, uri: str, name: str):
        from services.ledger.domain import DEFAULT_THRESHOLDS
        from services.ledger.storage import INDEXES
        from shared.storage import ensure_indexes, make_client
        self.client, self.embedded = make_client(uri)
        self.client.drop_database(name)
        self.db = self.client[name]
        ensure_indexes(self.db, INDEXES)
        self.thresholds = DEFAULT_THRESHOLDS
        self._workers: dict = {}
        self.now = datetime(2025, 1, 6, 1, 0, tzinfo=timezone.utc)

    def worker(self, principal):
        from nameko.testing.services import worker_factory

        from services.ledger.dependencies import Now
        from services.ledger.service import LedgerService
        from services.ledger.storage import SCOPES
        from shared.storage import Store
        self.now += timedelta(seconds=1)
        w = self._workers.get(principal)
        if w is None:
            w = self._workers[principal] = worker_factory(
                LedgerService, store=Store(self.db, SCOPES, lambda: principal), caller=principal,
                inbox=_Inbox(), asset_policy=self.thresholds)
        w.clock = Now(self.now)
        return w

    def baseline_collection(self, name: str):
        """A collection with exactly the journal's indexes, in the same database."""
        from services.ledger.storage import ENTRIES, INDEXES
        from shared.storage import Index, ensure_indexes
        coll = self.db[name]
        coll.drop()
        ensure_indexes(self.db, [Index(name, ix.keys, ix.unique, ix.name, ix.sparse)
                                 for ix in INDEXES if ix.collection == ENTRIES])
        return coll


def designated(studio_id: str, tenant_id: str, unit_id: str, n: int) -> dict:
    return {"event_id": f"bench-d-{studio_id}", "source": "registry", "type": "studio.designated",
            "tenant_id": tenant_id, "occurred_at": "2025-01-01T00:00:00+08:00", "request_id": None,
            "data": {"studio_id": studio_id, "tenant_id": tenant_id, "unit_id": unit_id,
                     "name": f"工作室{n:04d}", "unit_name": f"单位{n:04d}"}}


def request_body(rng: random.Random, i: int) -> dict:
    r = rng.random()
    if r < 0.3:
        return {"kind": "matching", "amount_fen": rng.randrange(100_000, 2_000_000)}
    amount = rng.randrange(10_000, 1_000_000)
    body = {"kind": "expenditure", "amount_fen": amount, "unit_price_fen": min(amount, rng.randrange(1_000, 99_000)),
            "category": rng.choice(["equipment_facilities", "skill_rnd", "exchange_promotion", "training"]),
            "funding": "city"}
    if r > 0.9:
        body.pop("unit_price_fen")
        body.update(amount_fen=rng.randrange(100_000, 300_000), category="equipment_facilities",
                    fixed_asset={"asset_tag": f"FA-{i}", "name": "数控机床", "quantity": 1, "location": "实训车间"})
    return body


def _fmt(seconds: float, n: int) -> str:
    return f"{seconds:8.3f} s  ({n / seconds:9.1f}/s, {seconds / n * 1000:8.3f} ms each)" if n else "-"


def bench_booking_fresh(uri: str, studios: int, entries: int) -> dict:
    """Book ``studios`` x ``entries`` into an empty store, then the same number of plain inserts."""
    from shared.principal import Principal
    b = _Bench(uri, "skillmaster_bench_ledger_fresh")
    rng = random.Random(4)
    system = Principal.system("bench")
    units = [Principal(f"bench-unit-{s}", "unit", f"T{s % 17:02d}", f"U{s:04d}") for s in range(studios)]
    t0 = time.perf_counter()
    for s in range(studios):
        b.worker(system).on_studio_designated(designated(f"S{s:04d}", f"T{s % 17:02d}", f"U{s:04d}", s))
    booked = studios
    for k in range(1, entries):
        for s in range(studios):
            out = b.worker(units[s]).book_entry(f"S{s:04d}", request_body(rng, k * studios + s), f"bench-{k}")
            assert out["created"]
            booked += 1
    t_book = time.perf_counter() - t0
    docs = list(b.db["entries"].find({}))
    base = b.baseline_collection("baseline_entries")
    t0 = time.perf_counter()
    for d in docs:
        base.insert_one(d)
    t_base = time.perf_counter() - t0
    assert base.count_documents({}) == booked == len(docs)
    return {"n": booked, "booking_s": t_book, "baseline_s": t_base, "ratio": t_book / t_base}


def load_full(uri: str, studios: int, entries: int, year: int):
    """2,000 x 50 entries made with the domain's builders (about 3 years per studio), loaded in bulk
    with the projections the service keeps (built by the same code ``verify`` uses)."""
    from services.ledger.domain import (AccountState, LedgerError, apply, bonus_entry, expenditure_entry,
                                        grant_entry, matching_entry, rebuild_projection, reversal_entry)
    from services.ledger.domain.journal import SHANGHAI
    from services.ledger.storage import ACCOUNTS, ENTRIES, INDEXES
    from shared.storage import ensure_indexes, make_client
    client, _ = make_client(uri)
    client.drop_database("skillmaster_bench_ledger_full")
    db = client["skillmaster_bench_ledger_full"]
    rng = random.Random(2024)
    cats = ["equipment_facilities", "skill_rnd", "exchange_promotion", "training"]
    entry_docs, accounts = [], []
    for s in range(studios):
        sid, tid, uid = f"S{s:04d}", f"T{s % 17:02d}", f"U{s:04d}"
        st = AccountState()
        t = datetime(year - 2, 1, 1, tzinfo=SHANGHAI) + timedelta(minutes=rng.randrange(0, 60 * 24 * 300))
        made = [grant_entry(st, booked_at=t, idempotency_key=f"grant:{sid}", caused_by={"event_id": f"d-{sid}"},
                            studio_id=sid, tenant_id=tid, unit_id=uid)]
        st = apply(st, made[0])
        i = 0
        while len(made) < entries and i < 50 * entries:
            i += 1
            t += timedelta(minutes=rng.randrange(60, 60 * 24 * 18))
            r = rng.random()
            try:
                if r < 0.25:
                    e = matching_entry(st, amount_fen=rng.randrange(100_000, 5_000_000), booked_at=t,
                                       idempotency_key=f"m{i}", caused_by={"user": "u"})
                elif r < 0.92:
                    amount = rng.randrange(10_000, 1_500_000)
                    e = expenditure_entry(st, amount_fen=amount, category=rng.choice(cats),
                                          funding=rng.choice(["city", "city", "matching"]), booked_at=t,
                                          unit_price_fen=min(amount, rng.randrange(1_000, 99_000)),
                                          idempotency_key=f"x{i}", caused_by={"user": "u"})
                elif r < 0.98:
                    live = [x for x in made if x.kind in ("matching", "expenditure") and st.is_live(x.entry_id)]
                    if not live:
                        continue
                    e = reversal_entry(st, rng.choice(live).entry_id, booked_at=t, idempotency_key=f"r{i}",
                                       caused_by={"user": "u"}, reason="更正")
                else:
                    e = bonus_entry(st, booked_at=t, idempotency_key=f"b{i}", caused_by={"event_id": f"a{i}"})
            except LedgerError:
                continue
            st = apply(st, e)
            made.append(e)
        for e in made:
            d = e.to_document()
            d["_id"] = e.entry_id
            entry_docs.append(d)
        _, projection = rebuild_projection(made)
        accounts.append({"_id": sid, **projection, "names": {"studio": f"工作室{s:04d}", "unit": f"单位{s:04d}"},
                         "updated_at": datetime.now(timezone.utc)})
    db[ENTRIES].insert_many(entry_docs)
    db[ACCOUNTS].insert_many(accounts)
    ensure_indexes(db, INDEXES)   # after the bulk load: the stand-in checks unique indexes per insert
    return db, len(entry_docs)


def bench_full(uri: str, studios: int, entries: int, sample: int, year: int) -> dict:
    from nameko.testing.services import worker_factory

    from services.ledger.dependencies import Now
    from services.ledger.domain import DEFAULT_THRESHOLDS
    from services.ledger.service import LedgerService
    from services.ledger.storage import SCOPES
    from shared.principal import Principal
    from shared.storage import Store

    t0 = time.perf_counter()
    db, n_entries = load_full(uri, studios, entries, year)
    t_load = time.perf_counter() - t0

    def worker(p, now):
        return worker_factory(LedgerService, store=Store(db, SCOPES, lambda: p), caller=p, inbox=_Inbox(),
                              asset_policy=DEFAULT_THRESHOLDS, clock=Now(now))

    finance = Principal("bench-finance", "finance")
    now = datetime(year + 1, 3, 1, tzinfo=timezone.utc)
    fin = worker(finance, now)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        report = fin.reconciliation(year)
        times.append(time.perf_counter() - t)
    t_rec = min(times)
    assert report["all_balanced"] and len(report["studios"]) == studios, "reconciliation incomplete"
    t = time.perf_counter()
    xlsx = fin.reconciliation_xlsx(year)
    t_xlsx = time.perf_counter() - t

    # booking at full size: `sample` bookings through the service, then as many plain inserts
    rng = random.Random(9)
    picks = rng.sample(range(studios), sample)
    t = time.perf_counter()
    booked = []
    for k, s in enumerate(picks):
        p = Principal(f"bench-unit-{s}", "unit", f"T{s % 17:02d}", f"U{s:04d}")
        out = worker(p, now + timedelta(seconds=k)).book_entry(
            f"S{s:04d}", {"kind": "matching", "amount_fen": 100_000 + k}, f"full-{k}")
        assert out["created"]
        booked.append(out["entry"]["entry_id"])
    t_book = time.perf_counter() - t
    docs = [dict(d, _id=f"base-{d['_id']}", entry_id=f"base-{d['entry_id']}", studio_id=f"base-{d['studio_id']}")
            for d in db["entries"].find({"_id": {"$in": booked}})]
    t = time.perf_counter()
    for d in docs:
        db["entries"].insert_one(d)     # the same collection, the same indexes, the same size
    t_base = time.perf_counter() - t
    db["entries"].delete_many({"_id": {"$in": [d["_id"] for d in docs]}})

    checked = [fin.verify_account(f"S{s:04d}") for s in picks[:5]]
    assert all(c["ok"] for c in checked), checked
    return {"entries": n_entries, "load_s": t_load, "reconciliation_s": t_rec, "xlsx_s": t_xlsx,
            "xlsx_kib": len(xlsx["content_b64"]) * 3 // 4 // 1024, "sample": sample, "booking_s": t_book,
            "baseline_s": t_base, "ratio": t_book / t_base, "city": report["city"]}


def main(argv=()) -> int:
    """Called by ``python -m bench`` without arguments (the defaults: 2,000 x 50)."""
    parser = argparse.ArgumentParser(prog="python -m bench.ledger_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--studios", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--fresh-studios", type=int, default=100, help="booking into an empty store: studios")
    parser.add_argument("--fresh-entries", type=int, default=20, help="… and entries per studio")
    parser.add_argument("--sample", type=int, default=20, help="bookings into the full store")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--mongo-uri", default=os.environ.get("MONGO_URI", ""))
    args = parser.parse_args(list(argv))
    store = "real MongoDB" if args.mongo_uri.startswith("mongodb") else "embedded store (mongomock-ng)"
    print(f"ledger bench on the {store}; baseline = plain insert_one of the same entry documents "
          f"into a collection with the journal's indexes, same store, same run")
    ok = True

    fresh = bench_booking_fresh(args.mongo_uri, args.fresh_studios, args.fresh_entries)
    print(f"\n[booking into an empty store] {args.fresh_studios} studios x {args.fresh_entries} entries "
          f"= {fresh['n']} bookings (grants by event, then matching/expenditures by HTTP-shaped RPC)")
    print(f"  booking   {_fmt(fresh['booking_s'], fresh['n'])}")
    print(f"  baseline  {_fmt(fresh['baseline_s'], fresh['n'])}")
    print(f"  ratio     {fresh['ratio']:.2f}x  (target <= {TARGET_RATIO:g}x: "
          f"{'met' if fresh['ratio'] <= TARGET_RATIO else 'MISSED'})")
    ok &= fresh["ratio"] <= TARGET_RATIO

    full = bench_full(args.mongo_uri, args.studios, args.entries, args.sample, args.year)
    print(f"\n[full store] {args.studios} studios x {args.entries} entries = {full['entries']} entries "
          f"(built and bulk-loaded in {full['load_s']:.1f} s)")
    print(f"  booking   {_fmt(full['booking_s'], full['sample'])}  ({full['sample']} bookings)")
    print(f"  baseline  {_fmt(full['baseline_s'], full['sample'])}")
    print(f"  ratio     {full['ratio']:.2f}x  (target <= {TARGET_RATIO:g}x: "
          f"{'met' if full['ratio'] <= TARGET_RATIO else 'MISSED'})")
    ok &= full["ratio"] <= TARGET_RATIO
    print(f"  reconciliation {args.year} (JSON, {args.studios} studios, best of 3): "
          f"{full['reconciliation_s']:.3f} s  (target < {TARGET_RECONCILIATION_S:g} s: "
          f"{'met' if full['reconciliation_s'] < TARGET_RECONCILIATION_S else 'MISSED'})")
    ok &= full["reconciliation_s"] < TARGET_RECONCILIATION_S
    print(f"  reconciliation {args.year} (.xlsx, {full['xlsx_kib']} KiB): {full['xlsx_s']:.3f} s")
    c = full["city"]
    print(f"  city: opening {c['opening']['total_fen']} fen, received {c['received']['total_fen']}, "
          f"spent {c['spent']['total_fen']}, closing {c['closing']['total_fen']}, matching ratio {c['matching_ratio']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
