"""The audit trail's pure rules: filters, ids, workbook rows (services/audit/domain/trail.py)."""
import pytest

from services.audit.domain.trail import COLUMNS, bare_ids, query, row
from shared.audit import record_ids
from shared.errors import ValidationFailed


def test_filters_become_one_store_query_with_moments_in_utc():
    assert query() == {}
    flt = query(tenant="dongcheng", user="demo-unit-a", record="app-1", since="2026-06-01T08:00:00+08:00",
                until="2026-06-02T00:00:00")
    assert flt == {"tenant_id": "dongcheng", "user": "demo-unit-a", "ids": "app-1",
                   "at": {"$gte": "2026-06-01T00:00:00+00:00", "$lt": "2026-06-02T00:00:00+00:00"}}
    with pytest.raises(ValidationFailed):
        query(since="yesterday")


def test_ids_named_before_and_after_are_found_by_their_bare_value():
    record = {"before": ["application_id=app-1"], "after": ["id=app-1", "tenant_id=dongcheng"]}
    assert bare_ids(record) == ["app-1", "dongcheng"]
    assert record_ids({"id": "x", "studio_id": "s", "event_id": "e", "data": {"unit_id": "u"}, "n": 3}) == \
        ["id=x", "studio_id=s", "unit_id=u"]


def test_a_row_has_one_cell_per_column_and_lists_joined():
    cells = row({"at": "t", "before": ["a=1", "b=2"], "status": 201})
    assert len(cells) == len(COLUMNS) and "a=1, b=2" in cells and 201 in cells
