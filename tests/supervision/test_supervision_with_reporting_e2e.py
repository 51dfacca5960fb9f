"""The draft with the real reporting service behind it (R-12 from R-11): reporting's
``report_digest`` answers supervision's call on behalf of the tenant user, and its studios'
rows arrive in the draft (a studio designated through registry's event, no report yet: missing)."""
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange

from shared.events import new_event
from tests.support.waiting import wait_for


def test_R12_R11_the_draft_takes_reporting_digest_from_the_real_service(system):
    event = new_event("registry", "studio.designated", {
        "studio_id": "SUP-RR-1", "tenant_id": "dongcheng", "tenant_name": "东城区", "unit_id": "unit-dc-jinggong",
        "unit_name": "北京东城精工制造有限公司", "name": "精工技能大师工作室", "lead_name": "王师傅",
        "nameplate_no": "京技能大师〔2026〕第09号", "designated_on": "2026-06-01", "year": 2026}, tenant_id="dongcheng")
    Publisher(system.config["AMQP_URI"]).publish(event, exchange=get_event_exchange("registry", system.config),
                                                 routing_key="studio.designated")

    def draft():
        resp = system.post("/api/v1/tenants/dongcheng/summaries/2026/draft", "demo-dongcheng")
        assert resp.status_code in (200, 201), resp.text
        body = resp.json()
        return body if body["figures"]["studios"]["total"] == 1 and body["sources"]["reports"] == "ok" else None

    body = wait_for(draft, timeout=30, message="the studio in supervision's read model and reporting answering")
    assert body["figures"]["reports"]["plan"]["missing"] + body["figures"]["reports"]["plan"]["draft"] == 1
    assert body["sources"]["funds"] == "ok"
