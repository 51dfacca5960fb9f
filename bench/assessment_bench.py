"""Assessment benchmark (issue 17): grade a round of 5,000 studios with 5 experts each, and
write its results workbook, each next to a baseline measured in the same run: sorting the
same scores (every expert's score of every indicator, as (score, studio) pairs).

    python -m bench assessment                  # (make bench runs every bench)
    python -m bench.assessment_bench --studios 5000 --experts 5 --repeat 3

Grading here is the whole of ``evaluation.evaluate``: the filled-in indicators, the experts'
combination rule, the combined score, R-16's order and caps, and each result's dict (what
the preview and publishing do, without the store). Pure domain: no broker, no store.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time

TARGET_GRADING_S = 1.0


def build_round(studios: int, experts: int, seed: int = 17):
    from services.assessment.domain import rounds
    from services.assessment.domain.due import DueStudio, StudioFacts, TWO_YEARS
    from services.assessment.domain.inputs import AutoValue
    from services.assessment.domain.rubric import DEFAULT_RUBRIC

    rnd = random.Random(seed)
    facts, listed = {}, []
    for i in range(studios):
        sid = f"s{i:05d}"
        facts[sid] = StudioFacts(sid, f"t{i % 17:02d}", f"u{i:05d}", dt.date(2024, 1, 1) + dt.timedelta(days=i % 300),
                                 name=f"第{i}号技能大师工作室", unit_name=f"单位{i}", tenant_name=f"主管部门{i % 17}")
        listed.append(DueStudio(sid, TWO_YEARS, facts[sid].designated_on, facts[sid].designated_on))
    r = rounds.new_round("bench", 2026, dt.date(2026, 11, 29), listed, facts, DEFAULT_RUBRIC, 200 * 20_000_000,
                         "bench", dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc))
    autos, entries = {}, {}
    for sid in facts:
        quality = rnd.randrange(4500, 10_001)           # the studio's level; experts scatter around it
        autos[sid] = {i.code: AutoValue(i.code, i.source, min(10_000, quality + rnd.randrange(-500, 501)), {})
                      for i in DEFAULT_RUBRIC.indicators if i.automatic}
        entries[sid] = {f"expert{k}": {c: max(0, min(10_000, quality + rnd.randrange(-800, 801)))
                                       for c in DEFAULT_RUBRIC.expert_codes}
                        for k in range(experts)}
    return r, autos, entries


def timed(fn, repeat):
    """(best wall time, best CPU time of this process, the last result) over ``repeat`` runs. On a
    shared, loaded machine the wall time includes waiting for a core; the CPU time does not."""
    best, best_cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        best, best_cpu = min(best, time.perf_counter() - t), min(best_cpu, time.process_time() - c)
    return best, best_cpu, out


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench.assessment_bench")
    p.add_argument("--studios", type=int, default=5000)
    p.add_argument("--experts", type=int, default=5)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv if argv is not None else [])
    from services.assessment.domain import rounds
    from services.assessment.domain.evaluation import evaluate
    from services.assessment.domain.workbook import results_workbook

    r, autos, entries = build_round(args.studios, args.experts)
    pairs = [(cp, sid) for sid, by in entries.items() for e in by.values() for cp in e.values()]
    baseline, baseline_cpu, _ = timed(lambda: sorted(pairs), args.repeat)
    grading_s, grading_cpu, _ = timed(lambda: evaluate(r, autos, entries, {}), args.repeat)
    publish_s, publish_cpu, (results, summary) = timed(
        lambda: evaluate(r, autos, entries, {}, dt.date(2026, 11, 30)), args.repeat)
    published = rounds.publish(r, results, summary, "bench", dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc))
    workbook_s, workbook_cpu, content = timed(lambda: results_workbook(published), 1)
    print(f"  round: {args.studios} studios x {args.experts} experts; {len(pairs)} expert scores; "
          f"excellent {summary['excellent']} (cap {summary['cap']}), fail {summary['fail']}")
    print(f"  baseline: sorting the {len(pairs)} (score, studio) pairs: {baseline * 1000:.1f} ms "
          f"(CPU {baseline_cpu * 1000:.1f} ms)")
    ok = grading_s < TARGET_GRADING_S
    for label, wall, cpu in (("grading (preview)", grading_s, grading_cpu),
                             ("grading + consequences (publish)", publish_s, publish_cpu),
                             ("results workbook", workbook_s, workbook_cpu)):
        print(f"  {label:34s} {wall:.3f} s  ratio {wall / baseline:.1f}x   CPU {cpu:.3f} s  "
              f"ratio {cpu / max(baseline_cpu, 1e-9):.1f}x")
    print(f"  target: grading < {TARGET_GRADING_S:.0f} s: {'ok' if ok else 'MISSED'} "
          f"(CPU {'ok' if grading_cpu < TARGET_GRADING_S else 'MISSED'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
