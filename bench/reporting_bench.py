"""Reporting benchmark (issue 15): importing an annual-report workbook with 10,000 detail rows.

    python -m bench reporting                    # (make bench runs every bench)
    python -m bench.reporting_bench --rows 10000 --repeat 3

Prints, in the same run and on the same file:

* the import (``workbooks.read_upload``: the upload guard's one streaming pass over the zip,
  the cell-level read with python-calamine, validation of every row under R-10);
* the bare ``openpyxl.load_workbook(read_only=True)`` iteration of the detail sheet;
* the bare python-calamine read of the detail sheet;

and each one's peak memory (growth of the process's max RSS, measured in a fresh process per
reader) at 1,000 and 10,000 rows. Target: the import within 1.5x of the fastest bare read.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import subprocess
import sys
import tempfile
import time

TARGET_RATIO = 1.5
READERS = ("import", "openpyxl", "calamine")


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
    from python_calamine import CalamineWorkbook
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name("明细")
    return sum(1 for row in sheet.iter_rows() if row and row[0] not in ("", None)) - 1


def timed(reader: str, content: bytes, repeat: int) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = read(reader, content)
        best = min(best, time.perf_counter() - start)
    return best, count


def peak_memory(reader: str, path: str) -> float:
    """MiB the peak RSS rises above the RSS before the read, in a fresh process per reader.

    The peak is reset first (``/proc/self/clear_refs``), so imports' own peak does not hide it;
    RSS counts python-calamine's native (Rust) memory too, which tracemalloc would not.
    """
    code = ("import re; from bench.reporting_bench import read;"
            "import openpyxl, python_calamine; from services.reporting.domain import workbooks;"
            "kib=lambda key: int(re.search(key + r':\\s+(\\d+)', open('/proc/self/status').read()).group(1));"
            f"data=open({path!r},'rb').read(); open('/proc/self/clear_refs','w').write('5'); base=kib('VmRSS');"
            f"read({reader!r}, data); print(kib('VmHWM')-base)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reporting_bench")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-rows", type=int, nargs="*", default=[1_000, 10_000])
    args = parser.parse_args(argv or [])
    content = make_workbook(args.rows)
    print(f"workbook: {args.rows} detail rows, {len(content) / 1024:.0f} KiB")
    times = {}
    for reader in READERS:
        seconds, count = timed(reader, content, args.repeat)
        times[reader] = seconds
        print(f"  {reader:9s} {seconds * 1000:8.1f} ms  ({count} rows)")
    fastest = min(times["openpyxl"], times["calamine"])
    ratio = times["import"] / fastest
    verdict = "ok" if ratio <= TARGET_RATIO else "over target"
    print(f"  import / fastest bare read = {ratio:.2f}x (target <= {TARGET_RATIO}x): {verdict}")
    print(f"  openpyxl / calamine = {times['openpyxl'] / times['calamine']:.1f}x")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.memory_rows:
            path = os.path.join(tmp, f"r{rows}.xlsx")
            with open(path, "wb") as f:
                f.write(content if rows == args.rows else make_workbook(rows))
            mem = {reader: peak_memory(reader, path) for reader in READERS}
            print(f"  peak memory at {rows:>6} rows: " + ", ".join(f"{r} +{m:.1f} MiB" for r, m in mem.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
