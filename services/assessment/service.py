"""assessment: answers `ping`; its domain comes with its own issue."""
from shared.principal import Caller
from shared.service import ServiceBase


class AssessmentService(ServiceBase):
    name = "assessment"

    caller = Caller()
