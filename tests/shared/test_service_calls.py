"""Service-to-service calls (shared/service_calls.py): a timer or event handler has no principal,
so a plain call is refused; ``as_system(reason)`` calls as the service itself, city-wide."""
from nameko.standalone.rpc import ClusterRpcProxy

from services.reporting.service import ReportingService
from shared.errors import Unauthenticated
from shared.rpc import rpc
from shared.service import ServiceBase
from shared.service_calls import ServiceCalls


class CallerService(ServiceBase):
    name = "caller_under_test"
    services = ServiceCalls()

    @rpc(public=True)           # like a timer: the worker carries no principal
    def as_nobody(self):
        try:
            return self.services.reporting.list_studios()
        except Unauthenticated as exc:
            return {"refused": exc.code}

    @rpc(public=True)
    def as_system(self):
        return self.services.as_system("test: read every tenant's studios").reporting.list_studios()

    @rpc(public=True)
    def too_slow(self):
        try:
            return self.services.call("reporting", "ping", timeout=0.000001)
        except Exception as exc:
            return {"error": exc.code}


def test_a_call_without_a_principal_is_refused_and_a_named_system_call_is_not(config, container_factory):
    config = {**config, "MONGO_URI": "memory://calls-%s" % id(config)}
    for cls in (ReportingService, CallerService):
        container_factory(cls, config).start()
    with ClusterRpcProxy(config) as rpc_:
        assert rpc_.caller_under_test.as_nobody() == {"refused": "unauthenticated"}
        assert rpc_.caller_under_test.as_system() == []
        assert rpc_.caller_under_test.too_slow() == {"error": "service_unavailable"}
