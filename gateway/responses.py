"""What every route group shares: the paging query, file uploads, and file and .xlsx answers."""
from __future__ import annotations

import base64
from urllib.parse import quote

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from gateway.contract import PAGING as CONTRACT_PAGING
from gateway.routing import UPLOAD
from shared.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The query parameters of every list route (documented in OpenAPI; services validate them).
PAGING = CONTRACT_PAGING   # declared, documented and enforced in gateway/contract.py
PAGING_ARGS = tuple(PAGING)
UPLOAD_KIND = UPLOAD   # route(..., body_kind=UPLOAD_KIND): a multipart file, read with read_upload


def read_upload(request, limit: int) -> tuple[str, bytes]:
    """(file name, content) of the multipart field ``file``; 413 past ``limit`` bytes."""
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(f"send the file as multipart/form-data (field 'file'), not {request.mimetype or 'nothing'}")
    try:
        upload = request.files.get("file")
    except HTTPException as exc:  # RequestEntityTooLarge while parsing
        if exc.code == 413:
            raise PayloadTooLarge(f"the file is larger than {limit} bytes")
        raise BadRequest(f"the multipart body cannot be read: {exc.description}")
    if upload is None:
        raise BadRequest("the multipart body has no field 'file'")
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(f"the file is larger than {limit} bytes ({limit // (1024 * 1024)} MB)", limit=limit)
    return upload.filename or "", content


def file_response(content_b64: str, content_type: str, filename: str) -> Response:
    """A file download: the content, its type, and its name (UTF-8 names kept, RFC 6266)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(base64.b64decode(content_b64), mimetype=content_type,
                    headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff",
                             "Cache-Control": "private, no-store"})


def xlsx_response(payload: dict) -> Response:
    """A workbook a service rendered: ``{filename, content_b64}`` → an .xlsx download."""
    return file_response(payload["content_b64"], XLSX, payload["filename"])
