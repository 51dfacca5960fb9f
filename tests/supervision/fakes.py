"""Stand-ins for the services supervision calls, answering per the contract between the services: registry's tenant
directory, reporting's ``report_digest`` (which may not exist yet) and the ledger's reconciliation
rows. Each keeps what a test gives it in ``DATA`` (per test module: set before starting)."""
from __future__ import annotations

from nameko.rpc import rpc

TENANTS = [{"id": "dongcheng", "name": "东城区"}, {"id": "haidian", "name": "海淀区"}]
DATA: dict = {"digest": [], "funds": []}


def digest_item(studio_id, tenant_id, unit_id, year, *, plan="accepted", results="submitted",
                results_due="2026-12-01", apprentices=3, patents=1):
    return {"studio_id": studio_id, "tenant_id": tenant_id, "unit_id": unit_id, "year": year,
            "agreement": {"state": "accepted", "version": 1, "signed_on": f"{year}-01-15"},
            "plan": {"state": plan, "version": 1, "submitted_at": None, "due_on": f"{year}-03-31",
                     "timeliness": "on_time"},
            "results": {"state": results, "version": 1, "submitted_at": None, "due_on": results_due,
                        "timeliness": "on_time" if results in ("submitted", "accepted") else "not_due"},
            "targets_total": 4, "targets_met": 3,
            "outputs": {"apprentices": apprentices, "patents": patents, "promotions": 1, "rd_projects": 1,
                        "events": 2},
            "economic_benefit_fen": 1_000_000}


def fund_row(studio_id, city=30_000_000, matching=15_000_000, spent=5_000_000):
    return {"studio_id": studio_id, "received": {"city_fen": city, "matching_fen": matching},
            "spent": {"total_fen": spent}, "cumulative": {"city_fen": city, "matching_fen": matching}}


class FakeRegistry:
    name = "registry"

    @rpc
    def list_tenants(self, page=1, page_size=50, kind=None):
        return {"items": TENANTS, "page": 1, "page_size": page_size, "total": len(TENANTS), "pages": 1}

    @rpc
    def get_tenant(self, tenant_id):
        return next(t for t in TENANTS if t["id"] == tenant_id)


class FakeReporting:
    name = "reporting"

    @rpc
    def report_digest(self, year, tenant_id=None, studio_ids=None):
        return [d for d in DATA["digest"] if d["year"] == int(year) and tenant_id in (None, d["tenant_id"])]


class FakeLedger:
    name = "ledger"

    @rpc
    def reconciliation(self, year=None, tenant_id=None, source="projection"):
        return {"year": year, "studios": list(DATA["funds"])}
