"""A service that does not answer, or a broker that cannot be reached, gives 503 — not a hang."""
import time

import pytest
import requests
from kombu.exceptions import OperationalError

from gateway.clients import ServiceCalls
from shared.errors import ServiceUnavailable
from tests.conftest import make_config, service_classes


def gateway_and_registry(rabbit_config, runner_factory, **overrides):
    """Only the gateway and the registry running, on the test's vhost."""
    config = make_config(rabbit_config["AMQP_URI"], **overrides)
    runner = runner_factory(config, *service_classes("gateway", "registry"))
    runner.start()
    return config, runner


@pytest.fixture
def partial_system(rabbit_config, runner_factory):
    """Only the gateway and the registry; a short RPC timeout."""
    return gateway_and_registry(rabbit_config, runner_factory, RPC_TIMEOUT_SECONDS=1, READY_PING_TIMEOUT_SECONDS=0.5)


def base(config):
    return f"http://127.0.0.1:{config['GATEWAY_PORT']}"


def test_readyz_is_503_and_names_the_services_that_do_not_answer(partial_system):
    config, _ = partial_system
    resp = requests.get(f"{base(config)}/readyz", timeout=10)
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "not ready"
    assert sorted(body["unavailable"]) == ["assessment", "audit", "ledger", "reporting", "supervision"]
    assert body["services"]["registry"]["status"] == "ok"


def test_a_stopped_service_gives_503_within_the_timeout(partial_system):
    config, runner = partial_system
    token = requests.post(f"{base(config)}/api/v1/auth/token", timeout=10,
                          json={"username": "demo-admin", "password": "demo-pass"}).json()["access_token"]
    next(c for c in runner.containers if c.service_name == "registry").stop()
    started = time.monotonic()
    resp = requests.get(f"{base(config)}/api/v1/tenants", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert resp.status_code == 503, resp.text
    assert time.monotonic() - started < 5
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert resp.headers["Retry-After"]
    assert "registry" in resp.json()["detail"]


def test_an_unreachable_broker_maps_to_503():
    class _Publisher:   # the gateway's client is the shared one (shared/service_calls.py)
        def call_async(self, *a, **k):
            raise OperationalError("[Errno 111] Connection refused")

    calls = ServiceCalls(worker_ctx=None, reply_listener=None, timeout=1, publisher=_Publisher())
    with pytest.raises(ServiceUnavailable, match="broker"):
        calls.registry.list_tenants()


def test_me_answers_with_null_names_when_the_registry_cannot_say_them():
    """``GET /api/v1/me`` answers who you are without the registry (from the token); only the
    names of your tenant and unit are then null, and the console shows the ids instead."""
    from types import SimpleNamespace

    from gateway.routes.auth import AuthRoutes
    from shared.errors import NotFound
    from shared.principal import Principal

    class Registry:
        def get_tenant(self, tenant_id):
            raise ServiceUnavailable("registry did not answer within 1 s")

        def get_unit(self, unit_id):
            raise NotFound(f"unit {unit_id} not found")

    gateway = SimpleNamespace(services=SimpleNamespace(registry=Registry()), config={})
    request = SimpleNamespace(principal=Principal(user="u1", role="unit", tenant_id="dongcheng", unit_id="x1"))
    assert AuthRoutes(gateway).me(request) == {"user": "u1", "role": "unit", "tenant_id": "dongcheng",
                                               "unit_id": "x1", "tenant_name": None, "unit_name": None}
