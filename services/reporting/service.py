"""reporting: yearly target agreements (目标任务责任书), annual plans and results (R-10, R-11).

The shape every service has (README, "Layout"): entry points only check the role, load the
input through ``schemas``, call ``storage.Reports`` (the repository, which calls the pure
``domain``) and dump the result through ``schemas``. Workbook work is CPU-bound and runs off
the eventlet hub (``tpool.execute``).

Who may do what: a unit keeps and submits the records of its own studios (the store's scope
makes another unit's or tenant's studio 404); the tenant accepts or returns its units'
submissions; the city reads everything and sets the due dates. ``report_digest`` and
``due_dates`` answer system principals (supervision, assessment) city-wide.

Events (outbox of ``reports``): ``report.submitted``, ``report.returned``, ``report.accepted``.
Events consumed: the registry's studio events (the studio read model, shared/studios.py).
"""
from __future__ import annotations

import base64

from eventlet import tpool

from services.reporting import schemas
from services.reporting.contract import MAX_YEAR, MIN_YEAR
from services.reporting.domain import workbooks
from services.reporting.dependencies import UploadBounds
from services.reporting.storage import INDEXES, OUTBOX_COLLECTIONS, SCOPES, Reports
from shared.errors import ValidationFailed
from shared.files import MB, XLSX
from shared.inbox import Inbox
from shared.outbox import Outbox
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER, FINANCE, TENANT, UNIT
from shared.rpc import rpc
from shared.schemas import dump, dump_many, load
from shared.service import ServiceBase
from shared.storage import Mongo, page_args
from shared.studios import StudioReadModel
from shared.uploads import UploadReceiver

READERS = (UNIT, TENANT, CITY_CENTER, CITY_BUREAU, FINANCE, ADMIN)
REVIEWERS = (TENANT,)
CITY = (CITY_CENTER, CITY_BUREAU, ADMIN)
WORKBOOK_UPLOAD = "report_workbook"
TEMPLATES = {"annual-report": "annual-report", "agreement": "agreement"}


def _content_schema(kind: str):
    return schemas.AgreementContentSchema() if kind == "agreement" else schemas.ReportContentSchema()


def _year(value) -> int:
    """A year from a path or query value; 422 naming ``year`` when it is not one."""
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed("year must be a whole number", errors={"year": "must be a year, e.g. 2026"})
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed("year out of range", errors={"year": f"must be {MIN_YEAR}–{MAX_YEAR}"})
    return year


