"""The stored projection (domain/projection.py) over random account histories (hypothesis):
moving it forward one entry at a time from the stored document gives what a fold from scratch
gives, the builders decide the same on it as on the full state, and the reconciliation from
its per-year buckets equals the one from every entry (R-24: balances derive from the entries)."""
import os
import sys

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, os.path.dirname(__file__))
from ledger_histories import histories, run_history  # noqa: E402

from services.ledger.domain import (advance_projection, differences, rebuild_projection,  # noqa: E402
                                    reconcile, reconcile_projections, state_from_projection)
from services.ledger.domain.projection import years_of  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(histories)
def test_R24_the_projection_moved_forward_entry_by_entry_equals_a_fold_from_scratch(history):
    trace = run_history(history)
    projection = None
    for i, e in enumerate(trace.entries):
        full, _ = rebuild_projection(trace.entries[:i])
        if projection is None or e.kind == "reversal":
            state, years = full, (projection or {}).get("years", {})
        else:
            state, years = state_from_projection(projection), years_of(projection)
            # what the builders read is the same on the light state as on the full one
            assert (state.seq, state.last_booked_at, state.cycles, state.clawback_entry_id, state.fixed_assets) == \
                (full.seq, full.last_booked_at, full.cycles, full.clawback_entry_id, full.fixed_assets)
            assert {k: v for k, v in state.balances.items() if v} == {k: v for k, v in full.balances.items() if v}
        _, _, projection = advance_projection(state, years, e)
        assert differences(projection, rebuild_projection(trace.entries[: i + 1])[1]) == []


@SETTINGS
@given(histories)
def test_reconciliation_from_the_year_buckets_equals_the_one_from_every_entry(history):
    trace = run_history(history)
    if not trace.entries:
        return
    _, projection = rebuild_projection(trace.entries)
    for year in range(2022, 2028):
        assert reconcile_projections([projection], year) == reconcile(trace.entries, year)


def test_differences_names_what_a_tampered_projection_gets_wrong():
    trace = run_history([("grant", 0), ("matching", 10, 5_000), ("spend", 10, 2_000, "training", "city", None, False)])
    _, projection = rebuild_projection(trace.entries)
    assert differences(projection, projection) == []
    tampered = dict(projection, balances={**projection["balances"], "cash:city": 1})
    assert [d.split(":")[0] for d in differences(tampered, projection)] == ["balances"]
    assert differences(None, projection) == ["projection: missing"]


@pytest.mark.parametrize("year", [2023, 2024])
def test_an_account_with_nothing_up_to_the_year_is_not_in_its_reconciliation(year):
    trace = run_history([("grant", 60 * 24 * 365 * 3)])            # booked in 2026
    _, projection = rebuild_projection(trace.entries)
    assert reconcile_projections([projection], year)["studios"] == []
