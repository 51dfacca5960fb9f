"""A 200,000-row application workbook is a quick 422, not a stalled service (issue 14): the
shared opener counts the sheet's rows while it inflates and stops at the row bound, off the
eventlet hub, naming the sheet and the bound."""
import io
import re
import time
import zipfile

from services.registry.domain import excel

ROWS = 200_000


def team_sheet_part(zf: zipfile.ZipFile) -> str:
    """The zip part of the 团队成员 sheet (workbook.xml names it, its rels give the file)."""
    workbook = zf.read("xl/workbook.xml").decode("utf-8")
    rid = re.search(r'<sheet[^>]*name="%s"[^>]*r:id="([^"]+)"' % excel.TEAM, workbook).group(1)
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    target = re.search(r'<Relationship[^>]*Id="%s"[^>]*Target="([^"]+)"' % rid, rels) or \
        re.search(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="%s"' % rid, rels)
    return "xl/" + target.group(1).lstrip("/").removeprefix("xl/")


def workbook_with_team_rows(template: bytes, rows: int) -> bytes:
    """The template with ``rows`` team members written straight into the sheet's XML (openpyxl
    would take minutes to write them)."""
    src = zipfile.ZipFile(io.BytesIO(template))
    part = team_sheet_part(src)
    cells = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>成员{r}</t></is></c>'
                    f'<c r="B{r}" t="inlineStr"><is><t>技师</t></is></c></row>' for r in range(2, rows + 2))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                text = data.decode("utf-8")
                text = re.sub(r"<sheetData>.*</sheetData>|<sheetData/>", f"<sheetData>{cells}</sheetData>", text,
                              flags=re.S)
                text = re.sub(r"<dimension[^>]*/>", "", text)
                data = text.encode("utf-8")
            dst.writestr(info, data)
    return out.getvalue()


def test_a_200000_row_team_sheet_is_a_422_within_a_second_naming_the_sheet_and_the_bound(system):
    template = system.get("/api/v1/templates/application.xlsx", "demo-unit-a").content
    content = workbook_with_team_rows(template, ROWS)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
    started = time.monotonic()
    resp = system.post("/api/v1/applications/import", "demo-unit-a",
                       files={"file": ("big.xlsx", content, excel.XLSX if hasattr(excel, "XLSX") else
                                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    took = time.monotonic() - started
    body = resp.json()
    print(f"injected: {ROWS} rows in {excel.TEAM} ({len(content) / 1e6:.1f} MB upload, {unpacked / 1e6:.0f} MB "
          f"unpacked); counted: HTTP {resp.status_code} after {took:.2f} s: {body.get('detail')}")
    assert resp.status_code == 422, body
    assert excel.TEAM in body["detail"] and "500" in body["detail"]
    parse_started = time.monotonic()
    try:
        excel.parse_application(content)
    except excel.WorkbookProblem as exc:
        refused = exc
    parsing = time.monotonic() - parse_started
    print(f"counted: the registry's check itself refuses it in {parsing:.3f} s ({refused}); the rest of "
          f"the {took:.2f} s is the upload's transfer in 256 KiB chunks (one RPC each)")
    assert parsing < 1.0
    assert took < 5.0  # the transfer, not the parsing, is what takes time here
