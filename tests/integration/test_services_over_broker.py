"""Every service starts on the real broker, answers ping, and refuses calls without a principal."""
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from tests.conftest import SERVICE_NAMES as SERVICES, service_classes


@pytest.fixture
def running(config, runner_factory):
    runner = runner_factory(config, *service_classes(*SERVICES))
    runner.start()
    return config


def test_each_service_answers_ping(running):
    with ClusterRpcProxy(running, timeout=10) as proxy:
        for name in SERVICES:
            assert getattr(proxy, name).ping()["status"] == "ok"


def test_a_call_without_principal_is_refused(running):
    with ClusterRpcProxy(running, timeout=10) as proxy:
        with pytest.raises(RemoteError) as err:
            proxy.registry.list_units("dongcheng")
    assert "unauthenticated" in err.value.value


def test_a_call_with_a_principal_is_scoped(running):
    ctx = {"principal": '{"user": "x", "role": "tenant", "tenant_id": "haidian"}'}
    with ClusterRpcProxy(running, timeout=10, context_data=ctx) as proxy:
        assert [t["id"] for t in proxy.registry.list_tenants()["items"]] == ["haidian"]
        with pytest.raises(RemoteError, match="not_found"):
            proxy.registry.get_unit("unit-dc-jinggong")
