"""``make run`` (skillmaster-run) as a benchmark or a test starts it: on a free port (never
8000), with a data folder of its own and a RabbitMQ vhost of its own (bench/_broker.py), so
it disturbs no other run on the shared broker. It dies with the process that started it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import requests

from shared.supervise import dies_with_parent, free_port


class Run:
    """One ``skillmaster-run``; ``start()`` waits until /readyz says ready."""

    def __init__(self, amqp_uri: str, data_dir: str, **env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        # DEMO_CITY: the demo city (shared/demo_city.py) only where a test asks for it
        self.env = {**os.environ, "AMQP_URI": amqp_uri, "GATEWAY_PORT": str(self.port), "DATA_DIR": data_dir,
                    "LOG_LEVEL": "WARNING", "MONGO_URI": "", "DEMO_CITY": "false",
                    **{k: str(v) for k, v in env.items()}}
        self.env.pop("TEST_MONGO_URI", None)
        self.process = None
        self.interrupted = False
        self.log_path = os.path.join(data_dir, "run.log")

    def start(self, seconds: float = 120) -> "Run":
        os.makedirs(self.data_dir, exist_ok=True)
        self.log = open(self.log_path, "a", encoding="utf-8")
        self.interrupted = False
        self.process = subprocess.Popen([sys.executable, "-m", "shared.cli", "run"], env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        preexec_fn=dies_with_parent(signal.SIGINT))  # stops in order
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the run stopped at start:\n{self.tail()}")
            if self.ready():
                return self
            time.sleep(0.5)
        raise AssertionError(f"the run was not ready in {seconds:g} s:\n{self.tail()}")

    def readyz(self) -> dict:
        try:
            return requests.get(f"{self.base}/readyz", timeout=5).json()
        except (requests.RequestException, ValueError):
            return {}

    def ready(self) -> bool:
        """The gateway says ready and the run has seen it too (until then the run stops, rather
        than restarts, a process that dies: a test that kills one must wait for this)."""
        return self.readyz().get("status") == "ready" and self.started()

    def started(self) -> bool:
        try:
            return bool(self._state().get("started"))
        except (OSError, ValueError):
            return False

    def processes(self) -> dict:
        return self._state()["processes"]

    def _state(self) -> dict:
        """The supervisor's state file (shared/supervise.py ``Supervisor.write_state``)."""
        with open(os.path.join(self.data_dir, "run", "processes.json"), encoding="utf-8") as fh:
            return json.load(fh)

    def interrupt(self) -> None:
        """Ctrl-C, once: the run stops the gateway, the services, then the store."""
        if self.process is not None and self.process.poll() is None and not self.interrupted:
            self.process.send_signal(signal.SIGINT)
            self.interrupted = True

    def stop(self, seconds: float = 60) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.interrupt()
        try:
            return self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            self.log.close()

    def tail(self, lines: int = 40) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return "".join(fh.readlines()[-lines:])
