"""Uploaded materials: recognised by their content (magic bytes), never by name or declared type.

Accepted: PDF (``%PDF-``), JPEG (``FF D8 FF``) and PNG (the 8-byte PNG signature), at most
10 MB (10 × 1024 × 1024 bytes) each. Stored in chunks of ``CHUNK_BYTES`` with size and sha256.
The sniffing and payload helpers are the shared ones (shared/files.py).
"""
from __future__ import annotations

from shared.errors import UnsupportedMediaType
from shared.files import (CHUNK_BYTES, EXTENSIONS, JPEG, PDF, PNG, XLSX, check_size, chunks,  # noqa: F401
                          is_xlsx, sha256, sniff)
from shared.files import safe_filename as _safe_filename

MAX_MATERIAL_BYTES = 10 * 1024 * 1024
MATERIAL_TYPES = (PDF, JPEG, PNG)


def check_material(content: bytes) -> str:
    """Size and content check of one material; returns its real media type."""
    check_size(content, MAX_MATERIAL_BYTES)
    media_type = sniff(content)
    if media_type not in MATERIAL_TYPES:
        raise UnsupportedMediaType("materials must be PDF, JPEG or PNG files; this file's content is none of "
                                   "them (its name or declared type does not count)",
                                   accepted=list(MATERIAL_TYPES))
    return media_type


def safe_filename(name: str | None, media_type: str) -> str:
    return _safe_filename(name, media_type, "material")
