"""The one-command run's process supervision (``make run``): the embedded store and the
service processes, restarted when they die, stopped in order.

- ``EmbeddedStore``: without ``MONGO_URI`` the run starts a MongoDB-wire server on disk
  (SecantusDB's ``secantusd-py``, GPL-2.0, run as a separate process and never imported)
  with its data in ``DATA_DIR/store``; the services reach it with ordinary pymongo through
  ``MONGO_URI=mongodb://127.0.0.1:PORT/?journal=true&retryWrites=false`` (every acknowledged write is in the
  journal, so a SIGKILL of the store or of a service loses nothing).
- ``Supervisor``: one child process per name. A child that dies is started again after a
  back-off (0.2 s, doubling up to 30 s; reset once it has run for a minute), logged, and
  counted; the others keep running. The counts are written to ``DATA_DIR/run/processes.json``
  (``RUN_STATE_FILE``), which the gateway's ``/readyz`` shows.
- Logs: each child's output (its JSON log lines) is appended to ``LOG_DIR/<name>.log``
  (``DATA_DIR/logs`` by default; the previous run's file is kept as ``<name>.log.1``). The
  terminal shows only what the person running the system must see: lines that are not JSON
  log lines (a wrong setting, a traceback) and log lines at ``RUN_ECHO_LEVEL`` (ERROR) or above,
  each after the child's name. Every request and event line was going to the terminal, about
  100 a second while the demo city is seeded, and scrolled the welcome away.

Children die with the run (``PR_SET_PDEATHSIG``): a run killed with SIGKILL leaves no
orphan holding the store's lock or a queue's consumer.
"""
from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

FIRST_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 30.0
STABLE_AFTER_SECONDS = 60.0
_PR_SET_PDEATHSIG = 1
_LEVELS = logging.getLevelNamesMapping()   # "ERROR" → 40, as the services' JSON lines name them


def worth_showing(line: str, threshold: int = logging.ERROR) -> bool:
    """Whether a child's output line goes to the terminal too: a JSON log line at ``threshold``
    or above, and anything that is not a log line (a start-up refusal, a traceback)."""
    text = line.strip()
    if not text:
        return False
    if text.startswith("{"):
        try:
            record = json.loads(text)
        except ValueError:
            return True
        if isinstance(record, dict) and "level" in record:
            return _LEVELS.get(str(record["level"]).upper(), logging.CRITICAL) >= threshold
    return True


def echo_level(name: str | None) -> int:
    """``RUN_ECHO_LEVEL`` (debug … critical) as a number; ERROR when unset or unknown."""
    return _LEVELS.get(str(name or "").upper(), logging.ERROR)


def rotate_logs(log_dir: str) -> None:
    """The previous run's ``<name>.log`` becomes ``<name>.log.1`` (one generation is kept)."""
    if not os.path.isdir(log_dir):
        return
    for entry in os.listdir(log_dir):
        if entry.endswith(".log"):
            path = os.path.join(log_dir, entry)
            os.replace(path, path + ".1")


def _relay(name: str, pipe, path: str, threshold: int, echo: Callable[[str], None]) -> None:
    """Every line of ``pipe`` to the file at ``path``; the ones worth showing to ``echo`` too.
    Runs until the child's output ends (it exited); never stops draining the pipe early, or the
    child would block on a full pipe."""
    with pipe, open(path, "ab") as log:
        for raw in iter(pipe.readline, b""):
            log.write(raw)
            log.flush()
            try:
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                if worth_showing(line, threshold):
                    echo(f"[{name}] {line}")
            except Exception:  # noqa: BLE001 - the terminal may be gone; the log file is what counts
                pass


def _child_setup(ignore_sigint: bool = True, death_signal: int = signal.SIGTERM):
    """preexec_fn: die with the parent; let the parent stop us in order (SIGINT ignored)."""
    def setup():
        if ignore_sigint:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, death_signal)
        except OSError:  # not Linux: children outlive a killed run; Ctrl-C still stops them
            pass
    return setup


def _flushed(say: Callable[[str], None]) -> Callable[[str], None]:
    def echo(line: str) -> None:
        say(line)
        sys.stdout.flush()
    return echo


def dies_with_parent(death_signal: int = signal.SIGTERM):
    """preexec_fn for a child that must not outlive the process that started it."""
    return _child_setup(ignore_sigint=False, death_signal=death_signal)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Child:
    """One supervised process: how to start it, and what happened to it so far."""
    name: str
    argv: list[str]
    env: dict
    stdout: object = None
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0
    last_exit: int | None = None
    restart_at: float | None = None
    backoff: float = FIRST_BACKOFF_SECONDS
    log: list = field(default_factory=list)
    log_path: str | None = None        # its output goes here (and the lines worth showing to echo)
    echo_threshold: int = logging.ERROR
    echo: Callable[[str], None] = print

    def start(self) -> None:
        if self.log_path:
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT, preexec_fn=_child_setup())
            threading.Thread(target=_relay, name=f"log-{self.name}", daemon=True,
                             args=(self.name, self.process.stdout, self.log_path, self.echo_threshold,
                                   self.echo)).start()
        else:
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=self.stdout,
                                            stderr=subprocess.STDOUT if self.stdout else None,
                                            preexec_fn=_child_setup())
        self.started_at = time.monotonic()
        self.restart_at = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def state(self) -> dict:
        return {"pid": self.process.pid if self.running else None,
                "state": "running" if self.running else "restarting",
                "restarts": self.restarts, "last_exit_code": self.last_exit}


