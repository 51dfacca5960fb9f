"""assessment has the service shape (README, "Layout"): ping, and the studio read model fed by the
registry's events, applied once (shared/studios.py)."""
from services.assessment.service import AssessmentService
from tests.support.stub_service import check_stub_service


def test_assessment_answers_ping_and_keeps_the_studio_read_model_once(config, container_factory):
    check_stub_service(AssessmentService, config, container_factory)
