"""Event names and the envelope every event carries (the contract between services).

Each event is published on nameko's ``{source}.events`` topic exchange with the routing key
``type`` so that a plain ``@event_handler(source, type)`` receives it; its payload is the
envelope below. ``event_id`` is unique; consumers use it to apply an event once.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

# (source service, event type)
STUDIO_DESIGNATED = ("registry", "studio.designated")      # 认定 → ledger opens the account, books the grant
STUDIO_REVOKED = ("registry", "studio.revoked")            # 撤销 → ledger claws back the cycle's city funds
STUDIO_CHANGED = ("registry", "studio.changed")            # lead / unit / address changed
REPORT_SUBMITTED = ("reporting", "report.submitted")
SUMMARY_SUBMITTED = ("supervision", "summary.submitted")
ASSESSMENT_GRADED = ("assessment", "assessment.graded")    # excellent → 200,000 CNY bonus

# What each event's ``data`` carries (the contract; add fields, never remove or rename):
#   studio.designated: studio_id, tenant_id, tenant_name, unit_id, unit_name, application_id, name,
#                      lead ({name}), lead_name, occupation,
#                      designated_on (ISO date, Asia/Shanghai), year, nameplate_no, measures_version
#   studio.revoked:    studio_id, tenant_id, unit_id, revocation_id, ground (R-20 ground code),
#                      revoked_on (ISO date)
#   studio.changed:    studio_id, tenant_id, unit_id, change_request_id, kind, before, after
#   assessment.graded: round_id, studio_id, tenant_id, unit_id, grade (excellent|pass|fail),
#                      graded_on (ISO date), published_on (ISO date)
ALL_EVENTS = (STUDIO_DESIGNATED, STUDIO_REVOKED, STUDIO_CHANGED, REPORT_SUBMITTED,
              SUMMARY_SUBMITTED, ASSESSMENT_GRADED)


def new_event(source: str, type_: str, data: dict, *, tenant_id: str | None,
              request_id: str | None = None, now: datetime | None = None) -> dict:
    """An envelope, ready to be stored in an outbox and later published."""
    return {
        "event_id": uuid.uuid4().hex,
        "source": source,
        "type": type_,
        "tenant_id": tenant_id,
        "occurred_at": (now or datetime.now(timezone.utc)).isoformat(),
        "request_id": request_id,
        "data": data,
    }