class Supervisor:
    """Starts children in order, restarts the ones that die, stops them in reverse order."""

    def __init__(self, state_file: str | None = None, say=print, log_dir: str | None = None,
                 echo_threshold: int = logging.ERROR):
        self.children: dict[str, Child] = {}
        self.state_file = state_file
        self.log_dir = log_dir
        self.echo_threshold = echo_threshold
        # False while the run starts (a process that dies then stops the run: a bad setting is not
        # retried); True once the system was ready, from when a dead process is started again
        self.started = False
        self.say = say

    def add(self, name: str, argv: list[str], env: dict, stdout=None) -> Child:
        child = Child(name, argv, env, stdout)
        if self.log_dir and stdout is None:
            child.log_path = os.path.join(self.log_dir, f"{name}.log")
            child.echo_threshold, child.echo = self.echo_threshold, _flushed(self.say)
        self.children[name] = child
        child.start()
        self.write_state()
        return child

    def dead(self) -> list[str]:
        return [n for n, c in self.children.items() if not c.running and c.restart_at is None]

    def tick(self, now: float | None = None) -> None:
        """Notice children that died and start the ones whose back-off has passed."""
        now = time.monotonic() if now is None else now
        changed = False
        for child in self.children.values():
            if child.process is None:
                continue
            code = child.process.poll()
            if code is not None and child.restart_at is None:
                if now - child.started_at > STABLE_AFTER_SECONDS:
                    child.backoff = FIRST_BACKOFF_SECONDS
                child.last_exit = code
                child.restart_at = now + child.backoff
                self.say(f"supervisor: {child.name} exited with code {code} after "
                         f"{now - child.started_at:.1f} s; restarting it in {child.backoff:g} s "
                         f"(restart #{child.restarts + 1}); the others keep running")
                child.backoff = min(child.backoff * 2, MAX_BACKOFF_SECONDS)
                changed = True
            elif child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                child.start()
                self.say(f"supervisor: {child.name} started again (pid {child.process.pid}, "
                         f"restart #{child.restarts})")
                changed = True
        if changed:
            self.write_state()

    def write_state(self) -> None:
        if not self.state_file:
            return
        state = {"supervisor_pid": os.getpid(), "updated_at": time.time(), "started": self.started,
                 "processes": {n: c.state() for n, c in self.children.items()}}
        tmp = f"{self.state_file}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(state, fh)
        os.replace(tmp, self.state_file)

    def stop_all(self, stages: list[list[str]], grace: float = 15.0) -> None:
        """Stop stage after stage: SIGTERM every running child of a stage, wait for them (at
        most ``grace`` s, then SIGKILL), then the next stage."""
        for stage in stages:
            children = [self.children[n] for n in stage if n in self.children and self.children[n].running]
            for child in children:
                child.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + grace
            for child in children:
                try:
                    child.process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.say(f"supervisor: {child.name} did not stop in {grace:g} s; killing it")
                    child.process.kill()
                    child.process.wait()
        if self.state_file and os.path.exists(self.state_file):
            os.remove(self.state_file)


class EmbeddedStore:
    """The embedded default store: a SecantusDB MongoDB-wire server on disk, as a child."""

    def __init__(self, data_dir: str, port: int = 0):
        self.path = os.path.join(os.path.abspath(data_dir), "store")
        self.port = port or free_port()

    @property
    def uri(self) -> str:
        # journal=true: a write is acknowledged only once it is in the journal on disk.
        # retryWrites=false: SecantusDB keeps every retryable write's reply for 30 min (up to
        # 10,000) and scans them all on each write, sorting them once full: a write cost 0.6 ms
        # of store CPU at first and 4.8 ms past 10,000 writes (an idle demo city's store burned
        # 16 % of a core on its timers' writes). A single local server has no failover for the
        # driver's one retry to cover; a real MongoDB (MONGO_URI) keeps the driver's default.
        return f"mongodb://127.0.0.1:{self.port}/?journal=true&retryWrites=false"

    def argv(self) -> list[str]:
        os.makedirs(self.path, exist_ok=True)
        return [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(self.port),
                "--storage-path", self.path, "--log-level", "WARNING"]

    def wait_ready(self, process: subprocess.Popen, seconds: float = 60) -> None:
        wait_for_store(self.uri, process, seconds,
                       f"the embedded store (port {self.port}, data folder {self.path}: is another run using it?)")


def wait_for_store(uri: str, process: subprocess.Popen, seconds: float, what: str) -> None:
    """Until the MongoDB-wire server at ``uri`` answers ping; SystemExit if ``process`` exits
    first or ``seconds`` pass."""
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError
    deadline = time.monotonic() + seconds
    client = MongoClient(uri, serverSelectionTimeoutMS=300)
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{what} exited with code {process.returncode} at start")
            try:
                client.admin.command("ping")
                return
            except PyMongoError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{what} did not answer in {seconds:g} s")
    finally:
        client.close()


def run_processes(state_file: str | None) -> dict | None:
    """The supervisor's view (pid, state, restarts, last exit code per process) for /readyz;
    None outside ``make run``."""
    if not state_file:
        return None
    try:
        with open(state_file, encoding="utf-8") as fh:
            return json.load(fh).get("processes")
    except (OSError, ValueError):
        return None
