"""reporting has the service shape (README, "Layout"): ping, and the studio read model fed by the
registry's events, applied once (shared/studios.py)."""
from services.reporting.service import ReportingService
from tests.support.stub_service import check_stub_service


def test_reporting_answers_ping_and_keeps_the_studio_read_model_once(config, container_factory):
    check_stub_service(ReportingService, config, container_factory)