def _number(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed("version must be a whole number", errors={"version": "must be 1, 2, …"})


def _file(filename: str, content: bytes) -> dict:
    return dump(schemas.FileSchema(), {"filename": filename, "content_type": XLSX,
                                       "content_b64": base64.b64encode(content).decode("ascii")})


class ReportingService(UploadReceiver, StudioReadModel, ServiceBase):
    name = "reporting"

    store = Mongo("reporting", SCOPES, INDEXES)
    inbox = Inbox()
    outbox = Outbox(OUTBOX_COLLECTIONS)
    upload_bounds = UploadBounds()
    upload_kinds = {WORKBOOK_UPLOAD: 20 * MB}     # shared/uploads.py: the gateway sends workbooks in chunks

    def _reports(self) -> Reports:
        return Reports(self.store, self.clock.now(), self._record_event)

    def _record_event(self, type_: str, data: dict, tenant_id: str) -> dict:
        return self.outbox.event(type_, data, tenant_id=tenant_id)

    # -- one record ------------------------------------------------------------------------
    @rpc
    def get_report(self, studio_id, year, kind):
        self.caller.require_role(*READERS)
        return dump(schemas.ReportSchema(), self._reports().get(studio_id, _year(year), kind))

    @rpc
    def save_report(self, studio_id, year, kind, data):
        """The unit stores the draft (JSON) of its studio's agreement, plan or results."""
        self.caller.require_role(UNIT)
        content = load(_content_schema(kind), data)
        return dump(schemas.ReportSchema(), self._reports().save_draft(studio_id, _year(year), kind, content))

    @rpc
    def submit_report(self, studio_id, year, kind, idempotency_key=None):
        self.caller.require_role(UNIT)
        report, created = self._reports().submit(studio_id, _year(year), kind, idempotency_key)
        return dump(schemas.SubmissionSchema(), {"report": report, "created": created})

    @rpc
    def accept_report(self, studio_id, year, kind):
        self.caller.require_role(*REVIEWERS)
        return dump(schemas.ReportSchema(), self._reports().accept(studio_id, _year(year), kind))

    @rpc
    def return_report(self, studio_id, year, kind, data):
        self.caller.require_role(*REVIEWERS)
        request = load(schemas.ReturnRequestSchema(), data)
        return dump(schemas.ReportSchema(),
                    self._reports().return_for_changes(studio_id, _year(year), kind, request["reasons"]))

    @rpc
    def list_versions(self, studio_id, year, kind):
        self.caller.require_role(*READERS)
        return dump(schemas.VersionListSchema(), {"items": self._reports().versions(studio_id, _year(year), kind)})

    @rpc
    def get_version(self, studio_id, year, kind, version):
        self.caller.require_role(*READERS)
        return dump(schemas.VersionDetailSchema(), self._reports().version(studio_id, _year(year), kind, _number(version)))

    # -- workbooks -------------------------------------------------------------------------
    @rpc
    def template(self, name, studio_id=None, year=None, kind=None):
        """A blank template, or pre-filled for a studio and year (its names; results: the targets)."""
        self.caller.require_role(*READERS)
        if name not in TEMPLATES:
            raise ValidationFailed(f"no template {name!r}", errors={"name": "annual-report | agreement"})
        reports = self._reports()
        studio = reports.studio(studio_id) if studio_id else None
        year = _year(year) if year else None
        if name == "agreement":
            content = tpool.execute(workbooks.agreement_workbook, studio=studio, year=year)
        else:
            targets = reports.targets(studio_id, year) if studio and year and kind == "results" else ()
            content = tpool.execute(workbooks.report_workbook, studio=studio, year=year, kind=kind, targets=targets)
        suffix = f"-{studio_id}-{year}" if studio and year else ""
        return _file(f"{name}{suffix}.xlsx", content)

    @rpc
    def report_workbook(self, studio_id, year, kind):
        """A stored record (its latest submitted version, else the draft) as a filled workbook."""
        self.caller.require_role(*READERS)
        reports = self._reports()
        record = reports.get(studio_id, _year(year), kind)
        studio = reports.studio(studio_id)
        content = record["content"] or record["draft"]
        if kind == "agreement":
            data = tpool.execute(workbooks.agreement_workbook, studio=studio, year=_year(year), content=content)
        else:
            data = tpool.execute(workbooks.report_workbook, studio=studio, year=_year(year), kind=kind,
                                 content=content, targets=record.get("targets") or ())
        return _file(f"{kind}-{studio_id}-{year}-v{record['version']}.xlsx", data)

    @rpc
    def import_workbook(self, studio_id, year, template, upload_id, dry_run=False):
        """An uploaded (``upload_id``: shared/uploads.py, kind ``report_workbook``), filled workbook: every cell validated; stored as the draft unless ``dry_run``.

        Refusals (nothing stored): 413/415/400 for the file itself (``reason`` names it), 422 with
        ``errors`` by ``sheet!cell``, ``cells`` and ``error_workbook`` (the token of the same
        workbook with the bad cells highlighted and commented).
        """
        self.caller.require_role(UNIT)
        reports = self._reports()
        studio = reports._reporting_studio(studio_id)
        limits = self.upload_bounds
        content = self.take_upload(upload_id, WORKBOOK_UPLOAD).content
        extra: dict = {}
        try:
            upload = tpool.execute(workbooks.read_upload, content, limits, expect_template=template,
                                   expect_studio=studio_id, expect_year=_year(year))
            problems = []
        except workbooks.WorkbookInvalid as exc:
            problems, extra, upload = exc.problems, dict(exc.extra), None
            extra.pop("cells", None)
        if problems:
            if any(p.get("cell") for p in problems):
                marked = tpool.execute(workbooks.error_workbook, content, problems)
                extra["error_workbook"] = reports.keep_error_workbook(studio, marked, f"errors-{studio_id}-{year}.xlsx")
            raise workbooks.WorkbookInvalid(problems, **extra)
        result = {"dry_run": bool(dry_run), "kind": upload.kind, "studio_id": studio_id, "year": upload.year,
                  "rows": len(upload.content.get("items") or upload.content.get("tasks") or ()),
                  "content": upload.content, "report": None}
        if not dry_run:
            result["report"] = reports.save_draft(studio_id, _year(year), upload.kind, upload.content)
        return dump(schemas.UploadResultSchema(), result)

    @rpc
    def error_workbook(self, token):
        self.caller.require_role(*READERS)
        doc = self._reports().error_workbook(token)
        return _file(doc["filename"], doc["content"])

    # -- the year --------------------------------------------------------------------------
    @rpc
    def report_digest(self, year, tenant_id=None, studio_ids=None):
        """CONTRACTS.md: one item a studio (scoped to the caller; a system principal sees all)."""
        self.caller.get()
        return dump_many(schemas.DigestItemSchema(), self._reports().digest(_year(year), tenant_id, studio_ids))

    @rpc
    def list_reports(self, year, tenant_id=None, state=None, timeliness=None, page=1, page_size=50):
        self.caller.require_role(*READERS)
        page, page_size = page_args(page, page_size)
        rows = self._reports().year_list(_year(year), tenant_id, state, timeliness)
        chunk = rows[(page - 1) * page_size: page * page_size]
        return {"items": dump_many(schemas.DigestItemSchema(), chunk), "page": page, "page_size": page_size,
                "total": len(rows), "pages": max(1, -(-len(rows) // page_size))}

    @rpc
    def reports_workbook(self, year, tenant_id=None, state=None, timeliness=None):
        self.caller.require_role(*READERS)
        rows = self._reports().year_list(_year(year), tenant_id, state, timeliness)
        content = tpool.execute(workbooks.list_workbook, _year(year), rows)
        return _file(f"reports-{year}{'-' + tenant_id if tenant_id else ''}.xlsx", content)

    @rpc
    def due_dates(self, year):
        """CONTRACTS.md: {plan: "YYYY-03-31", results: "YYYY-12-01"} unless the city set others."""
        self.caller.get()
        return self._reports().due_dates(_year(year)).as_dict()

    @rpc
    def set_due_dates(self, year, data):
        self.caller.require_role(*CITY)
        days = load(schemas.DueDatesSchema(), data)
        return {"year": _year(year), **self._reports().set_due_dates(_year(year), days).as_dict()}
