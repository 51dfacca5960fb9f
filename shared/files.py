"""Files every service takes or gives: content sniffing, payload checks, spreadsheet text, and
the one safe way to open an uploaded workbook. Plain Python (domain modules may use it).

- ``sniff(content)``: the media type the bytes really are (PDF, JPEG, PNG, XLSX) or None —
  never the name or the declared type.
- ``decode_base64``, ``check_size``, ``sha256``, ``chunks``, ``safe_filename``: the payload
  helpers (``FilePayload`` bundles a checked upload).
- ``excel_text(value)``: the one formula-escaping rule for every cell a service writes: control
  characters removed, and a leading ``'`` when the text starts with = + - @ tab or CR (CWE-1236).
- ``open_workbook(content, bounds)``: size bound, zip-inflation bounds (total and per part ratio),
  no DOCTYPE/ENTITY in any XML part (no external entities, no entity expansion), opened
  read-only (streaming); ``bounded_rows(ws, bounds)`` stops at the row/column bounds with an
  error naming the sheet and the bound.
"""
from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any, Iterator

from shared.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", XLSX: ".xlsx"}
MB = 1024 * 1024
CHUNK_BYTES = 255 * 1024

_SIGNATURES = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
)


# -- sniffing and payloads ------------------------------------------------------------------
def is_xlsx(content: bytes) -> bool:
    """An .xlsx is a ZIP whose first entry names are OOXML parts."""
    return content[:4] == b"PK\x03\x04" and (b"[Content_Types].xml" in content[:2048] or b"xl/" in content[:4096])


def sniff(content: bytes) -> str | None:
    """The media type the bytes really are (PDF, JPEG, PNG or XLSX), or None."""
    for signature, media_type in _SIGNATURES:
        if content.startswith(signature):
            return media_type
    return XLSX if is_xlsx(content) else None


def decode_base64(text: str, what: str = "file") -> bytes:
    if not isinstance(text, str):
        raise ValidationFailed(f"the {what} must be sent base64-encoded", errors={what: "not a base64 string"})
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(f"the {what} is not valid base64", errors={what: "not valid base64"})


def check_size(content: bytes, limit: int = 10 * MB, what: str = "file") -> None:
    if len(content) > limit:
        raise PayloadTooLarge(f"the {what} has {len(content)} bytes; at most {limit} ({limit // MB} MB) "
                              "are accepted", limit=limit, size=len(content))
    if not content:
        raise ValidationFailed(f"the {what} is empty", errors={what: "empty file"})


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def chunks(content: bytes, size: int = CHUNK_BYTES) -> list[bytes]:
    return [content[i:i + size] for i in range(0, len(content), size)] or [b""]


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def safe_filename(name: str | None, media_type: str, default: str = "file") -> str:
    """A display name without path parts or control characters, with the extension of its real type."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", name).strip(" .") or default
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem[:120]}{EXTENSIONS.get(media_type, '')}"


@dataclass(frozen=True)
class FilePayload:
    """A checked upload: its bytes, real media type, safe name, size and sha256."""
    content: bytes
    media_type: str
    filename: str
    size: int
    sha256: str

    @classmethod
    def from_base64(cls, content_b64: str, filename: str | None, *, accepted: tuple[str, ...],
                    limit: int = 10 * MB, what: str = "file") -> "FilePayload":
        content = decode_base64(content_b64, what)
        return cls.of(content, filename, accepted=accepted, limit=limit, what=what)

    @classmethod
    def of(cls, content: bytes, filename: str | None, *, accepted: tuple[str, ...],
           limit: int = 10 * MB, what: str = "file") -> "FilePayload":
        check_size(content, limit, what)
        media_type = sniff(content)
        if media_type not in accepted:
            raise UnsupportedMediaType(f"the {what} must be one of {', '.join(accepted)} by its content "
                                       "(its name or declared type does not count)", accepted=list(accepted))
        return cls(content, media_type, safe_filename(filename, media_type, what), len(content), sha256(content))

    def file_response(self) -> dict:
        """What an RPC answers for a download (the gateway turns it into the response)."""
        return {"filename": self.filename, "content_type": self.media_type,
                "content_b64": base64.b64encode(self.content).decode("ascii")}


# -- spreadsheet text -----------------------------------------------------------------------
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def excel_text(value: Any) -> str:
    """Text for a cell: control characters removed, and a leading ``'`` when it would start
    with = + - @ (or tab / CR), so that no spreadsheet reads it as a formula (CWE-1236)."""
    s = "" if value is None else str(value)
    s = _ILLEGAL.sub("", s)
    if s.startswith(FORMULA_TRIGGERS):
        s = "'" + s
    return s


def cell_text(value: Any, *, unquote: bool = False) -> str:
    """A read cell as text: whole floats as integers, dates as ISO dates, text stripped, except
    text starting with = + - @ (or tab / CR), kept exactly as typed. ``unquote`` drops the
    leading ``'`` that ``excel_text`` put in front of such text on export."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        return str(value)
    if unquote:
        text = value.strip()
        return text[1:] if text.startswith("'") else text
    return value if value.startswith(FORMULA_TRIGGERS) else value.strip()


