"""A throwaway MongoDB-wire store: one SecantusDB server (the project's embedded default store,
shared/supervise.py) in a temporary folder, as a child process that dies with the one that
started it. The benchmarks run on it by default; the tests' session store
(tests/support/wire_store.py) is this one too."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile

from shared.supervise import dies_with_parent, free_port, wait_for_store


class WireStore:
    """``journal=True`` acknowledges a write once it is in the journal on disk, as ``make run``'s
    store does (shared.supervise.EmbeddedStore); the tests leave it off (they never kill the store)."""

    def __init__(self, journal: bool = False, prefix: str = "skillmaster-test-store-"):
        self.folder = tempfile.mkdtemp(prefix=prefix)
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(self.port),
             "--storage-path", self.folder, "--log-level", "ERROR", "--cache-size", "256M"],
            preexec_fn=dies_with_parent(signal.SIGKILL))  # throwaway data
        # retryWrites=false as make run's store has it (shared.supervise.EmbeddedStore.uri: why)
        self.uri = f"mongodb://127.0.0.1:{self.port}/?retryWrites=false" + ("&journal=true" if journal else "")
        wait_for_store(self.uri, self.process, 60, "the throwaway store")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "WireStore":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
