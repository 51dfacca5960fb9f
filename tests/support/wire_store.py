"""The test session's MongoDB-wire store (issue 14): one SecantusDB server in a temporary
folder, started once, that the broker, end-to-end and fault tests reach with ordinary
pymongo, as production does. ``TEST_MONGO_URI=mongodb://…`` (e.g. a real mongod) is used
instead when it is set. Each test gets database names of its own (``MONGO_DB_PREFIX``), so
tests never see each other's data. journal=false here: the tests kill service processes,
never the store (the run's own store uses journal=true)."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import uuid

from shared.supervise import dies_with_parent, free_port, wait_for_store


class WireStore:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="skillmaster-test-store-")
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(self.port),
             "--storage-path", self.folder, "--log-level", "ERROR", "--cache-size", "256M"],
            preexec_fn=dies_with_parent(signal.SIGKILL))  # throwaway data
        self.uri = f"mongodb://127.0.0.1:{self.port}/"
        wait_for_store(self.uri, self.process, 60, "the test session's store")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def unique_prefix(label: str = "t") -> str:
    """Database names of one test's own (``<prefix>_<service>``)."""
    return f"{label}{uuid.uuid4().hex[:12]}"
