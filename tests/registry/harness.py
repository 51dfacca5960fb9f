"""Drive the registry service's entry points in-process (nameko's worker_factory) on the
embedded store, as any principal and on any day."""
from __future__ import annotations

import base64
import datetime as dt

from services.registry.demo import DEMO_UNITS
from services.registry.dependencies import Today
from services.registry.storage.directory import upsert_reference, upsert_unit
from services.registry.domain.reference import reference_tenants
from services.registry.service import RegistryService
from services.registry.storage import INDEXES, SCOPES, STUDIOS
from shared.principal import CITY_BUREAU, CITY_CENTER, TENANT, UNIT, Principal
from shared.uploads import send_upload
from tests.registry import forms
from tests.support.harness import ServiceHarness

UNIT_A = Principal("demo-unit-a", UNIT, "dongcheng", "unit-dc-jinggong")
UNIT_B = Principal("demo-unit-b", UNIT, "haidian", "unit-hd-zhizao")
DONGCHENG = Principal("demo-dongcheng", TENANT, "dongcheng")
HAIDIAN = Principal("demo-haidian", TENANT, "haidian")
CENTER = Principal("demo-center", CITY_CENTER)
BUREAU = Principal("demo-bureau", CITY_BUREAU)
ADMIN = Principal("demo-admin", "admin")


class Harness:
    def __init__(self, today: dt.date = dt.date(2026, 3, 2)):
        self.service = ServiceHarness(RegistryService, INDEXES, SCOPES)
        self.db = self.service.db
        upsert_reference(self.db, reference_tenants())
        for unit in DEMO_UNITS:
            upsert_unit(self.db, unit)
        self.today = today

    def as_(self, principal: Principal, today: dt.date | None = None) -> RegistryService:
        return self.service.worker(principal, clock=Today(today or self.today))

    def on(self, day: str) -> "Harness":
        self.today = dt.date.fromisoformat(day)
        return self

    def upload(self, principal: Principal, content: bytes, filename: str = "file",
               kind: str = "material") -> str:
        """Send ``content`` in chunks as ``principal`` (shared/uploads.py); the upload id."""
        return send_upload(self.as_(principal), content, kind=kind, filename=filename)

    def workbook(self, principal: Principal, content: bytes) -> str:
        return self.upload(principal, content, "申报表.xlsx", "application_workbook")

    # -- walking the path ----------------------------------------------------------------
    def draft(self, form: dict | None = None, unit: Principal = UNIT_A, materials=("certificate",)) -> dict:
        app = self.as_(unit).create_application(form or forms.application())
        for kind in materials:
            self.as_(unit).add_material(app["id"], kind, self.upload(unit, forms.PDF, f"{kind}.pdf"))
        return self.as_(unit).get_application(app["id"])

    def submitted(self, form=None, unit=UNIT_A) -> dict:
        app = self.draft(form, unit)
        return self.as_(unit).submit_application(app["id"])

    def recommended(self, form=None, unit=UNIT_A, tenant=DONGCHENG) -> dict:
        app = self.submitted(form, unit)
        return self.as_(tenant).recommend_application(app["id"], {
            "opinion": "经审核，符合申报条件，同意推荐。", "signed_by": "李局长", "signed_on": self.today.isoformat()})

    def shortlisted(self, form=None, unit=UNIT_A, tenant=DONGCHENG, expert_scores=(88, 91, 90)) -> dict:
        app = self.recommended(form, unit, tenant)
        center = self.as_(CENTER)
        center.review_application(app["id"], {"stage": "material", "result": "pass"})
        center.review_application(app["id"], {"stage": "site_visit", "result": "pass", "note": "场地设备齐全"})
        center.review_application(app["id"], {"stage": "expert", "result": "pass", "scores": [
            {"expert": f"专家{i}", "score": s} for i, s in enumerate(expert_scores, 1)]})
        return center.review_application(app["id"], {"stage": "overall", "result": "pass"})

    def in_notice(self, form=None, unit=UNIT_A, tenant=DONGCHENG, start_on: str | None = None) -> dict:
        app = self.shortlisted(form, unit, tenant)
        return self.as_(CENTER).start_notice(app["id"], {"start_on": start_on} if start_on else {})

    def studio_events(self) -> list[dict]:
        return [e for doc in self.db[STUDIOS].find({}) for e in doc.get("_outbox") or []]


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()
