"""Uploaded materials: recognised by their content (magic bytes), never by name or declared type.

Accepted: PDF (``%PDF-``), JPEG (``FF D8 FF``) and PNG (the 8-byte PNG signature), at most
10 MB (10 × 1024 × 1024 bytes) each. Stored in chunks of ``CHUNK_BYTES`` with size and sha256.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata

from shared.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

MAX_MATERIAL_BYTES = 10 * 1024 * 1024
CHUNK_BYTES = 255 * 1024

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", XLSX: ".xlsx"}

_SIGNATURES = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
)


def sniff(content: bytes) -> str | None:
    """The media type the bytes really are (PDF, JPEG or PNG), or None."""
    for signature, media_type in _SIGNATURES:
        if content.startswith(signature):
            return media_type
    return None


def is_xlsx(content: bytes) -> bool:
    """An .xlsx is a ZIP whose first entry names are OOXML parts."""
    return content[:4] == b"PK\x03\x04" and (b"[Content_Types].xml" in content[:2048] or b"xl/" in content[:4096])


def decode_base64(text: str, what: str = "file") -> bytes:
    if not isinstance(text, str):
        raise ValidationFailed(f"the {what} must be sent base64-encoded", errors={what: "not a base64 string"})
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(f"the {what} is not valid base64", errors={what: "not valid base64"})


def check_size(content: bytes, limit: int = MAX_MATERIAL_BYTES, what: str = "file") -> None:
    if len(content) > limit:
        raise PayloadTooLarge(f"the {what} has {len(content)} bytes; at most {limit} ({limit // (1024 * 1024)} MB) "
                              "are accepted", limit=limit, size=len(content))
    if not content:
        raise ValidationFailed(f"the {what} is empty", errors={what: "empty file"})


def check_material(content: bytes) -> str:
    """Size and content check of one material; returns its real media type."""
    check_size(content)
    media_type = sniff(content)
    if media_type is None:
        raise UnsupportedMediaType("materials must be PDF, JPEG or PNG files; this file's content is none of "
                                   "them (its name or declared type does not count)",
                                   accepted=[PDF, JPEG, PNG])
    return media_type


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def chunks(content: bytes, size: int = CHUNK_BYTES) -> list[bytes]:
    return [content[i:i + size] for i in range(0, len(content), size)] or [b""]


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def safe_filename(name: str | None, media_type: str) -> str:
    """A display name without path parts or control characters, with the extension of its real type."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", name).strip(" .") or "material"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem[:120]}{EXTENSIONS.get(media_type, '')}"
