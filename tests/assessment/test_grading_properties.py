"""R-16 grading, as properties (hypothesis): the caps, determinism, order independence,
monotonicity and the documented tie rule at the cap."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from services.assessment.domain.grading import (BONUS_FEN, EXCELLENT, FAIL, PASS, Candidate, grade_round,
                                                order_key)

PASS_CP, LINE_CP = 6000, 8500

candidate = st.builds(
    Candidate,
    studio_id=st.text(alphabet="abcdef0123456789", min_size=1, max_size=6),
    combined_cp=st.one_of(st.none(), st.integers(0, 10000), st.sampled_from([8500, 9000, 9000, 10000])),
    fund_use_cp=st.one_of(st.none(), st.integers(0, 10000), st.sampled_from([5000, 5000])),
    designated_on=st.dates(dt.date(2015, 1, 1), dt.date(2026, 12, 31)),
)
rounds = st.lists(candidate, max_size=60, unique_by=lambda c: c.studio_id)
budgets = st.one_of(st.integers(0, 30 * BONUS_FEN), st.integers(0, 10 ** 12))


@settings(max_examples=300, deadline=None)
@given(rounds, budgets)
def test_r16_excellent_never_exceeds_either_cap(cands, budget):
    g = grade_round(cands, PASS_CP, LINE_CP, budget)
    assessed = sum(c.combined_cp is not None for c in cands)
    excellent = g.count(EXCELLENT)
    assert excellent <= assessed * 20 // 100            # 20 % of the studios assessed, round down
    assert excellent <= budget // BONUS_FEN             # the bonus budget
    assert excellent * BONUS_FEN <= budget


@settings(max_examples=300, deadline=None)
@given(rounds, budgets, st.randoms(use_true_random=False))
def test_r16_grading_is_deterministic_and_independent_of_order(cands, budget, rnd):
    first = grade_round(cands, PASS_CP, LINE_CP, budget)
    shuffled = list(cands)
    rnd.shuffle(shuffled)
    again = grade_round(shuffled, PASS_CP, LINE_CP, budget)
    assert first.grades == again.grades
    assert first.summary() == again.summary()


RANK = {FAIL: 0, PASS: 1, EXCELLENT: 2}


@settings(max_examples=300, deadline=None)
@given(rounds, budgets)
def test_r16_a_higher_combined_score_never_gets_a_lower_grade(cands, budget):
    g = grade_round(cands, PASS_CP, LINE_CP, budget).grades
    graded = [c for c in cands if c.combined_cp is not None]
    for a in graded:
        for b in graded:
            if a.combined_cp > b.combined_cp:
                assert RANK[g[a.studio_id].grade] >= RANK[g[b.studio_id].grade]


@settings(max_examples=300, deadline=None)
@given(rounds, budgets)
def test_r16_fail_exactly_below_threshold_and_excellent_only_from_candidates(cands, budget):
    g = grade_round(cands, PASS_CP, LINE_CP, budget).grades
    for c in cands:
        grade = g[c.studio_id].grade
        if c.combined_cp is None:
            assert grade is None
        elif c.combined_cp < PASS_CP:
            assert grade == FAIL
        else:
            assert grade in (PASS, EXCELLENT)
            if grade == EXCELLENT:
                assert c.combined_cp >= LINE_CP


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 12), st.integers(1, 11), st.lists(st.one_of(st.none(), st.integers(0, 10000)), min_size=12,
                                                         max_size=12),
       st.lists(st.dates(dt.date(2018, 1, 1), dt.date(2024, 1, 1)), min_size=12, max_size=12))
def test_r16_a_tie_at_the_cap_is_broken_by_fund_use_then_designation_date_then_id(n_tied, cap, funds, dates):
    """n_tied studios share the top score; the budget allows ``cap`` excellent grades (the 20 %
    cap is made large by enough studios below the line). The excellent ones among the tied are
    exactly the first ``cap`` by (fund use ↓, designation date ↑, id ↑)."""
    tied = [Candidate(f"t{i:02d}", 9000, funds[i], dates[i]) for i in range(n_tied)]
    filler = [Candidate(f"f{i:03d}", 7000) for i in range(5 * n_tied)]
    g = grade_round(tied + filler, PASS_CP, LINE_CP, cap * BONUS_FEN).grades
    expected = sorted(tied, key=lambda c: (-(c.fund_use_cp if c.fund_use_cp is not None else -1),
                                           c.designated_on, c.studio_id))[:min(cap, n_tied)]
    assert {c.studio_id for c in tied if g[c.studio_id].grade == EXCELLENT} == {c.studio_id for c in expected}
    assert sorted(tied, key=order_key)[:min(cap, n_tied)] == expected


def test_r16_cap_examples():
    """10 assessed → 2 by the 20 % cap; a budget of 1.5 bonuses → 1."""
    cands = [Candidate(f"s{i}", 9000 + i) for i in range(10)]
    g = grade_round(cands, PASS_CP, LINE_CP, BONUS_FEN * 3 // 2)
    assert (g.cap_by_share, g.cap_by_budget, g.count(EXCELLENT)) == (2, 1, 1)
    assert g.grades["s9"].grade == EXCELLENT
    g = grade_round(cands[:4], PASS_CP, LINE_CP, 10 ** 12)   # 20 % of 4 rounds down to 0
    assert g.count(EXCELLENT) == 0
