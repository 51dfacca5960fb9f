"""Supervision benchmark (issue 16): a tenant's annual-summary draft over 2,000 studios, and the
city's status view over 100 tenants, each next to a baseline measured in the same run.

    python -m bench supervision                          # (make bench runs every bench)
    python -m bench.supervision_bench --studios 2000 --tenants 100
    MONGO_URI=mongodb://localhost:27017 python -m bench supervision

What is measured goes through the service's entry points (``SupervisionService.build_summary``
and ``summary_status`` with a worker from ``worker_factory``; no broker): the studio read model
(2,000 rows) and the tenant's 2,000 inspections read from the store, reporting's digest (2,000
studios with their reports and outputs) and the ledger's reconciliation rows (2,000 accounts)
as they arrive from those services (their own cost is in their benches; the calls are answered
in-process here), the figures added up by the domain, and the draft (with its 2,000 studio
rows) written back. The status view reads every tenant's summary of the year (75 of the 100
tenants have one, with 20 studio rows each, which the view projects away; the 2,000-studio draft
above is in the same collection) and registry's 100 tenants.

The embedded stand-in copies every document an aggregation or a find touches (no projection
push-down in aggregations), so the baselines here are dominated by that copying: the status
baseline copies the 2,000-row draft too, which the view's projected read does not.

Baselines, on the same collections in the same run: for the draft, one aggregation per
collection it reads (studios grouped by status, the year's inspections grouped by rating with
their open items summed); for the status view, one aggregation of the year's summaries
grouped by state. Target: under 1 s each here; the ratio is printed.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, datetime, timezone

TARGET_S = 1.0
YEAR = 2026


class _Caller:
    def __init__(self, principal):
        self.principal = principal

    def get(self):
        return self.principal

    def require_role(self, *roles):
        return self.principal.require_role(*roles)


class _Calls:
    """The answers reporting, the ledger and registry would give (in-process, no broker)."""

    def __init__(self, digest, funds, tenants):
        self.reporting = type("R", (), {"report_digest": lambda _s, year, tenant_id=None, studio_ids=None: digest})()
        self.ledger = type("L", (), {"reconciliation": lambda _s, year=None, tenant_id=None: {"studios": funds}})()
        pages = {"items": tenants, "page": 1, "page_size": 500, "total": len(tenants), "pages": 1}
        self.registry = type("G", (), {"list_tenants": lambda _s, page=1, page_size=500: pages,
                                       "get_tenant": lambda _s, tid: {"id": tid, "name": tid}})()

    def as_system(self, reason):
        return self


def _studio(i, tenant):
    return {"_id": f"{tenant}-S{i:05d}", "tenant_id": tenant, "tenant_name": "东城区", "unit_id": f"{tenant}-U{i % 400:04d}",
            "unit_name": f"单位{i % 400:04d}", "name": f"技能大师工作室{i:05d}", "designated_on": "2024-06-01",
            "year": 2024, "status": "active" if i % 50 else "revoked", "revoked_on": None if i % 50 else "2026-03-01",
            "_events": [f"e{i}"]}


def _inspection(i, tenant, rnd):
    open_items = rnd.randint(0, 2)
    return {"_id": f"I{i:05d}", "inspection_id": f"I{i:05d}", "revision": 1, "tenant_id": tenant,
            "unit_id": f"{tenant}-U{i % 400:04d}", "studio_id": f"{tenant}-S{i:05d}", "studio_name": "",
            "year": YEAR, "inspected_on": "2026-10-15", "inspectors": ["张三", "李四"], "checked": ["activity", "funds"],
            "findings": "", "rating": rnd.choice(["good", "fair", "poor"]), "recorded_by": "bench",
            "rectifications": [{"item_id": str(k + 1), "description": "整改", "due_on": "2026-12-31", "state": "open"}
                               for k in range(open_items)]}


def _digest(i, tenant, rnd):
    state = rnd.choice(["accepted", "submitted", "returned", "draft", "missing"])
    return {"studio_id": f"{tenant}-S{i:05d}", "tenant_id": tenant, "unit_id": f"{tenant}-U{i % 400:04d}", "year": YEAR,
            "agreement": {"state": "accepted", "version": 1, "signed_on": "2026-01-10"},
            "plan": {"state": "accepted", "version": 1, "submitted_at": None, "due_on": "2026-03-31", "timeliness": "on_time"},
            "results": {"state": state, "version": 1, "submitted_at": None, "due_on": "2026-12-01",
                        "timeliness": rnd.choice(["on_time", "late"])},
            "targets_total": 5, "targets_met": rnd.randint(0, 5),
            "outputs": {k: rnd.randint(0, 5) for k in ("rd_projects", "patents", "apprentices", "promotions", "events")},
            "economic_benefit_fen": rnd.randint(0, 10_000_000)}


def _fund(i, tenant, rnd):
    city, matching = 30_000_000, rnd.randint(0, 40_000_000)
    return {"studio_id": f"{tenant}-S{i:05d}", "received": {"city_fen": city, "matching_fen": matching},
            "spent": {"total_fen": rnd.randint(0, city)}, "cumulative": {"city_fen": city, "matching_fen": matching}}


def _best(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(studios: int, tenants: int, repeat: int, uri: str) -> dict:
    from nameko.testing.services import worker_factory

    from services.supervision.domain import summaries as sm
    from services.supervision.service import SupervisionService
    from services.supervision.storage import INDEXES, SCOPES
    from shared.clock import ClockReading
    from shared.principal import Principal
    from shared.storage import Store, ensure_indexes, make_client

    rnd = random.Random(16)
    client, _ = make_client(uri)
    client.drop_database("bench_supervision")
    db = client["bench_supervision"]
    ensure_indexes(db, INDEXES)
    tenant = "dongcheng"
    db.studios.insert_many([_studio(i, tenant) for i in range(studios)])
    db.inspections.insert_many([_inspection(i, tenant, rnd) for i in range(studios)])
    digest = [_digest(i, tenant, rnd) for i in range(studios)]
    funds = [_fund(i, tenant, rnd) for i in range(studios)]
    tenant_rows = [{"id": f"t{n:03d}", "name": f"主管部门{n:03d}"} for n in range(tenants)]
    now = datetime(2026, 12, 10, 2, 0, tzinfo=timezone.utc)

    def worker(principal):
        return worker_factory(SupervisionService, store=Store(db, SCOPES, lambda: principal), caller=_Caller(principal),
                              clock=ClockReading(now), services=_Calls(digest, funds, tenant_rows))

    dc = worker(Principal("bench-dongcheng", "tenant", tenant))
    dc.build_summary(tenant, YEAR)                                   # first build: the insert
    draft_s = _best(lambda: dc.build_summary(tenant, YEAR), repeat)  # rebuilds: read, add up, write back

    def draft_baseline():
        list(db.studios.aggregate([{"$match": {"tenant_id": tenant}},
                                   {"$group": {"_id": "$status", "n": {"$sum": 1}}}]))
        list(db.inspections.aggregate([{"$match": {"tenant_id": tenant, "year": YEAR}},
                                       {"$group": {"_id": "$rating", "n": {"$sum": 1},
                                                   "open": {"$sum": {"$size": "$rectifications"}}}}]))
    draft_base_s = _best(draft_baseline, repeat)

    # the city's view: 100 tenants' summaries of the year (every fourth one not yet started)
    figures, rows = sm.build(YEAR, [{**_studio(i, "x"), "studio_id": f"x{i}"} for i in range(20)], [], [], [])
    docs = []
    for n, t in enumerate(tenant_rows):
        if n % 4 == 3:
            continue
        doc = sm.new_summary(t["id"], t["name"], YEAR, date(YEAR, 12, 15), figures, rows, by="bench", now=now, sources={})
        if n % 4:
            doc, _ = sm.submit(doc, by="bench", now=datetime(YEAR, 12, 10 + n % 10, 2, tzinfo=timezone.utc))
        docs.append({"_id": doc["summary_id"], **doc})
    db.summaries.insert_many(docs)
    city = worker(Principal("bench-center", "city_center"))
    answer = city.summary_status(YEAR, page_size=500)
    assert answer["total"] == tenants, answer["total"]
    status_s = _best(lambda: city.summary_status(YEAR, page_size=500), repeat)
    status_base_s = _best(lambda: list(db.summaries.aggregate([{"$match": {"year": YEAR}},
                                                                {"$group": {"_id": "$state", "n": {"$sum": 1}}}])), repeat)
    xlsx_s = _best(lambda: dc.summary_xlsx(tenant, YEAR), 1)
    return {"draft_s": draft_s, "draft_base_s": draft_base_s, "status_s": status_s, "status_base_s": status_base_s,
            "xlsx_s": xlsx_s}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.supervision_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--studios", type=int, default=2000)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv if argv is not None else [])
    uri = os.environ.get("MONGO_URI", "")
    r = run(args.studios, args.tenants, args.repeat, uri)
    store = "embedded stand-in" if not uri.startswith("mongodb") else "MongoDB"
    print(f"store: {store}; best of {args.repeat}")
    print(f"draft summary, 1 tenant x {args.studios} studios (reports, inspections, funds): {r['draft_s']:.3f} s"
          f" | baseline (one aggregation per collection read): {r['draft_base_s']:.3f} s"
          f" | ratio {r['draft_s'] / r['draft_base_s']:.2f}x | target < {TARGET_S:g} s:"
          f" {'ok' if r['draft_s'] < TARGET_S else 'MISSED'}")
    print(f"city status view, {args.tenants} tenants: {r['status_s']:.3f} s"
          f" | baseline (one aggregation of the year's summaries): {r['status_base_s']:.3f} s"
          f" | ratio {r['status_s'] / r['status_base_s']:.2f}x | target < {TARGET_S:g} s:"
          f" {'ok' if r['status_s'] < TARGET_S else 'MISSED'}")
    print(f"summary workbook (.xlsx), {args.studios} studios: {r['xlsx_s']:.3f} s (for information)")


if __name__ == "__main__":
    import eventlet
    eventlet.monkey_patch()
    main(sys.argv[1:])
