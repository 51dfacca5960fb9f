"""The ledger over the real RabbitMQ: events published on the registry's exchange reach the
ledger's declared queues, are applied once however often they arrive, and the registry's own
designation and revocation end up as the grant and the clawback in the dedicated account."""
import datetime as dt
import logging
import os
import sys
import uuid

import pytest
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy

sys.path.insert(0, os.path.dirname(__file__))
from ledger_service_support import designated, revoked  # noqa: E402

from services.ledger.domain import GRANT_FEN  # noqa: E402
from services.ledger.service import LedgerService  # noqa: E402
from services.registry.service import RegistryService  # noqa: E402
from shared.principal import Principal  # noqa: E402
from shared.topology import declare_topology  # noqa: E402
from tests.conftest import make_config  # noqa: E402
from tests.support.waiting import wait_for  # noqa: E402

FINANCE = Principal("fin", "finance")
UNIT_A = Principal("demo-unit-a", "unit", "dongcheng", "unit-dc-jinggong")
TENANT_DC = Principal("demo-dongcheng", "tenant", "dongcheng")
BUREAU = Principal("demo-bureau", "city_bureau")


@pytest.fixture
def cfg(rabbit_config):
    return make_config(rabbit_config["AMQP_URI"], EVENT_RETRY_BASE_SECONDS=0.1, OUTBOX_POLL_SECONDS=0.1)


@pytest.fixture
def ledger(cfg, container_factory):
    declare_topology(cfg["AMQP_URI"], [LedgerService])     # the deploy step: queues before any publisher
    container = container_factory(LedgerService, cfg)
    container.start()
    return container


def proxy(cfg, principal):
    return ClusterRpcProxy(cfg, timeout=10, context_data={"principal": principal.to_header()})


def publish(cfg, envelope):
    Publisher(cfg["AMQP_URI"]).publish(envelope, exchange=get_event_exchange(envelope["source"], cfg),
                                       routing_key=envelope["type"])


def account_or_none(p, studio_id):
    from nameko.exceptions import RemoteError
    try:
        return p.ledger.get_account(studio_id)
    except RemoteError as exc:
        if "not_found" in str(exc.value):
            return None
        raise


def test_R21_a_designated_event_on_the_broker_opens_the_account_with_the_grant(cfg, ledger):
    publish(cfg, designated("S-1"))
    with proxy(cfg, FINANCE) as p:
        account = wait_for(lambda: account_or_none(p, "S-1"))
        assert account and account["received"]["city_grant_fen"] == GRANT_FEN and account["seq"] == 1


def test_R21_the_same_designated_event_three_times_concurrently_books_one_grant(cfg, ledger, caplog):
    caplog.set_level(logging.INFO, logger="skillmaster.inbox")
    event = designated("S-2", event_id="dup-designation")
    for _ in range(3):
        publish(cfg, event)

    def outcomes():
        return [r.getMessage() for r in caplog.records
                if getattr(r, "fields", {}).get("event_id") == "dup-designation"
                and r.getMessage() in ("event applied", "event duplicate: already applied, nothing changed")]
    assert wait_for(lambda: len(outcomes()) >= 3), outcomes()
    assert outcomes().count("event applied") == 1
    with proxy(cfg, FINANCE) as p:
        assert p.ledger.list_entries("S-2")["total"] == 1
        assert p.ledger.verify_account("S-2")["ok"]
    print("injected: 3 concurrent deliveries of one designation; counted: 1 grant")


def test_R20_a_revoked_event_claws_back_the_cycles_city_funds(cfg, ledger):
    publish(cfg, designated("S-3"))
    with proxy(cfg, FINANCE) as fin, proxy(cfg, UNIT_A) as unit:
        assert wait_for(lambda: account_or_none(fin, "S-3"))
        unit.ledger.book_entry("S-3", {"kind": "expenditure", "amount_fen": 5_000_000, "category": "training",
                                       "funding": "city", "unit_price_fen": 20_000}, "spend-1")
        publish(cfg, revoked("S-3"))
        account = wait_for(lambda: (lambda a: a if a["revoked"] else None)(fin.ledger.get_account("S-3")))
        assert account["clawed_back"] == {"total_fen": GRANT_FEN, "returned_fen": GRANT_FEN - 5_000_000,
                                          "owed_fen": 5_000_000}
        assert account["city_unspent_fen"] == 0


def _application(tag):
    return {"_id": f"app-{tag}", "tenant_id": "dongcheng", "unit_id": "unit-dc-jinggong",
            "unit_name": "北京东城精工制造有限公司", "branch_id": None, "studio_name": f"王{tag}技能大师工作室",
            "studio_address": "北京市东城区和平里东街1号",
            "master": {"name": f"王{tag}", "gender": "M", "birth_month": "1975-03", "original_retirement_age": None,
                       "id_number": f"test-{tag}", "occupation": f"数控车工{tag}", "skill_level": "高级技师"}}


def test_R21_R20_designate_and_revoke_in_the_registry_and_the_ledger_follows(cfg, container_factory):
    """The registry's own designation write (studio + studio.designated in one document), its
    outbox relay, the broker and the ledger; then the revocation requested by the tenant and
    approved by the city bureau through the registry's RPCs."""
    from services.registry.storage import studios
    from services.registry.storage import SCOPES as REGISTRY_SCOPES
    from shared.events import new_event
    from shared.storage import Store, container_db

    declare_topology(cfg["AMQP_URI"], [LedgerService, RegistryService])
    registry = container_factory(RegistryService, cfg)
    ledger = container_factory(LedgerService, cfg)
    registry.start()
    ledger.start()
    store = Store(container_db(registry), REGISTRY_SCOPES, lambda: BUREAU)
    studio = studios.create_from_application(
        store, _application(uuid.uuid4().hex[:6]), dt.date.today(),
        lambda type_, data, *, tenant_id: new_event("registry", type_, data, tenant_id=tenant_id))
    sid = studio["_id"]
    with proxy(cfg, FINANCE) as fin, proxy(cfg, TENANT_DC) as tenant, proxy(cfg, BUREAU) as bureau:
        account = wait_for(lambda: account_or_none(fin, sid))
        assert account, "the grant never arrived"
        assert account["received"]["city_grant_fen"] == GRANT_FEN and account["studio_name"] == studio["name"]
        assert account["unit_name"] == studio["unit_name"]  # names travel with the event, for reconciliation
        request = tenant.registry.create_revocation_request(sid, {"ground": "inactive_over_one_year",
                                                                 "reason": "一年以上未开展工作"})
        bureau.registry.decide_revocation_request(sid, request["id"], {"decision": "approve", "note": "同意撤销"})
        account = wait_for(lambda: (lambda a: a if a["revoked"] else None)(fin.ledger.get_account(sid)))
        assert account, "the clawback never arrived"
        assert account["clawed_back"]["total_fen"] == GRANT_FEN and account["city_unspent_fen"] == 0
        assert fin.ledger.verify_account(sid)["ok"]
