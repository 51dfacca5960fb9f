"""supervision: answers `ping`; its domain comes with its own issue."""
from shared.principal import Caller
from shared.service import ServiceBase


class SupervisionService(ServiceBase):
    name = "supervision"

    caller = Caller()
