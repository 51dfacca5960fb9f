"""The test session's MongoDB-wire store (issue 14): one SecantusDB server in a temporary
folder, started once, that the broker, end-to-end and fault tests reach with ordinary
pymongo, as production does. ``TEST_MONGO_URI=mongodb://…`` (e.g. a real mongod) is used
instead when it is set. Each test gets database names of its own (``MONGO_DB_PREFIX``), so
tests never see each other's data. journal=false here: the tests kill service processes,
never the store (the run's own store uses journal=true). The store itself is bench/_store.py's
(the benchmarks start the same one)."""
from __future__ import annotations

import uuid

from bench._store import WireStore

__all__ = ["WireStore", "unique_prefix"]


def unique_prefix(label: str = "t") -> str:
    """Database names of one test's own (``<prefix>_<service>``)."""
    return f"{label}{uuid.uuid4().hex[:12]}"
