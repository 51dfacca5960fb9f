"""``make run``'s terminal and log files (shared/supervise.py): every line a process writes is in
its log file; the terminal gets the errors and what is not a log line (a wrong setting, a
traceback), not the ~100 request and event lines a second that scrolled the welcome away."""
from __future__ import annotations

import json
import logging
import sys

from shared.supervise import Supervisor, echo_level, rotate_logs, worth_showing
from tests.support.waiting import wait_for


def line(level: str, msg: str = "m") -> str:
    return json.dumps({"ts": "2026-12-14T09:00:00+00:00", "level": level, "logger": "x", "msg": msg})


def test_errors_and_what_is_not_a_log_line_reach_the_terminal_requests_do_not():
    assert not worth_showing(line("info"))
    assert not worth_showing(line("warning"))
    assert worth_showing(line("error")) and worth_showing(line("critical"))
    assert worth_showing("registry: ValueError: CLOCK_TODAY: 2026-13-01 is not a day")
    assert worth_showing("Traceback (most recent call last):")
    assert worth_showing("{not json")
    assert not worth_showing("   ")
    assert worth_showing(line("warning"), logging.WARNING) and worth_showing(line("info"), echo_level("INFO"))
    assert echo_level(None) == echo_level("loud") == logging.ERROR


def test_a_child_writes_every_line_to_its_log_file_and_only_errors_to_the_terminal(tmp_path):
    shown: list[str] = []
    supervisor = Supervisor(None, say=shown.append, log_dir=str(tmp_path))
    program = "; ".join([f"print({line('info', 'a request')!r})", f"print({line('error', 'a failure')!r})",
                         "print('a plain line')"])
    child = supervisor.add("registry", [sys.executable, "-c", program], {})
    child.process.wait(30)
    log = tmp_path / "registry.log"
    wait_for(lambda: len(shown) == 2 and log.read_text().count("\n") == 3, 10, message="the relay to finish")
    assert shown == [f"[registry] {line('error', 'a failure')}", "[registry] a plain line"]
    assert "a request" in log.read_text()


def test_the_previous_runs_log_is_kept_as_dot_1(tmp_path):
    (tmp_path / "gateway.log").write_text("run 1\n")
    rotate_logs(str(tmp_path))
    assert not (tmp_path / "gateway.log").exists() and (tmp_path / "gateway.log.1").read_text() == "run 1\n"
    rotate_logs(str(tmp_path / "absent"))   # no folder yet: nothing to do
