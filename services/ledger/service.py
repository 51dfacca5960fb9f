"""ledger: one dedicated fund account per studio (专门账目); its domain comes with issue #4."""
from shared.principal import Caller
from shared.service import ServiceBase


class LedgerService(ServiceBase):
    name = "ledger"

    caller = Caller()
