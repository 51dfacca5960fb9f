"""The whole system started as ``make run`` starts it (``python -m shared.cli run``: one process
per service and the gateway, demo data), on a free port, its own RabbitMQ vhost and its own
data folder (the embedded wire store, the log files); everything it started is stopped after
the module."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import Api, free_port

ROOT = Path(__file__).resolve().parents[2]


class RunningSystem(Api):
    def __init__(self, base_url: str, log_path: Path, process: subprocess.Popen, log_dir: Path):
        super().__init__(base_url)
        self.log_path = log_path
        self.process = process
        self.log_dir = log_dir

    def log_text(self) -> str:
        """What the run printed and every process's log file (LOG_DIR/<name>.log)."""
        files = [self.log_path, *sorted(self.log_dir.glob("*.log"))]
        return "\n".join(f.read_text(encoding="utf-8", errors="replace") for f in files)


def _wait_ready(base: str, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the system stopped while starting (exit {process.returncode})")
        try:
            if requests.get(f"{base}/readyz", timeout=3).json().get("status") == "ready":
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the system was not ready within {seconds:g} s")


@pytest.fixture(scope="module")
def running_system(module_vhost, tmp_path_factory):
    port = free_port()
    assert port != 8000
    folder = tmp_path_factory.mktemp("system")
    log_path = folder / "system.log"
    env = {**os.environ, "AMQP_URI": module_vhost, "GATEWAY_PORT": str(port), "DEMO_MODE": "true",
           "MONGO_URI": "", "LOG_LEVEL": "INFO", "OUTBOX_POLL_SECONDS": "0.2", "PYTHONUNBUFFERED": "1",
           "DATA_DIR": str(folder / "data"), "LOG_DIR": str(folder / "logs")}
    env.pop("SKILLMASTER_CONFIG", None)
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "shared.cli", "run"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, 120)
        yield RunningSystem(base, log_path, process, folder / "logs")
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the run's process group (it stops its children), then SIGKILL what is left."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
