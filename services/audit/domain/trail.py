"""The audit trail's rules (plain Python): who may read it, how a query is filtered, the
workbook's rows. Records are appended and never changed (the service has no verb to)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from shared.errors import ValidationFailed

READERS = ("admin", "city_center", "city_bureau")
COLUMNS = (("at", "时间 (UTC)"), ("kind", "类别"), ("user", "用户"), ("role", "角色"), ("tenant_id", "租户"),
           ("method", "方法"), ("route", "路由/处理"), ("path", "路径/事件"), ("status", "结果"),
           ("before", "之前的记录"), ("after", "之后的记录"), ("request_id", "请求编号"))


def _moment(value: str, name: str) -> str:
    """As records store it: ISO 8601 in UTC (a moment without an offset is taken as UTC)."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed("bad filter", errors={name: "an ISO 8601 date-time"})
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()


def query(tenant: Any = None, user: Any = None, record: Any = None, since: Any = None, until: Any = None) -> dict:
    """The store filter for the given filters (each optional; ``record`` matches before or after ids)."""
    flt: dict = {}
    if tenant not in (None, ""):
        flt["tenant_id"] = str(tenant)
    if user not in (None, ""):
        flt["user"] = str(user)
    if record not in (None, ""):
        flt["ids"] = str(record)
    if since not in (None, "") or until not in (None, ""):
        flt["at"] = {}
        if since not in (None, ""):
            flt["at"]["$gte"] = _moment(since, "since")
        if until not in (None, ""):
            flt["at"]["$lt"] = _moment(until, "until")
    return flt


def bare_ids(record: Mapping) -> list[str]:
    """Every id a record names, without its field name (so ``?record=<id>`` finds it)."""
    return sorted({entry.split("=", 1)[-1] for entry in [*record.get("before", []), *record.get("after", [])]})


def row(record: Mapping) -> list:
    out = []
    for key, _ in COLUMNS:
        value = record.get(key)
        out.append(", ".join(value) if isinstance(value, list) else value)
    return out
