"""reporting: yearly agreements (目标任务书) and yearly reports (年度报告) — issue 15.

The shape every service has (README, "Layout"): entry points here only check the role, load
the input through ``schemas``, call ``domain`` (pure rules) and ``storage`` (the repository),
and dump the result through ``schemas``. ``clock`` and ``caller`` come from ``ServiceBase``; ``list_studios`` and the
studio handlers from ``StudioReadModel``.
"""
from shared.inbox import Inbox
from shared.service import ServiceBase
from shared.service_calls import ServiceCalls
from shared.storage import Mongo
from shared.studios import StudioReadModel

from services.reporting.storage import INDEXES, SCOPES


class ReportingService(StudioReadModel, ServiceBase):
    name = "reporting"

    store = Mongo("reporting", SCOPES, INDEXES)
    inbox = Inbox()
    services = ServiceCalls()        # self.services.as_system("why").ledger.compliance(...)
