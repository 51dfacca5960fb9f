"""The demo city (issue 19, "A demo worth opening"): seeded through the gateway's API on a fresh
system (own vhost, free port, fresh store), then read back as the demo users see it."""
from __future__ import annotations

import pytest

from shared.demo_city import BATCHES, MARKER_STUDIO
from tests.conftest import Api
from tests.support.run_process import Run, Vhost
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]   # the seeding takes 1.5-3 minutes
STUDIOS = sum(n for _, n in BATCHES)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """``make run`` as it starts (skillmaster-run: free port, own vhost, own data folder), with
    the demo city; the tests run once it is seeded."""
    with Vhost(prefix="demo-city") as vhost:
        run = Run(vhost.amqp_uri(), str(tmp_path_factory.mktemp("demo-city")), DEMO_CITY="true").start()
        try:
            line = wait_for(lambda: _line(run, "demo city: ready") or _line(run, "demo city: seeding stopped"),
                            540, 1, message="the demo city to be seeded")
            assert "ready" in line, run.tail()
            api = Api(run.base)
            api.run = run
            api.seed_line = line
            yield api
        finally:
            run.stop()


def _line(run, text: str) -> str | None:
    with open(run.log_path, encoding="utf-8", errors="replace") as fh:
        return next((line for line in fh if line.startswith(text)), None)


def items(api, path, user):
    body = api.get(path, user)
    assert body.status_code == 200, body.text
    return body.json()


def test_the_city_has_about_sixty_studios_over_2021_to_2026_within_R7(city):
    studios = items(city, "/api/v1/studios?page_size=500", "demo-center")
    assert studios["total"] == STUDIOS
    per_year = {}
    for s in studios["items"]:
        per_year[s["year"]] = per_year.get(s["year"], 0) + 1
    assert set(per_year) == set(range(2021, 2027)) and max(per_year.values()) <= 10
    tenants = {s["tenant_id"] for s in studios["items"]}
    assert len(tenants) >= 15 and {"jd-group", "sj-group", "jc-group"} <= tenants


def test_a_district_sees_only_its_own_studios(city):
    everyone = items(city, "/api/v1/studios?page_size=500", "demo-center")["items"]
    mine = items(city, "/api/v1/studios?page_size=500", "demo-dongcheng")["items"]
    assert mine and {s["tenant_id"] for s in mine} == {"dongcheng"}
    assert len(mine) == len([s for s in everyone if s["tenant_id"] == "dongcheng"])
    own = items(city, "/api/v1/studios?page_size=500", "demo-unit-a")["items"]
    assert own and {s["unit_id"] for s in own} == {"unit-dc-jinggong"}


def test_R21_every_studio_has_its_grant_and_the_units_booked_matching_and_fixed_assets(city):
    accounts = items(city, "/api/v1/ledger/accounts?page_size=500", "demo-finance")["items"]
    assert len(accounts) == STUDIOS
    studio = items(city, "/api/v1/studios?page_size=500&year=2021", "demo-center")["items"][0]
    entries = items(city, f"/api/v1/studios/{studio['id']}/account/entries?page_size=500", "demo-finance")["items"]
    kinds = [e["kind"] for e in entries]
    assert kinds[0] == "grant" and entries[0]["amount_fen"] == 30_000_000 and entries[0]["booked_at"][:4] == "2021"
    assert "matching" in kinds and kinds.count("expenditure") >= 3
    assets = items(city, f"/api/v1/studios/{studio['id']}/account/fixed-assets", "demo-finance")["items"]
    assert len(assets) == 1
    assert items(city, "/api/v1/ledger/verification", "demo-finance")["ok"]


def test_R20_the_revoked_studio_and_its_clawback(city):
    revoked = items(city, "/api/v1/studios?page_size=500&status=revoked", "demo-center")["items"]
    assert len(revoked) == 1 and revoked[0]["revoked_on"] == "2025-06-30"
    clawback = items(city, f"/api/v1/studios/{revoked[0]['id']}/account/entries?kind=clawback", "demo-finance")
    assert clawback["total"] == 1 and clawback["items"][0]["amount_fen"] > 0


def test_this_years_review_has_an_application_waiting_at_each_step(city):
    apps = items(city, "/api/v1/applications?year=2026&page_size=500", "demo-center")["items"]
    states = {a["status"] for a in apps}
    assert {"submitted", "recommended", "under_review", "shortlisted", "in_notice", "objected"} <= states
    drafts = items(city, "/api/v1/applications?year=2026&status=draft", "demo-unit-a")["items"]
    assert len(drafts) == 1
    objected = [a for a in apps if a["status"] == "objected"]
    assert objected[0]["studio_name"] == MARKER_STUDIO


def test_R10_R11_reports_on_time_late_missing_and_returned(city):
    if "/api/v1/reports" not in items(city, "/api/v1/openapi.json", None)["paths"]:
        pytest.skip("reporting is not on this branch yet")
    rows = items(city, "/api/v1/reports?year=2025&page_size=500", "demo-center")["items"]
    plans = {r["plan"]["timeliness"] for r in rows if r.get("plan")}
    assert {"on_time", "late", "missing"} <= plans
    assert any((r.get("plan") or {}).get("state") == "returned" for r in rows)
    assert any((r.get("results") or {}).get("timeliness") == "late" for r in rows)
    assert all(r["tenant_id"] == "dongcheng"
               for r in items(city, "/api/v1/reports?year=2025&page_size=500", "demo-dongcheng")["items"])


def _has(api, path) -> bool:
    return path in items(api, "/api/v1/openapi.json", None)["paths"]


def test_R12_inspections_and_last_decembers_summaries_on_time_late_missing(city):
    if not _has(city, "/api/v1/summaries"):
        pytest.skip("supervision is not on this branch yet")
    rows = items(city, "/api/v1/summaries?year=2025&page_size=500", "demo-center")["items"]
    assert {"on_time", "late", "missing"} <= {r["status"] for r in rows}
    inspections = items(city, "/api/v1/tenants/dongcheng/inspections?page_size=500", "demo-dongcheng")
    assert inspections["total"] >= 1
    assert items(city, "/api/v1/summaries?year=2025", "demo-dongcheng")["items"][0]["tenant_id"] == "dongcheng"


def test_R16_R21_the_published_2024_round_and_its_bonuses(city):
    if not _has(city, "/api/v1/assessment-rounds"):
        pytest.skip("assessment is not on this branch yet")
    rounds = items(city, "/api/v1/assessment-rounds?year=2024", "demo-center")["items"]
    assert len(rounds) == 1 and rounds[0]["state"] == "published"
    bonuses = [a for a in items(city, "/api/v1/ledger/accounts?page_size=500", "demo-finance")["items"]
               if a["received"].get("city_bonus_fen")]
    assert 1 <= len(bonuses) <= 4                                        # at most 20 % of 20
    assert all(a["received"]["city_bonus_fen"] == 20_000_000 for a in bonuses)


def test_the_clock_is_back_and_a_second_run_on_the_same_store_seeds_nothing(city):
    """Last in this module: the run is stopped and started again on the same data folder."""
    clock = items(city, "/api/v1/admin/clock", "demo-admin")["services"]
    assert all(not c.get("offset_seconds") for c in clock.values())
    print(city.seed_line)
    city.run.stop()
    city.run.start()
    wait_for(lambda: _line(city.run, "demo city: already there"), 120, 1, message="the marker to be found")
    assert items(city, "/api/v1/studios?page_size=500", "demo-center")["total"] == STUDIOS
