"""Notifications (通知): whom they address and who has read them.

A notification is addressed to one audience: a user (``user:<id>``), a unit's users
(``unit:<unit_id>``, role unit), a tenant's users (``tenant:<tenant_id>``, role tenant) or the
city (``city``: city_center, city_bureau, admin). A user sees exactly the notifications whose
audience is one of ``audience_keys(principal)``; read-state is per user (``read_by``), so one
unit colleague reading a notice does not mark it read for another.

``from_event`` turns an event into its notifications (Chinese text), naming the studio as people
know it (its name, and for a district its unit too; from the read model), never by its id. Each
notification's id is derived from the event id and the audience, so making it twice makes the
same document.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Mapping

from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER, TENANT, UNIT

CITY_AUDIENCE_ROLES = (CITY_CENTER, CITY_BUREAU, ADMIN)
KIND_LABELS = {"plan": "年度工作计划", "results": "年度工作成果", "agreement": "目标责任书"}
GRADE_LABELS = {"excellent": "优秀", "pass": "合格", "fail": "不合格"}

__all__ = ["CITY_AUDIENCE_ROLES", "audience_keys", "from_event", "is_read", "notification",
           "rectification_notice", "view"]


def audience_keys(principal) -> list[str]:
    """The audiences a user belongs to (what they may see)."""
    keys = [f"user:{principal.user}"]
    if principal.role == UNIT and principal.unit_id:
        keys.append(f"unit:{principal.unit_id}")
    if principal.role == TENANT and principal.tenant_id:
        keys.append(f"tenant:{principal.tenant_id}")
    if principal.role in CITY_AUDIENCE_ROLES:
        keys.append("city")
    return keys


def notification(source_key: str, audience: str, topic: str, title: str, body: str, *,
                 now: datetime, subject: Mapping | None = None, tenant_id: str | None = None) -> dict:
    nid = hashlib.sha256(f"{source_key}|{audience}".encode()).hexdigest()[:24]
    return {"notification_id": nid, "audience": audience, "topic": topic, "title": title, "body": body,
            "subject": dict(subject or {}), "tenant_id": tenant_id, "created_at": now, "read_by": [],
            "source_key": source_key}


def is_read(doc: Mapping, user: str) -> bool:
    return user in (doc.get("read_by") or [])


def view(doc: Mapping, user: str) -> dict:
    """What a user sees of a notification (never who else read it)."""
    return {"notification_id": doc["notification_id"], "topic": doc["topic"], "title": doc["title"],
            "body": doc["body"], "subject": doc.get("subject") or {}, "created_at": doc["created_at"],
            "read": is_read(doc, user)}


def _kind(data: Mapping) -> str:
    return KIND_LABELS.get(data.get("kind"), data.get("kind") or "")


def studio_label(data: Mapping, studio: Mapping | None, *, with_unit: bool = False) -> str:
    """「李四技能大师工作室」 (and 「（北京东城精工制造有限公司）」 for a district); the id only when
    the studio is unknown here."""
    studio = studio or {}
    name = studio.get("name") or data.get("studio_name")
    if not name:
        return f"工作室{data.get('studio_id')}"
    unit = studio.get("unit_name") or data.get("unit_name")
    return f"{name}（{unit}）" if with_unit and unit else name


def from_event(event_type: str, data: Mapping, event_id: str, now: datetime,
               studio: Mapping | None = None) -> list[dict]:
    """The notifications an event causes (possibly none); ``studio``: the read model's row of
    the studio the event is about, if any."""
    t = data.get("tenant_id")
    subject = {k: data[k] for k in ("tenant_id", "studio_id", "unit_id", "year", "kind", "due_on", "report_id")
               if data.get(k) is not None}
    if (studio or {}).get("name"):
        subject["studio_name"] = studio["name"]
    named, named_with_unit = studio_label(data, studio), studio_label(data, studio, with_unit=True)
    if event_type == "report.returned":
        reasons = [str(r) for r in data.get("reasons") or []]
        body = (f"{named}的{data.get('year')}年{_kind(data)}已被退回，请修改后重新提交。退回原因："
                + "；".join(reasons or ["（未填写）"]))
        return [notification(event_id, f"unit:{data['unit_id']}", event_type, f"{_kind(data)}被退回", body,
                             now=now, subject={**subject, "reasons": reasons}, tenant_id=t)]
    if event_type == "report.submitted":
        late = data.get("late_days") or 0
        body = (f"{named_with_unit}的{data.get('year')}年{_kind(data)}（第{data.get('version')}版）已提交，请审核。"
                + (f"逾期{late}天提交。" if late else ""))
        return [notification(event_id, f"tenant:{t}", event_type, f"{_kind(data)}待审核", body, now=now,
                             subject={**subject, "version": data.get("version"), "late_days": late}, tenant_id=t)]
    if event_type == "report.accepted":
        body = f"{named}的{data.get('year')}年{_kind(data)}（第{data.get('version')}版）已通过审核。"
        return [notification(event_id, f"unit:{data['unit_id']}", event_type, f"{_kind(data)}已通过", body,
                             now=now, subject={**subject, "version": data.get("version")}, tenant_id=t)]
    if event_type == "summary.submitted":
        late = data.get("late_days") or 0
        body = (f"{data.get('tenant_name') or t}的{data['year']}年度工作总结（第{data.get('version')}版）已提交"
                + (f"，逾期{late}天。" if late else "，按时提交。"))
        return [notification(event_id, "city", event_type, "年度工作总结已提交", body, now=now,
                             subject={**subject, "version": data.get("version"), "late_days": late}, tenant_id=t)]
    if event_type == "summary.due_soon":
        body = f"{data['year']}年度工作总结应于{data['due_on']}前提交，还剩{data.get('days_left')}天。"
        return [notification(event_id, f"tenant:{t}", event_type, "年度工作总结即将到期", body, now=now,
                             subject=subject, tenant_id=t)]
    if event_type == "summary.overdue":
        body = f"{data['year']}年度工作总结应于{data['due_on']}提交，目前尚未提交。"
        return [notification(event_id, aud, event_type, "年度工作总结已逾期", body, now=now, subject=subject,
                             tenant_id=t) for aud in (f"tenant:{t}", "city")]
    if event_type == "report.due_soon":
        body = f"{named}的{data['year']}年{_kind(data)}应于{data['due_on']}前提交，还剩{data.get('days_left')}天。"
        return [notification(event_id, f"unit:{data['unit_id']}", event_type, f"{_kind(data)}即将到期", body,
                             now=now, subject=subject, tenant_id=t)]
    if event_type == "report.overdue":
        def overdue(label: str) -> str:
            return f"{label}的{data['year']}年{_kind(data)}应于{data['due_on']}提交，目前尚未提交。"
        return [notification(event_id, aud, event_type, f"{_kind(data)}已逾期", overdue(label), now=now,
                             subject=subject, tenant_id=t)
                for aud, label in ((f"unit:{data['unit_id']}", named), (f"tenant:{t}", named_with_unit))]
    if event_type == "assessment.graded":
        grade = GRADE_LABELS.get(data.get("grade"), data.get("grade"))
        body = f"{named}的{data.get('year')}年度绩效评估结果：{grade}。"
        return [notification(event_id, f"unit:{data['unit_id']}", event_type, "绩效评估结果已公布", body,
                             now=now, subject={**subject, "grade": data.get("grade")}, tenant_id=t)]
    return []


def rectification_notice(inspection: Mapping, item: Mapping, now: datetime) -> dict:
    """A rectification item open and due soon (or overdue), to the studio's unit; once per item."""
    body = (f"{inspection.get('studio_name') or '工作室' + str(inspection['studio_id'])}的整改事项“{item['description']}”"
            f"应于{item['due_on']}前完成，请完成后提交整改证明。")
    return notification(f"rectification.due:{inspection['inspection_id']}:{item['item_id']}",
                        f"unit:{inspection['unit_id']}", "rectification.due", "整改事项即将到期", body, now=now,
                        subject={"tenant_id": inspection["tenant_id"], "studio_id": inspection["studio_id"],
                                 "inspection_id": inspection["inspection_id"], "item_id": item["item_id"],
                                 "due_on": item["due_on"]},
                        tenant_id=inspection["tenant_id"])
