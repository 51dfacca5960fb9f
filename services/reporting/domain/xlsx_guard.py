"""What an uploaded workbook must pass before a cell of it is read.

``inspect_xlsx(content, limits)`` streams through the zip once and refuses, with a 4xx that
names the reason and before anything is parsed:

* more bytes than ``limits.max_bytes`` (413 ``too_large``);
* not an .xlsx by content: no zip magic, an old .xls, no workbook part (415 ``not_xlsx``);
* a macro-enabled workbook (.xlsm, a ``vbaProject.bin``) (415 ``macros``);
* a zip that inflates beyond ``limits.max_inflated`` bytes, counted while inflating, not
  from the headers it declares, or with too many parts, or encrypted parts (413 ``zip_bomb``);
* XML with a DOCTYPE or ENTITY declaration (billion laughs, external entities) or not in
  UTF-8 (where such a declaration could hide) (400 ``xml_entities``).

It also notes, per worksheet, the cells that hold a formula and the merged ranges, so that
the reader can refuse them where values belong (the reader's values come from cached
results, which cannot tell a formula from a value).
"""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field

from shared.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

CHUNK = 32 * 1024
_OVERLAP = 512
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]{1,3}[0-9]+(?::[A-Z]{1,3}[0-9]+)?)\"")
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_inflated: int = 200 * 1024 * 1024
    max_parts: int = 2_000


@dataclass
class SheetScan:
    part: str
    formulas: set[str] = field(default_factory=set)
    merged: list[str] = field(default_factory=list)


def _refuse(cls, reason: str, detail: str):
    return cls(detail, reason=reason, errors={"file": detail})


def sniff_xlsx(content: bytes) -> None:
    """415 unless the bytes are a zip (an .xlsx is one); names an old .xls for what it is."""
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _refuse(UnsupportedMediaType, "not_xlsx", "an old .xls (or encrypted) workbook: save it as .xlsx")
    if content[:4] != b"PK\x03\x04":
        raise _refuse(UnsupportedMediaType, "not_xlsx", "not an .xlsx workbook (by its content)")


def inspect_xlsx(content: bytes, limits: UploadLimits = UploadLimits()) -> dict[str, SheetScan]:
    """{sheet name: SheetScan} of a safe .xlsx, or the refusal (see the module doc)."""
    if len(content) > limits.max_bytes:
        raise _refuse(PayloadTooLarge, "too_large", f"the file is larger than {limits.max_bytes} bytes")
    sniff_xlsx(content)
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise _refuse(UnsupportedMediaType, "not_xlsx", f"not a readable .xlsx workbook ({exc.__class__.__name__})")
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _refuse(UnsupportedMediaType, "not_xlsx", "not an .xlsx workbook: it has no workbook part")
    if len(infos) > limits.max_parts:
        raise _refuse(PayloadTooLarge, "zip_bomb", f"the workbook has more than {limits.max_parts} parts")
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise _refuse(UnsupportedMediaType, "macros", "a macro-enabled workbook (.xlsm) is refused: save it as .xlsx")
    if sum(info.file_size for info in infos) > limits.max_inflated:
        raise _refuse(PayloadTooLarge, "zip_bomb", f"the workbook inflates beyond {limits.max_inflated} bytes")
    budget = [limits.max_inflated]
    scans: dict[str, SheetScan] = {}
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(UnsupportedMediaType, "not_xlsx", "the workbook is encrypted")
        is_xml = info.filename.endswith((".xml", ".rels", ".vml"))
        is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        scan = SheetScan(info.filename) if is_sheet else None
        _scan_part(zf, info, budget, is_xml, scan)
        if scan is not None:
            scans[info.filename] = scan
    if b"macroEnabled" in zf.read("[Content_Types].xml"):
        raise _refuse(UnsupportedMediaType, "macros", "a macro-enabled workbook (.xlsm) is refused: save it as .xlsx")
    return {name: scans[part] for name, part in _sheet_parts(zf).items() if part in scans}


def _scan_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], is_xml: bool,
               scan: SheetScan | None) -> None:
    tail = b""
    first = True
    has_formula = False
    try:
        with zf.open(info) as stream:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise _refuse(PayloadTooLarge, "zip_bomb", "the workbook inflates beyond the bound")
                if not is_xml:
                    continue
                if first:
                    first = False
                    if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(chunk) > 1 and chunk[1:2] == b"\x00"):
                        raise _refuse(BadRequest, "xml_entities", f"{info.filename}: XML must be UTF-8")
                # the window is the chunk with the last _OVERLAP bytes before it (a declaration or a
                # tag across the boundary is seen whole). Plain one-byte tests (memchr) on its two
                # parts first: a sheet's cells hold no "!", "f" or "g" unless their text does; the
                # window is only put together, and the longer tests and regexes only run, where
                # they can match
                bang = b"!" in chunk or b"!" in tail
                formula = scan is not None and not has_formula and (b"f" in chunk or b"f" in tail)
                merge = scan is not None and (b"g" in chunk or b"g" in tail)
                if not (bang or formula or merge):
                    tail = chunk[-_OVERLAP:] if len(chunk) >= _OVERLAP else (tail + chunk)[-_OVERLAP:]
                    continue
                window = tail + chunk
                if bang and b"<!" in window and _DECLARATION.search(window):
                    raise _refuse(BadRequest, "xml_entities",
                                  f"{info.filename}: XML entity/DOCTYPE declarations are refused")
                if formula:
                    has_formula = (b"<f" in window or b":f" in window) and bool(_FORMULA_TAG.search(window))
                if merge and b"mergeCell" in window:
                    for match in _MERGE.finditer(window):
                        if match.group(1).decode() not in scan.merged:
                            scan.merged.append(match.group(1).decode())
                tail = window[-_OVERLAP:]
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise _refuse(UnsupportedMediaType, "not_xlsx", f"a damaged part {info.filename} ({exc.__class__.__name__})")
    if scan is not None and has_formula:
        scan.formulas = _formula_cells(zf, info)


def _formula_cells(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> set[str]:
    """The refs of the cells with an <f> child (only run when the scan saw a formula tag)."""
    refs: set[str] = set()
    with zf.open(info) as stream:
        for _, elem in ET.iterparse(stream, events=("end",)):
            if elem.tag.endswith("}c") or elem.tag == "c":
                if any(child.tag.endswith("}f") or child.tag == "f" for child in elem):
                    refs.add(elem.get("r") or "?")
                elem.clear()
    return refs


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: zip part} from the workbook and its relationships (checked safe above)."""
    workbook = ET.fromstring(zf.read("xl/workbook.xml"))
    try:
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    targets = {}
    for rel in rels.iter(f"{{{_NS_PKG_REL}}}Relationship"):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[rel.get("Id")] = target
    out = {}
    for sheet in workbook.iter(f"{{{_NS_MAIN}}}sheet"):
        part = targets.get(sheet.get(f"{{{_NS_REL}}}id"))
        if part:
            out[sheet.get("name")] = part
    return out