def excel_value(value: Any) -> Any:
    """``excel_text`` for text; numbers, dates and None pass unchanged."""
    return excel_text(value) if isinstance(value, str) else value


# -- opening uploaded workbooks -------------------------------------------------------------
@dataclass(frozen=True)
class WorkbookBounds:
    max_bytes: int = 10 * MB              # the upload itself
    max_unpacked_bytes: int = 50 * MB     # all parts together, unpacked
    max_ratio: int = 200                  # unpacked / packed, per part (zip bombs)
    max_rows: int = 5000                  # per sheet
    max_columns: int = 100                # per sheet


class WorkbookProblem(ValidationFailed):
    """An upload that is not a workbook we read, or breaks a bound; ``errors`` name sheet/cell."""
    code, title = "workbook_problem", "Unreadable workbook"


_XML_TRICKS = (b"<!DOCTYPE", b"<!ENTITY")


def open_workbook(content: bytes, bounds: WorkbookBounds = WorkbookBounds(), what: str = "workbook"):
    """The workbook, opened read-only (streaming), after the size, inflation and XML checks."""
    check_size(content, bounds.max_bytes, what)
    if not is_xlsx(content):
        raise UnsupportedMediaType(f"the {what} must be an .xlsx workbook", accepted=[XLSX])
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > bounds.max_unpacked_bytes:
                raise WorkbookProblem(f"the {what} unpacks to more than {bounds.max_unpacked_bytes // MB} MB",
                                      errors={what: f"unpacks to {total} bytes"})
            sheets = _sheet_names_by_part(zf)
            for info in infos:
                if info.compress_size and info.file_size / info.compress_size > bounds.max_ratio:
                    raise WorkbookProblem(f"the {what}'s part {info.filename} inflates more than "
                                          f"{bounds.max_ratio}×", errors={what: "zip inflation bound"})
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    with zf.open(info) as part:
                        head = part.read(4096)
                        if any(t in head.upper() for t in _XML_TRICKS):
                            raise WorkbookProblem(f"the {what}'s part {info.filename} declares a DOCTYPE or "
                                                  "entities; such workbooks are refused", errors={what: "XML DOCTYPE"})
                        if info.filename in sheets:
                            _check_row_count(part, head, sheets[info.filename], bounds)
        from openpyxl import load_workbook
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (WorkbookProblem, PayloadTooLarge, UnsupportedMediaType):
        raise
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, XML errors…
        raise WorkbookProblem(f"not a readable .xlsx {what}: {exc.__class__.__name__}",
                              errors={what: "not a readable .xlsx"})


def _sheet_names_by_part(zf: zipfile.ZipFile) -> dict[str, str]:
    """{zip part: sheet name} from xl/workbook.xml and its relationships (small parts)."""
    try:
        workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = {}
    for rel in re.findall(r"<Relationship\b[^>]*>", rels):
        rid, target = re.search(r'\bId="([^"]+)"', rel), re.search(r'\bTarget="([^"]+)"', rel)
        if rid and target:
            path = target.group(1)
            targets[rid.group(1)] = path.lstrip("/") if path.startswith("/") else f"xl/{path}"
    names = {}
    for sheet in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        name, rid = re.search(r'\bname="([^"]*)"', sheet), re.search(r'\br:id="([^"]+)"', sheet)
        if name and rid and rid.group(1) in targets:
            names[targets[rid.group(1)]] = name.group(1)
    return names


def _check_row_count(part, head: bytes, sheet: str, bounds: WorkbookBounds) -> None:
    """Count a sheet's ``<row`` elements while inflating it (C-speed, no XML parsing), before any
    XML parser sees it: a sheet past the row bound is refused at once, whatever its (possibly
    absent or false) ``<dimension>`` says, so openpyxl never scans a huge sheet."""
    rows, tail, chunk = 0, b"", head
    while chunk:
        rows += (tail + chunk).count(b"<row ") + (tail + chunk).count(b"<row>") \
            - tail.count(b"<row ") - tail.count(b"<row>")
        if rows > bounds.max_rows:
            raise WorkbookProblem(f"sheet {sheet!r} has more than {bounds.max_rows} rows",
                                  errors={sheet: f"at most {bounds.max_rows} rows"})
        tail = chunk[-5:]
        chunk = part.read(256 * 1024)


def bounded_rows(ws, bounds: WorkbookBounds = WorkbookBounds(), *, min_row: int = 1,
                 max_col: int | None = None, values_only: bool = False) -> Iterator[tuple]:
    """``ws.iter_rows`` that stops with an error naming the sheet when a bound is passed."""
    if max_col is not None:
        max_col = min(max_col, bounds.max_columns)
    for n, row in enumerate(ws.iter_rows(min_row=min_row, max_col=max_col, values_only=values_only), start=min_row):
        if n > bounds.max_rows:
            raise WorkbookProblem(f"sheet {ws.title!r} has more than {bounds.max_rows} rows",
                                  errors={ws.title: f"at most {bounds.max_rows} rows"})
        if len(row) > bounds.max_columns:
            raise WorkbookProblem(f"sheet {ws.title!r} has more than {bounds.max_columns} columns",
                                  errors={ws.title: f"at most {bounds.max_columns} columns"})
        yield row
