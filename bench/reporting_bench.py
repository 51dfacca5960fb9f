"""Reporting benchmark (issue 15): importing an annual-report workbook with 10,000 detail rows.

    python -m bench reporting                    # (make bench runs every bench)
    python -m bench.reporting_bench --rows 10000 --repeat 7

Prints, in the same run and on the same file:

* the import (``workbooks.read_upload``: the upload guard's one streaming pass over the zip,
  the cell-level read streamed with python-calamine-plus, validation of every row under R-10);
* the bare ``openpyxl.load_workbook(read_only=True)`` iteration of the detail sheet;
* the bare python-calamine 0.9.1 read of the detail sheet (``iter_rows``, and ``to_python``, its
  fastest call), both of which load the whole sheet first;
* the bare python-calamine-plus read (``stream_sheet_by_name``: rows decoded from the zip as
  they are iterated; the import's reader);

each timed as CPU time of the process (what load does not inflate) and wall time, over
``--repeat`` rounds (after a warm-up round that is not counted): each round runs every reader once,
in an order rotated round by round, with a full garbage collection before each read (so no reader
pays for another's garbage), so a burst of load on the shared machine hits them alike. Printed per
reader: best and median; and the import's ratio to the fastest bare read three ways: best to best,
median to median, and the median of the rounds' own ratios (import / that reader in the same
round), the figure the target is judged on. Then each one's peak memory (growth of the process's
max RSS, measured in a fresh process per reader) at 1,000 and 10,000 rows; for the import also
what its result (the rows as stored) still holds after it. The load average is printed before and
after. Target: the import within 1.5x of the fastest bare read, memory flat in the row count.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_RATIO = 1.5
READERS = ("import", "openpyxl", "calamine", "calamine-list", "calamine-plus")
BARE = READERS[1:]


def make_workbook(rows: int) -> bytes:
    """The annual-report template filled with ``rows`` detail rows, as a clerk's upload."""
    import openpyxl

    from services.reporting.domain import workbooks

    wb = openpyxl.load_workbook(io.BytesIO(workbooks.report_workbook(
        studio={"studio_id": "ST-BENCH", "name": "基准测试工作室", "unit_name": "基准单位"}, year=2026, kind="results")))
    wb["基本信息"]["B8"] = 1234.5
    detail = wb["明细"]
    kinds = (("技能研发", "专利", None), ("师带徒", "徒弟技能等级晋升", "技师"), ("社会效益", "技能培训", None))
    for i in range(rows):
        heading, output, level = kinds[i % 3]
        detail.append([heading, output, f"第{i + 1}项成果：数控加工工艺改进", 1 + i % 7,
                       dt.date(2026, 1 + i % 12, 1 + i % 28), "张建国", level, "备注"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read(reader: str, content: bytes) -> int:
    """Read the detail rows with one reader; the number of rows seen."""
    if reader == "import":
        from services.reporting.domain import workbooks
        return len(workbooks.read_upload(content).content["items"])
    if reader == "openpyxl":
        import openpyxl
        wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        count = sum(1 for row in wb["明细"].iter_rows(min_row=2, values_only=True) if row[0] is not None)
        wb.close()
        return count
    if reader == "calamine-plus":
        from python_calamine_plus import CalamineWorkbook as StreamingWorkbook
        rows = StreamingWorkbook.from_filelike(io.BytesIO(content)).stream_sheet_by_name("明细")
        return sum(1 for row in rows if row and row[0] not in ("", None)) - 1
    from python_calamine import CalamineWorkbook
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name("明细")
    rows = sheet.to_python() if reader == "calamine-list" else sheet.iter_rows()
    return sum(1 for row in rows if row and row[0] not in ("", None)) - 1


def timed(content: bytes, repeat: int) -> tuple[dict[str, list[tuple[float, float]]], dict[str, int]]:
    """({reader: [(wall seconds, CPU seconds) per round]}, {reader: rows seen}) over ``repeat``
    rounds after a warm-up round (first imports, caches); each round runs every reader once, in an
    order rotated round by round, a full collection before each read."""
    counts = {reader: read(reader, content) for reader in READERS}
    runs: dict[str, list[tuple[float, float]]] = {reader: [] for reader in READERS}
    for round_ in range(repeat):
        shift = round_ % len(READERS)
        for reader in READERS[shift:] + READERS[:shift]:
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            counts[reader] = read(reader, content)
            runs[reader].append((time.perf_counter() - start, time.process_time() - start_cpu))
    return runs, counts


def ratios(runs: dict[str, list[tuple[float, float]]], which: int) -> tuple[str, float, float, float]:
    """(the fastest bare reader by best time, import / it best to best, median to median, median of
    the rounds' own ratios); ``which``: 0 wall, 1 CPU."""
    times = {reader: [run[which] for run in rounds] for reader, rounds in runs.items()}
    fastest = min(BARE, key=lambda reader: min(times[reader]))
    imp, bare = times["import"], times[fastest]
    return (fastest, min(imp) / min(bare), statistics.median(imp) / statistics.median(bare),
            statistics.median(i / b for i, b in zip(imp, bare)))


def held(content: bytes) -> int:
    """Run the import and keep its result alive (for ``peak_memory``'s second figure)."""
    from services.reporting.domain import workbooks
    global _RESULT
    _RESULT = workbooks.read_upload(content)
    return len(_RESULT.content["items"])


def peak_memory(reader: str, path: str) -> tuple[float, float]:
    """(MiB the peak RSS rises above the RSS before the read, MiB still above it after the read
    while its result is held), in a fresh process per reader.

    The peak is reset first (``/proc/self/clear_refs``), so imports' own peak does not hide it;
    RSS counts the readers' native (Rust) memory too, which tracemalloc would not. The second
    figure is what the import's result (the rows as they will be stored) takes: a floor that no
    reader removes.
    """
    call = "held(data)" if reader == "import" else f"read({reader!r}, data)"
    code = ("import re; from bench.reporting_bench import read, held;"
            "import openpyxl, python_calamine, python_calamine_plus; from services.reporting.domain import workbooks;"
            "kib=lambda key: int(re.search(key + r':\\s+(\\d+)', open('/proc/self/status').read()).group(1));"
            f"data=open({path!r},'rb').read(); open('/proc/self/clear_refs','w').write('5'); base=kib('VmRSS');"
            f"{call}; print(kib('VmHWM')-base, kib('VmRSS')-base)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    peak, after = out.stdout.strip().splitlines()[-1].split()
    return int(peak) / 1024, int(after) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reporting_bench")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--memory-rows", type=int, nargs="*", default=[1_000, 10_000])
    args = parser.parse_args(argv or [])
    content = make_workbook(args.rows)
    print(f"workbook: {args.rows} detail rows, {len(content) / 1024:.0f} KiB; "
          f"load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
    runs, counts = timed(content, args.repeat)
    print(f"  {'':13s} {'CPU best':>9s} {'CPU median':>11s} {'wall best':>10s} {'wall median':>12s}"
          f"   ({args.repeat} rounds)")
    for reader, rounds in runs.items():
        cpu, wall = [run[1] * 1000 for run in rounds], [run[0] * 1000 for run in rounds]
        print(f"  {reader:13s} {min(cpu):6.1f} ms {statistics.median(cpu):8.1f} ms {min(wall):7.1f} ms"
              f" {statistics.median(wall):9.1f} ms   ({counts[reader]} rows)")
    for label, which in (("CPU", 1), ("wall", 0)):
        fastest, best, median, paired = ratios(runs, which)
        verdict = "ok" if paired <= TARGET_RATIO else "over target"
        print(f"  import / fastest bare read ({fastest}), {label}: {paired:.2f}x median of the rounds' ratios, "
              f"{best:.2f}x best to best, {median:.2f}x median to median (target <= {TARGET_RATIO}x): {verdict}")
    best_wall = {reader: min(run[0] for run in rounds) for reader, rounds in runs.items()}
    print(f"  openpyxl / calamine = {best_wall['openpyxl'] / best_wall['calamine']:.1f}x, "
          f"calamine / calamine-plus = {best_wall['calamine'] / best_wall['calamine-plus']:.2f}x (wall, best)")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.memory_rows:
            path = os.path.join(tmp, f"r{rows}.xlsx")
            with open(path, "wb") as f:
                f.write(content if rows == args.rows else make_workbook(rows))
            mem = {reader: peak_memory(reader, path) for reader in READERS}
            print(f"  peak memory at {rows:>6} rows: " + ", ".join(f"{r} +{m[0]:.1f} MiB" for r, m in mem.items())
                  + f" (the import's result holds +{mem['import'][1]:.1f} MiB)")
    print(f"  load average after: {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
