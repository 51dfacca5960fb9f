"""Timing check, run by hand (not collected by pytest):

    cd /work/main && .venv/bin/python tests/ledger/bench_reconciliation.py [studios] [entries]

Builds 2,000 studios x 50 entries (through the real builders), then times the year's
reconciliation from entry objects and from stored documents, folding every account, and
writing the workbook.
"""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from ledger_histories import random_studio_entries  # noqa: E402

from services.ledger.domain import fold, reconcile, reconciliation_workbook  # noqa: E402


def main(n_studios=2000, n_entries=50):
    rng = random.Random(2024)
    t0 = time.perf_counter()
    per_studio = [random_studio_entries(rng, f"S{i:04d}", f"T{i % 17:02d}", f"U{i:04d}", n_entries)
                  for i in range(n_studios)]
    entries = [e for es in per_studio for e in es]
    t1 = time.perf_counter()
    print(f"generated {len(entries)} entries for {n_studios} studios in {t1 - t0:.1f} s")
    docs = [dict(e.to_document(), booked_at=e.booked_at.replace(tzinfo=None)) for e in entries]  # like pymongo

    for label, data in (("entries", entries), ("documents", docs)):
        best = min(_timed(lambda: reconcile(data, 2023)) for _ in range(3))
        print(f"reconcile(2023) from {label:9s}: {best * 1000:7.1f} ms")
    rep = reconcile(entries, 2023)
    assert rep["all_balanced"] and len(rep["studios"]) == n_studios
    print(f"  city: opening {rep['city']['opening']['total_fen']} closing {rep['city']['closing']['total_fen']} "
          f"ratio {rep['city']['matching_ratio']}")
    best = min(_timed(lambda: [fold(es) for es in per_studio]) for _ in range(3))
    print(f"fold all {n_studios} accounts:        {best * 1000:7.1f} ms")
    t = _timed(lambda: reconciliation_workbook(rep))
    print(f"reconciliation_workbook:          {t * 1000:7.1f} ms ({len(reconciliation_workbook(rep)) // 1024} KiB)")


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
