"""The shared file helpers (shared/files.py): sniffing, formula escaping, the safe workbook opener."""
import io
import zipfile

import pytest
from openpyxl import Workbook

from shared.errors import PayloadTooLarge, UnsupportedMediaType
from shared.files import (JPEG, PDF, XLSX, FilePayload, WorkbookBounds, WorkbookProblem, bounded_rows,
                          excel_text, open_workbook, sniff)


def _xlsx(rows=3, cols=2) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "表"
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            ws.cell(r, c, f"{r}-{c}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_content_decides_the_type_never_the_name():
    assert sniff(b"%PDF-1.7 ...") == PDF and sniff(b"\xff\xd8\xff\xe0") == JPEG and sniff(_xlsx()) == XLSX
    assert sniff(b"MZ\x90\x00") is None
    with pytest.raises(UnsupportedMediaType):
        FilePayload.of(b"MZ\x90\x00", "report.pdf", accepted=(PDF,))
    with pytest.raises(PayloadTooLarge):
        FilePayload.of(b"%PDF-" + b"x" * 100, "a.pdf", accepted=(PDF,), limit=10)
    payload = FilePayload.of(b"%PDF-1.7", "../../etc/passwd", accepted=(PDF,))
    assert payload.filename == "passwd.pdf" and payload.size == 8 and len(payload.sha256) == 64


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_one_formula_escaping_rule(text):
    assert excel_text(text) == "'" + text


def test_the_workbook_opener_reads_read_only_within_bounds():
    wb = open_workbook(_xlsx())
    rows = list(bounded_rows(wb["表"], values_only=True))
    assert rows[0] == ("1-1", "1-2")
    with pytest.raises(WorkbookProblem, match="表.*2 rows"):
        list(bounded_rows(open_workbook(_xlsx(rows=5))["表"], WorkbookBounds(max_rows=2)))


def test_the_workbook_opener_refuses_zip_bombs_and_doctype():
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/big.xml", "0" * (2 * 1024 * 1024))
    with pytest.raises(WorkbookProblem, match="inflates"):
        open_workbook(packed.getvalue())
    evil = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_xlsx())) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + data
            dst.writestr(info, data)
    with pytest.raises(WorkbookProblem, match="DOCTYPE"):
        open_workbook(evil.getvalue())
