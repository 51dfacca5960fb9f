"""Every service's entry points without a broker (nameko's worker_factory): ping answers, and
the dead-letter admin entry points refuse everyone but admins."""
import mongomock_ng
import pytest
from nameko.testing.services import worker_factory

from shared.errors import Forbidden
from shared.principal import Principal
from tests.conftest import SERVICE_NAMES as SERVICES, service_classes


@pytest.mark.parametrize("cls", service_classes(*SERVICES), ids=SERVICES)
def test_ping_answers_ok(cls):
    worker = worker_factory(cls)
    status = worker.ping()
    assert status["status"] == "ok" and status["service"] == cls.name


@pytest.mark.parametrize("cls", service_classes(*SERVICES), ids=SERVICES)
def test_dead_letters_are_admin_only(cls):
    from shared.inbox import Inbox
    tenant = Principal("t", "tenant", "dongcheng")
    worker = worker_factory(cls, caller=type("C", (), {"get": lambda self: tenant,
                                                      "require_role": lambda self, *r: tenant.require_role(*r)})())
    if hasattr(worker, "inbox"):
        inbox = Inbox()
        inbox.db = lambda: mongomock_ng.MongoClient().db
        inbox.container = type("Ctr", (), {"service_name": cls.name})()
        worker.inbox = type("H", (), {"provider": inbox})()
    with pytest.raises(Forbidden):
        worker.list_dead_letters()
